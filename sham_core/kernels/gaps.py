"""Run and gap lengths as an rANS symbol plus raw low bits: 0-15 exactly, then 4 buckets per octave.

A length r >= 16 with top bit e becomes symbol 16 + 4 (e - 4) + (its next two bits) and the
e - 2 bits below them, raw. The symbols stay few (a small table), a token or two codes any
length, and the raw bits cost little because lengths within a quarter octave are nearly
equally likely.
"""
import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import leading_zeros

EXACT = 16


@njit(cache=True, inline="always")
def gap_symbol(r):
    """(symbol, raw bits, number of raw bits) of length r >= 0."""
    if r < EXACT:
        return r, 0, 0
    e = 63 - np.int64(leading_zeros(np.uint64(r)))
    return EXACT + 4 * (e - 4) + ((r >> (e - 2)) & 3), r & ((np.int64(1) << (e - 2)) - 1), e - 2


@njit(cache=True, inline="always")
def gap_base(symbol):
    """(smallest length, number of raw bits) of a symbol."""
    if symbol < EXACT:
        return symbol, 0
    e = 4 + ((symbol - EXACT) >> 2)
    return (4 | ((symbol - EXACT) & 3)) << (e - 2), e - 2


@njit(cache=True)
def gap_symbols(lengths):
    """The symbol of every length, for counting."""
    symbols = np.empty(lengths.size, np.int64)
    for t in range(lengths.size):
        symbols[t] = gap_symbol(lengths[t])[0]
    return symbols
