"""sHAM kernels: ``x @ W`` over CSC row indices and Huffman-coded nonzero values.

The vector product decodes two short codes per table lookup where it can (a pair
table), which halves the serial chain of lookups that bounds its speed.
"""
import numpy as np
from numba import njit, prange

from .bitstream import consume, open_reader
from .entropy import SHIFT1, second_index
from .huffman import PAIR
from .small_batch import acc_buffer, acc_madd, acc_madd2, acc_store, acc_zero


@njit(cache=True, parallel=True)
def sham_matvec(words, offsets, pair_table, table2, values, colptr, rows, cols_per_block, x):
    m = colptr.size - 1
    y = np.empty(m, np.float32)
    last = words.size - 1
    for b in prange(offsets.size - 1):
        buf, nb, h = open_reader(words, 64 * offsets[b])
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc = 0.0
            t = colptr[j]
            end = colptr[j + 1]
            while t < end:
                e = pair_table[buf >> SHIFT1]
                if e & PAIR:
                    first = (e >> 32) & 0xFFFF
                    if t + 1 < end:
                        acc += x[rows[t]] * values[first] + x[rows[t + 1]] * values[(e >> 48) & 0xFFFF]
                        t += 2
                        length = e & 0xFF
                    else:
                        acc += x[rows[t]] * values[first]
                        t += 1
                        length = (e >> 8) & 0xFF
                else:
                    if e & 0xFF == 0:
                        e = table2[second_index(buf, e)]
                    acc += x[rows[t]] * values[e >> 32]
                    t += 1
                    length = e & 0xFF
                buf, nb, h = consume(buf, nb, h, length, words[min(h >> 1, last)])
            y[j] = acc
    return y


@njit(cache=True, parallel=True)
def sham_matmat(words, offsets, table1, table2, values, colptr, rows, cols_per_block, XT):
    m = colptr.size - 1
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    last = words.size - 1
    for b in prange(offsets.size - 1):
        buf, nb, h = open_reader(words, 64 * offsets[b])
        acc = np.empty(batch, np.float64)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc[:] = 0.0
            for t in range(colptr[j], colptr[j + 1]):
                e = table1[buf >> SHIFT1]
                if e & 0xFF == 0:
                    e = table2[second_index(buf, e)]
                v = values[e >> 32]
                row = XT[rows[t]]
                for c in range(batch):
                    acc[c] += v * row[c]
                buf, nb, h = consume(buf, nb, h, e & 0xFF, words[min(h >> 1, last)])
            YT[j] = acc
    return YT


@njit(cache=True, parallel=True)
def sham_small(words, offsets, pair_table, table2, values, colptr, rows, cols_per_block, XT, batch):
    """``sham_matvec`` for X^T of shape (n, len(batch)) (see ``small_batch``): the same pair
    decoding and the same sums, so each row of X gets the bits ``sham_matvec`` gives it."""
    m = colptr.size - 1
    YT = np.empty((m, len(batch)), np.float32)
    last = words.size - 1
    for b in prange(offsets.size - 1):
        buf, nb, h = open_reader(words, 64 * offsets[b])
        acc = acc_buffer(batch)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc_zero(acc, 0, batch)
            t = colptr[j]
            end = colptr[j + 1]
            while t < end:
                e = pair_table[buf >> SHIFT1]
                if e & PAIR:
                    first = (e >> 32) & 0xFFFF
                    if t + 1 < end:
                        acc_madd2(acc, 0, XT, rows[t], values[first], rows[t + 1],
                                  values[(e >> 48) & 0xFFFF], batch)
                        t += 2
                        length = e & 0xFF
                    else:
                        acc_madd(acc, 0, XT, rows[t], values[first], batch)
                        t += 1
                        length = (e >> 8) & 0xFF
                else:
                    if e & 0xFF == 0:
                        e = table2[second_index(buf, e)]
                    acc_madd(acc, 0, XT, rows[t], values[e >> 32], batch)
                    t += 1
                    length = e & 0xFF
                buf, nb, h = consume(buf, nb, h, length, words[min(h >> 1, last)])
            acc_store(YT, j, acc, 0, batch)
    return YT
