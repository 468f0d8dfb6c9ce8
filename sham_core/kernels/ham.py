"""HAM kernels: ``x @ W`` over the Huffman stream of all entries, column-major.

The first-level table decodes a run of zero codes plus one more symbol per lookup.
When zero has the 1-bit code "0", a run is just the leading zero bits of the
register, counted with one instruction.
"""
import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.numbers import leading_zeros

from .bitstream import consume, open_reader
from .entropy import SHIFT1, entry_fields, second_index
from .small_batch import acc_buffer, acc_madd, acc_store, acc_zero


@njit(cache=True, inline="always")
def _zero_run(buf, remaining):
    """Entries covered by the leading zero bits (zero's code is "0"), at most 32."""
    return min(np.int64(leading_zeros(buf)), 32, remaining)


@njit(cache=True, parallel=True)
def ham_matvec(words, offsets, table1, table2, values, n, m, cols_per_block, zero_is_bit, x):
    y = np.empty(m, np.float32)
    last = words.size - 1
    for b in prange(offsets.size - 1):
        j = b * cols_per_block
        remaining = (min(m, j + cols_per_block) - j) * n
        buf, nb, h = open_reader(words, 64 * offsets[b])
        i = 0
        acc = 0.0
        while remaining > 0:
            run, symbol, length = 0, -1, 0
            if zero_is_bit:
                run = _zero_run(buf, remaining)
                buf, nb, h = consume(buf, nb, h, run, words[min(h >> 1, last)])
            if run < 32 and run < remaining:
                e = table1[buf >> SHIFT1]
                if e & 0xFF == 0:
                    e = table2[second_index(buf, e)]
                more, symbol, length = entry_fields(e)
                run = min(run + more, remaining)
            i += run
            remaining -= run
            while i >= n:
                y[j] = acc
                acc = 0.0
                j += 1
                i -= n
            if symbol >= 0 and remaining > 0:
                acc += x[i] * values[symbol]
                i += 1
                remaining -= 1
                if i == n:
                    y[j] = acc
                    acc = 0.0
                    j += 1
                    i = 0
            buf, nb, h = consume(buf, nb, h, length, words[min(h >> 1, last)])
    return y


@njit(cache=True, parallel=True)
def ham_matmat(words, offsets, table1, table2, values, n, m, cols_per_block, zero_is_bit, XT):
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    last = words.size - 1
    for b in prange(offsets.size - 1):
        j = b * cols_per_block
        remaining = (min(m, j + cols_per_block) - j) * n
        buf, nb, h = open_reader(words, 64 * offsets[b])
        i = 0
        acc = np.zeros(batch, np.float64)
        while remaining > 0:
            run, symbol, length = 0, -1, 0
            if zero_is_bit:
                run = _zero_run(buf, remaining)
                buf, nb, h = consume(buf, nb, h, run, words[min(h >> 1, last)])
            if run < 32 and run < remaining:
                e = table1[buf >> SHIFT1]
                if e & 0xFF == 0:
                    e = table2[second_index(buf, e)]
                more, symbol, length = entry_fields(e)
                run = min(run + more, remaining)
            i += run
            remaining -= run
            while i >= n:
                YT[j] = acc
                acc[:] = 0.0
                j += 1
                i -= n
            if symbol >= 0 and remaining > 0:
                v = values[symbol]
                row = XT[i]
                for c in range(batch):
                    acc[c] += v * row[c]
                i += 1
                remaining -= 1
                if i == n:
                    YT[j] = acc
                    acc[:] = 0.0
                    j += 1
                    i = 0
            buf, nb, h = consume(buf, nb, h, length, words[min(h >> 1, last)])
    return YT


@njit(cache=True, parallel=True)
def ham_small(words, offsets, table1, table2, values, n, m, cols_per_block, zero_is_bit, XT, batch):
    """``ham_matmat`` for X^T of shape (n, len(batch)) (see ``small_batch``): its sums, which are
    ``ham_matvec``'s, so each row of X gets the bits ``ham_matvec`` gives it."""
    YT = np.empty((m, len(batch)), np.float32)
    last = words.size - 1
    for b in prange(offsets.size - 1):
        j = b * cols_per_block
        remaining = (min(m, j + cols_per_block) - j) * n
        buf, nb, h = open_reader(words, 64 * offsets[b])
        i = 0
        acc = acc_buffer(batch)
        acc_zero(acc, 0, batch)
        while remaining > 0:
            run, symbol, length = 0, -1, 0
            if zero_is_bit:
                run = _zero_run(buf, remaining)
                buf, nb, h = consume(buf, nb, h, run, words[min(h >> 1, last)])
            if run < 32 and run < remaining:
                e = table1[buf >> SHIFT1]
                if e & 0xFF == 0:
                    e = table2[second_index(buf, e)]
                more, symbol, length = entry_fields(e)
                run = min(run + more, remaining)
            i += run
            remaining -= run
            while i >= n:
                acc_store(YT, j, acc, 0, batch)
                acc_zero(acc, 0, batch)
                j += 1
                i -= n
            if symbol >= 0 and remaining > 0:
                acc_madd(acc, 0, XT, i, values[symbol], batch)
                i += 1
                remaining -= 1
                if i == n:
                    acc_store(YT, j, acc, 0, batch)
                    acc_zero(acc, 0, batch)
                    j += 1
                    i = 0
            buf, nb, h = consume(buf, nb, h, length, words[min(h >> 1, last)])
    return YT
