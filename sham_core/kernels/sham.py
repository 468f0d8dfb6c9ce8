"""sHAM kernels: ``x @ W`` over CSC row indices and Huffman-coded nonzero values."""
import numpy as np
from numba import njit, prange

from .bitstream import U64, open_reader, refill
from .entropy import next_code


@njit(cache=True, parallel=True)
def sham_matvec(words, offsets, table1, table2, values, colptr, rows, cols_per_block, x):
    m = colptr.size - 1
    y = np.empty(m, np.float32)
    h_end = 2 * words.size
    for b in prange(offsets.size - 1):
        buf, nb, h = open_reader(words, 64 * offsets[b], h_end)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc = 0.0
            for t in range(colptr[j], colptr[j + 1]):
                _, symbol, length = next_code(buf, table1, table2)
                acc += x[rows[t]] * values[symbol]
                buf <<= U64(length)
                nb -= length
                buf, nb, h = refill(words, buf, nb, h, h_end)
            y[j] = acc
    return y


@njit(cache=True, parallel=True)
def sham_matmat(words, offsets, table1, table2, values, colptr, rows, cols_per_block, XT):
    m = colptr.size - 1
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    h_end = 2 * words.size
    for b in prange(offsets.size - 1):
        buf, nb, h = open_reader(words, 64 * offsets[b], h_end)
        acc = np.empty(batch, np.float64)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc[:] = 0.0
            for t in range(colptr[j], colptr[j + 1]):
                _, symbol, length = next_code(buf, table1, table2)
                v = values[symbol]
                row = XT[rows[t]]
                for c in range(batch):
                    acc[c] += v * row[c]
                buf <<= U64(length)
                nb -= length
                buf, nb, h = refill(words, buf, nb, h, h_end)
            YT[j] = acc
    return YT
