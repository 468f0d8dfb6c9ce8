"""Range asymmetric numeral systems (rANS): 32-bit states, 16-bit words, interleaved lanes.

Every token is coded with a frequency ``freq`` and cumulative frequency ``cum`` out of
``1 << SCALE``. A block has four lanes, each a state with its own word stream, so that
decoding runs four independent dependency chains (with one shared stream, each read
would wait for the other lanes' last refill). The encoder runs backwards over a lane's
tokens, the decoder forwards.

Raw bits are tokens too, with a uniform distribution, coded on the lane of the symbol
they belong to.
Hot-loop helpers take and return scalars only (see ``bitstream`` for why): a token is
one int64, and a decoder passes the next stream words in, not the array.
"""
import numpy as np
from numba import njit

SCALE = 12
TOTAL = 1 << SCALE
MASK = TOTAL - 1
LOW = 1 << 16  # states live in [LOW, 2**32)
RAW_CHUNK = SCALE  # raw bits are coded at most this many at a time
LANES = 4  # per block (hamx: gaps on lanes 0 and 2, values on 1 and 3; shamx: pairs take turns)


def quantize(counts):
    """Frequencies summing to TOTAL, at least 1 where counts > 0, close to the counts' shape.

    Rounds, then moves single units where they cost the fewest coded bits.
    """
    counts = np.asarray(counts, np.float64)
    present = counts > 0
    if not present.any():
        return np.zeros(counts.size, np.int64)
    if present.sum() > TOTAL:
        raise ValueError(f"{int(present.sum())} symbols do not fit {TOTAL} frequency slots")
    freqs = np.where(present, np.maximum(1, np.rint(counts * TOTAL / counts.sum())), 0)
    freqs = freqs.astype(np.int64)
    while freqs.sum() != TOTAL:
        safe = np.maximum(freqs, 1)
        if freqs.sum() < TOTAL:
            gain = np.where(present, counts * np.log2((safe + 1) / safe), -np.inf)
            freqs[np.argmax(gain)] += 1
        else:
            loss = np.where(freqs > 1, counts * np.log2(safe / np.maximum(safe - 1, 1)), np.inf)
            freqs[np.argmin(loss)] -= 1
    return freqs


def cumulative(freqs):
    """Start of each symbol's slot range."""
    return np.concatenate(([0], np.cumsum(freqs)[:-1])).astype(np.int64)


def decode_table(freqs):
    """Per slot: symbol | freq << 16 | (slot - cum) << 32, one load per decoded token.

    An unused model (all frequencies zero) gets a table of zeros, so lookups stay in bounds.
    """
    freqs = np.asarray(freqs, np.int64)
    if not freqs.any():
        return np.zeros(TOTAL, np.int64)
    symbols = np.repeat(np.arange(freqs.size, dtype=np.int64), freqs)
    slots = np.arange(symbols.size, dtype=np.int64)
    bias = slots - cumulative(freqs)[symbols]
    return symbols | (freqs[symbols] << 16) | (bias << 32)


def check_frequencies(freqs):
    """True when stored frequencies form a model: all zero (unused) or summing to TOTAL."""
    freqs = np.asarray(freqs, np.int64)
    return freqs.size > 0 and (freqs.sum() == TOTAL or not freqs.any()) and freqs.min() >= 0


@njit(cache=True, inline="always")
def token(freq, cum, lane):
    """One token packed in an int64: frequency, cumulative frequency and lane."""
    return freq | (cum << 16) | (np.int64(lane) << 32)


@njit(cache=True, inline="always")
def raw_token(value, left, lane):
    """The token of the next raw chunk of ``value`` (high chunk first), and the bits left after it."""
    b = left % RAW_CHUNK if left % RAW_CHUNK else RAW_CHUNK
    left -= b
    width = np.int64(1) << (SCALE - b)
    return token(width, ((value >> left) & ((1 << b) - 1)) * width, lane), left


