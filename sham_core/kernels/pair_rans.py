"""rANS that codes a (gap, value) pair, and a few raw bits of the gap, in one step.

The 24 low bits of a state are two 12-bit slots, one per model: the gap symbol's slot
(low 12 bits) and the value's (next 12). A pair owns every combination of its gap's and
its value's slots, so its frequency is the product of theirs and one multiply-add
advances the state past both; up to FOLD raw low bits of the gap sit above the slots.
Decoding thus takes one state update per nonzero where coding gap and value apart takes
two or three, at the same 12-bit precision per model.

States are int64 in [LOW, 2**63) with 32-bit words (uint32). Raw bits that do not fold
(long gaps, escaped values) are tokens of their own, up to RAW_CHUNK bits each, on the
lane of the pair they belong to; consecutive pairs take turns over a block's LANES lanes.
Hot-loop helpers take and return scalars (``bitstream``).
"""
import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import leading_zeros

from .gaps import gap_base
from .rans import LANES, SCALE, TOTAL, cumulative

SLOT_MASK = TOTAL - 1
PAIR_BITS = 2 * SCALE
FOLD = 7  # a pair spans at most 2**(PAIR_BITS + FOLD) = LOW slots
LOW = 1 << (PAIR_BITS + FOLD)
WORD_BITS = 32
RAW_CHUNK = 24
RAW = 1 << 62  # marks a raw token
MAX_BASE = 1 << 25  # gap table entries hold smaller bases (so shamx takes fewer rows)


@njit(cache=True, inline="always")
def pair_token(gfreq, gcum, vfreq, vcum, low_bits, fold, lane):
    """A pair packed in an int64: both models' frequency and cumulative frequency, and the
    gap's ``fold`` low raw bits."""
    return (gfreq | (vfreq << 13) | (gcum << 26) | (vcum << 38) | (low_bits << 50)
            | (np.int64(fold) << 57) | (np.int64(lane) << 60))


@njit(cache=True, inline="always")
def raw_token(value, left, lane):
    """The token of the next raw chunk of ``value`` (high chunk first), and the bits left after it."""
    b = left % RAW_CHUNK if left % RAW_CHUNK else RAW_CHUNK
    left -= b
    return RAW | ((value >> left) & ((1 << b) - 1)) | (b << 24) | (np.int64(lane) << 60), left


