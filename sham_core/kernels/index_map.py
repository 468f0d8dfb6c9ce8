"""Index map kernels: ``x @ W`` straight from fixed-width codebook indices.

Indices are packed column-major, ``width`` bits each, so column block b starts at
bit ``j0 * n * width`` and blocks are read in parallel.
"""
import numpy as np
from numba import njit, prange

from .bitstream import consume, open_reader


@njit(cache=True, parallel=True)
def im_matvec(words, width, codebook, n, m, cols_per_block, x):
    """Two running sums per column, so that additions do not wait on each other."""
    y = np.empty(m, np.float32)
    last = words.size - 1
    shift = np.uint64(64 - width)
    for b in prange((m + cols_per_block - 1) // cols_per_block):
        j0 = b * cols_per_block
        buf, nb, h = open_reader(words, j0 * n * width)
        for j in range(j0, min(m, j0 + cols_per_block)):
            even = 0.0
            odd = 0.0
            for i in range(n):
                v = x[i] * codebook[buf >> shift]
                if i & 1:
                    odd += v
                else:
                    even += v
                buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
            y[j] = even + odd
    return y


@njit(cache=True, parallel=True)
def im_matmat(words, width, codebook, n, m, cols_per_block, XT):
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    last = words.size - 1
    shift = np.uint64(64 - width)
    for b in prange((m + cols_per_block - 1) // cols_per_block):
        j0 = b * cols_per_block
        acc = np.empty(batch, np.float64)
        buf, nb, h = open_reader(words, j0 * n * width)
        for j in range(j0, min(m, j0 + cols_per_block)):
            acc[:] = 0.0
            for i in range(n):
                v = codebook[buf >> shift]
                buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
                if v != 0.0:
                    row = XT[i]
                    for c in range(batch):
                        acc[c] += v * row[c]
            YT[j] = acc
    return YT
