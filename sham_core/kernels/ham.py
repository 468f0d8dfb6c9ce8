"""HAM kernels: ``x @ W`` over the Huffman stream of all entries, column-major.

The first-level table decodes a run of zero codes plus one more symbol per lookup.
When zero has the 1-bit code "0", a run is just the leading zero bits of the
register, counted with one instruction.
"""
import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.numbers import leading_zeros

from .bitstream import U64, open_reader, refill
from .entropy import next_code


@njit(cache=True, inline="always")
def _advance(y, i, j, acc, steps, n):
    """Move ``steps`` entries down the column-major order, storing finished columns."""
    i += steps
    while i >= n:
        y[j] = acc
        acc = 0.0
        j += 1
        i -= n
    return i, j, acc


@njit(cache=True, inline="always")
def _advance_batch(YT, i, j, acc, steps, n):
    i += steps
    while i >= n:
        YT[j] = acc
        acc[:] = 0.0
        j += 1
        i -= n
    return i, j


@njit(cache=True, inline="always")
def _zero_run(buf, remaining):
    """Entries covered by the leading zero bits (zero's code is "0"), at most 32."""
    return min(np.int64(leading_zeros(buf)), 32, remaining)


@njit(cache=True, parallel=True)
def ham_matvec(words, offsets, table1, table2, values, n, m, cols_per_block, zero_is_bit, x):
    y = np.empty(m, np.float32)
    h_end = 2 * words.size
    for b in prange(offsets.size - 1):
        j = b * cols_per_block
        remaining = (min(m, j + cols_per_block) - j) * n
        buf, nb, h = open_reader(words, 64 * offsets[b], h_end)
        i = 0
        acc = 0.0
        while remaining > 0:
            if zero_is_bit:
                run = _zero_run(buf, remaining)
                i, j, acc = _advance(y, i, j, acc, run, n)
                remaining -= run
                buf <<= U64(run)
                nb -= run
                buf, nb, h = refill(words, buf, nb, h, h_end)
                if run == 32 or remaining == 0:
                    continue
            run, symbol, length = next_code(buf, table1, table2)
            run = min(run, remaining)
            i, j, acc = _advance(y, i, j, acc, run, n)
            remaining -= run
            if symbol >= 0 and remaining > 0:
                acc += x[i] * values[symbol]
                i, j, acc = _advance(y, i, j, acc, 1, n)
                remaining -= 1
            buf <<= U64(length)
            nb -= length
            buf, nb, h = refill(words, buf, nb, h, h_end)
    return y


@njit(cache=True, parallel=True)
def ham_matmat(words, offsets, table1, table2, values, n, m, cols_per_block, zero_is_bit, XT):
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    h_end = 2 * words.size
    for b in prange(offsets.size - 1):
        j = b * cols_per_block
        remaining = (min(m, j + cols_per_block) - j) * n
        buf, nb, h = open_reader(words, 64 * offsets[b], h_end)
        i = 0
        acc = np.zeros(batch, np.float64)
        while remaining > 0:
            if zero_is_bit:
                run = _zero_run(buf, remaining)
                i, j = _advance_batch(YT, i, j, acc, run, n)
                remaining -= run
                buf <<= U64(run)
                nb -= run
                buf, nb, h = refill(words, buf, nb, h, h_end)
                if run == 32 or remaining == 0:
                    continue
            run, symbol, length = next_code(buf, table1, table2)
            run = min(run, remaining)
            i, j = _advance_batch(YT, i, j, acc, run, n)
            remaining -= run
            if symbol >= 0 and remaining > 0:
                v = values[symbol]
                row = XT[i]
                for c in range(batch):
                    acc[c] += v * row[c]
                i, j = _advance_batch(YT, i, j, acc, 1, n)
                remaining -= 1
            buf <<= U64(length)
            nb -= length
            buf, nb, h = refill(words, buf, nb, h, h_end)
    return YT