@njit(cache=True)
def encode_lanes(tokens, ntokens):
    """Words (uint32) of every lane of tokens[:ntokens], in decoding order, state first.

    One backward pass; lane k's words are ``out[k, starts[k]:]``. Returns (out, starts).
    """
    out = np.empty((LANES, ntokens + 2), np.uint32)
    x = np.full(LANES, LOW, np.int64)
    n = np.full(LANES, ntokens + 2, np.int64)
    for t in range(ntokens - 1, -1, -1):
        tok = tokens[t]
        k = (tok >> 60) & 3
        if tok & RAW:
            freq, vfreq, nbits = 1, 1, (tok >> 24) & 31
        else:
            vfreq = (tok >> 13) & 0x1FFF
            freq, nbits = (tok & 0x1FFF) * vfreq, PAIR_BITS + ((tok >> 57) & 7)
        state = x[k]
        if state >= ((LOW >> nbits) << WORD_BITS) * freq:
            n[k] -= 1
            out[k, n[k]] = state & 0xFFFFFFFF
            state >>= WORD_BITS
        q, r = state // freq, state % freq
        if tok & RAW:
            slots = tok & 0xFFFFFF
        else:
            slots = ((((tok >> 26) & SLOT_MASK) + r // vfreq)
                     | ((((tok >> 38) & SLOT_MASK) + r % vfreq) << SCALE)
                     | (((tok >> 50) & 0x7F) << PAIR_BITS))
        x[k] = (q << nbits) | slots
    for k in range(LANES):
        out[k, n[k] - 1] = x[k] & 0xFFFFFFFF
        out[k, n[k] - 2] = x[k] >> WORD_BITS
        n[k] -= 2
    return out, n


@njit(cache=True, inline="always")
def refill(x, p, word):
    """Shift a word into x if x fell below LOW; returns (x, p). Branch-free, as in ``rans``."""
    need = np.int64(x < LOW)
    return (x << (need * WORD_BITS)) | (np.int64(word) & -need), p + need


@njit(cache=True, inline="always")
def gap_in(x, g):
    """The gap a state codes, from its gap table entry g (before a long gap's extra bits)."""
    return ((g >> 38) & (MAX_BASE - 1)) + ((x >> PAIR_BITS) & ((g >> 31) & 0x7F))


@njit(cache=True, inline="always")
def pair_step(x, g, v, p, word):
    """Advance x past the pair with gap and value table entries g and v; returns (x, p).

    Callers pass ``word = words[min(p, last)]``. The shift count sits in g's low 6 bits,
    where the shift instruction reads it without masking.
    """
    inner = ((g >> 6) & 0x1FFF) * (x >> (g & 63)) + ((g >> 19) & 0xFFF)
    return refill((v & 0x1FFF) * inner + ((v >> 13) & 0xFFF), p, word)


@njit(cache=True)
def take_raw(x, nbits, words, p):
    """Decode ``nbits`` raw bits (high chunk first); returns (value, x, p)."""
    last = words.size - 1
    value = np.int64(0)
    left = nbits
    while left > 0:
        b = left % RAW_CHUNK if left % RAW_CHUNK else RAW_CHUNK
        left -= b
        value = (value << b) | (x & ((1 << b) - 1))
        x, p = refill(x >> b, p, words[min(p, last)])
    return value, x, p


@njit(cache=True)
def rare_tail(x, p, words, g, v, gap, escape, rare_bits, nvalues):
    """A long gap's extra raw bits and an escaped value's index, where the pair has them
    (a negative table entry says which).

    Returns (gap, codebook index or -1 for a modelled value, x, p).
    """
    if g < 0:  # a long gap folds FOLD of its raw bits; its base 2**e * (4 | q) / 4 tells the rest
        raw_bits = 61 - np.int64(leading_zeros(np.uint64((g >> 38) & (MAX_BASE - 1))))
        high, x, p = take_raw(x, raw_bits - FOLD, words, p)
        gap += high << FOLD
    code = -1
    if v < 0:
        index, x, p = take_raw(x, rare_bits, words, p)
        code = min(escape + index, nvalues - 1)
    return gap, code, x, p


def gap_table(freqs):
    """Per gap slot: shift | freq << 6 | (slot - cum) << 19 | raw mask << 31 | base << 38,
    negative for a gap with raw bits beyond the FOLD folded ones."""
    freqs = np.asarray(freqs, np.int64)
    if not freqs.any():
        return np.zeros(TOTAL, np.int64)
    symbols = np.repeat(np.arange(freqs.size), freqs)
    bases, nbits = np.array([gap_base(s) for s in range(freqs.size)], np.int64).T
    if bases.max() >= MAX_BASE:
        raise ValueError(f"gaps of {MAX_BASE} rows or more do not fit a pair table")
    fold = np.minimum(nbits, FOLD)
    per_symbol = ((PAIR_BITS + fold) | (freqs << 6) | (((1 << fold) - 1) << 31) | (bases << 38)
                  | np.where(nbits > FOLD, np.int64(-1) << 63, 0))
    return per_symbol[symbols] | ((np.arange(TOTAL) - cumulative(freqs)[symbols]) << 19)


def value_table(freqs, escape):
    """Per value slot: (freq | (slot - cum) << 13 as int32, negative for the escape; symbol)."""
    freqs = np.asarray(freqs, np.int64)
    if not freqs.any():
        return np.zeros(TOTAL, np.int32), np.zeros(TOTAL, np.int64)
    symbols = np.repeat(np.arange(freqs.size), freqs)
    entries = freqs[symbols] | ((np.arange(TOTAL) - cumulative(freqs)[symbols]) << 13)
    return np.where(symbols == escape, entries | (-1 << 31), entries).astype(np.int32), symbols