@njit(cache=True)
def encode_lanes(tokens, ntokens):
    """Words (uint16) of every lane of tokens[:ntokens], in decoding order, state first.

    One backward pass; lane k's words are ``out[k, starts[k]:]``. Returns (out, starts).
    """
    out = np.empty((LANES, ntokens + 2), np.uint16)
    x = np.full(LANES, LOW, np.int64)
    n = np.full(LANES, ntokens + 2, np.int64)
    for t in range(ntokens - 1, -1, -1):
        tok = tokens[t]
        k = tok >> 32
        freq, cum, state = tok & 0xFFFF, (tok >> 16) & 0xFFFF, x[k]
        if state >= freq << (32 - SCALE):
            n[k] -= 1
            out[k, n[k]] = state & 0xFFFF
            state >>= 16
        x[k] = ((state // freq) << SCALE) + state % freq + cum
    for k in range(LANES):
        out[k, n[k] - 1] = x[k] & 0xFFFF
        out[k, n[k] - 2] = x[k] >> 16
        n[k] -= 2
    return out, n


@njit(cache=True, inline="always")
def append_block(words, offsets, b, out, starts):
    """Put block b's lanes (``encode_lanes``'s out and starts) after the words before them.

    Lane k of block b spans ``offsets[LANES * b + k]:offsets[LANES * b + k + 1]``. Returns
    ``words``, doubled as often as needed to hold them. Inlined, because hamx's words are
    uint16 and shamx's uint32: as a call it would compile twice.
    """
    for k in range(LANES):
        coded = out[k, starts[k]:]
        start = offsets[LANES * b + k]
        end = start + coded.size
        while end > words.size:
            words = np.concatenate((words, np.empty_like(words)))
        words[start:end] = coded
        offsets[LANES * b + k + 1] = end
    return words


@njit(cache=True, inline="always")
def open_lanes(words, offsets, b, width):
    """(state, next word) of block b's lanes, from their first two ``width``-bit words.

    A state read from a crafted stream is kept below 2**63, so it stays positive.
    """
    last = words.size - 1
    x = np.empty(LANES, np.int64)
    for k in range(LANES):
        start = offsets[LANES * b + k]
        high = np.int64(words[min(start, last)]) & ((np.int64(1) << (63 - width)) - 1)
        x[k] = (high << width) | np.int64(words[min(start + 1, last)])
    p = offsets[LANES * b:LANES * b + LANES] + 2
    return x[0], p[0], x[1], p[1], x[2], p[2], x[3], p[3]


@njit(cache=True, inline="always")
def lanes_ended(offsets, b, low, g, pg, v, pv, g2, pg2, v2, pv2):
    """Whether every lane of block b read exactly its words and is back at the encoder's start, low.

    Lanes take turns, so they may have swapped places: pointers compare as sets.
    """
    ends = offsets[LANES * b + 1:LANES * b + LANES + 1]
    pointers = np.sort(np.array([pg, pv, pg2, pv2]))
    return np.array_equal(pointers, ends) and g == v == g2 == v2 == low


@njit(cache=True, inline="always")
def step(x, entry, p, word):
    """Advance state x past the token whose table entry is ``entry``; refill from word.

    Callers pass ``word = words[min(p, last)]``; returns (x, p). The refill is branch-free:
    whether it happens is as good as random, so a branch would be mispredicted often.
    """
    return refill(((entry >> 16) & 0xFFFF) * (x >> SCALE) + (entry >> 32), p, word)


@njit(cache=True, inline="always")
def refill(x, p, word):
    """Shift a word into x if x fell below LOW; returns (x, p)."""
    need = np.int64(x < LOW)
    return (x << (need << 4)) | (np.int64(word) & -need), p + need


@njit(cache=True, inline="always")
def take_bits(x, b, p, word):
    """Decode b <= RAW_CHUNK raw bits; returns (value, x, p). ``word`` as for ``step``."""
    slot = x & MASK
    x = (np.int64(1) << (SCALE - b)) * (x >> SCALE) + (slot & ((1 << (SCALE - b)) - 1))
    x, p = refill(x, p, word)
    return slot >> (SCALE - b), x, p


@njit(cache=True)
def take_raw(x, nbits, words, p):
    """Decode ``nbits`` raw bits (high chunk first); returns (value, x, p)."""
    last = words.size - 1
    value = np.int64(0)
    left = nbits
    while left > 0:
        b = left % RAW_CHUNK if left % RAW_CHUNK else RAW_CHUNK
        left -= b
        chunk, x, p = take_bits(x, b, p, words[min(p, last)])
        value = (value << b) | chunk
    return value, x, p
