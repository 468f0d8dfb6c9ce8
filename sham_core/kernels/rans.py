"""Range asymmetric numeral systems (rANS): 32-bit states, 16-bit words, interleaved lanes.

Every token is coded with a frequency ``freq`` and cumulative frequency ``cum`` out of
``1 << SCALE``. Several lanes (independent states) share one word stream: the encoder
runs backwards over the tokens, the decoder forwards, so their reads and writes meet
in the same order, and the decoder's lanes form independent dependency chains.

Raw bits are tokens too, with a uniform distribution, so one stream holds everything.
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
        return np.zeros(TOTAL, np.uint64)
    symbols = np.repeat(np.arange(freqs.size, dtype=np.int64), freqs)
    slots = np.arange(symbols.size, dtype=np.int64)
    bias = slots - cumulative(freqs)[symbols]
    return (symbols | (freqs[symbols] << 16) | (bias << 32)).astype(np.uint64)


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
def encode_tokens(tokens, ntokens, nlanes):
    """Words (uint16) of tokens[:ntokens] in decoding order, lane states first."""
    out = np.empty(ntokens + 2 * nlanes, np.uint16)
    states = np.full(nlanes, LOW, np.int64)
    n = out.size
    for t in range(ntokens - 1, -1, -1):
        tok = tokens[t]
        freq, cum, k = tok & 0xFFFF, (tok >> 16) & 0xFFFF, tok >> 32
        x = states[k]
        if x >= freq << (32 - SCALE):
            n -= 1
            out[n] = x & 0xFFFF
            x >>= 16
        states[k] = ((x // freq) << SCALE) + x % freq + cum
    for k in range(nlanes - 1, -1, -1):
        out[n - 1] = states[k] & 0xFFFF
        out[n - 2] = states[k] >> 16
        n -= 2
    return out[n:]


@njit(cache=True)
def append_block(words, offsets, b, tokens, ntokens):
    """Code block b's tokens (two lanes) after block b - 1's words; returns ``words``, grown if needed."""
    coded = encode_tokens(tokens, ntokens, 2)
    end = offsets[b] + coded.size
    if end > words.size:
        bigger = np.empty(max(end, 2 * words.size), np.uint16)
        bigger[:offsets[b]] = words[:offsets[b]]
        words = bigger
    words[offsets[b]:end] = coded
    offsets[b + 1] = end
    return words


@njit(cache=True, inline="always")
def open_state(hi, lo):
    """A lane's starting state from its two stored words."""
    return (np.int64(hi) << 16) | np.int64(lo)


@njit(cache=True, inline="always")
def step(x, entry, p, word):
    """Advance state x past the token whose table entry is ``entry``; refill from word.

    Callers pass ``word = words[min(p, last)]``; returns (x, p).
    """
    x = ((entry >> 16) & 0xFFFF) * (x >> SCALE) + (entry >> 32)
    if x < LOW:
        return (x << 16) | np.int64(word), p + 1
    return x, p


@njit(cache=True, inline="always")
def take_bits(x, b, p, word):
    """Decode b <= RAW_CHUNK raw bits; returns (value, x, p). ``word`` as for ``step``."""
    slot = x & MASK
    x = (np.int64(1) << (SCALE - b)) * (x >> SCALE) + (slot & ((1 << (SCALE - b)) - 1))
    if x < LOW:
        return slot >> (SCALE - b), (x << 16) | np.int64(word), p + 1
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
        slot = x & MASK
        value = (value << b) | (slot >> (SCALE - b))
        x = (np.int64(1) << (SCALE - b)) * (x >> SCALE) + (slot & ((1 << (SCALE - b)) - 1))
        if x < LOW:
            x = (x << 16) | np.int64(words[min(p, last)])
            p += 1
    return value, x, p
