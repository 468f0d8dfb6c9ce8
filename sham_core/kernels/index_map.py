"""Index map kernels: ``x @ W`` straight from fixed-width codebook indices.

Indices are packed column-major, ``width`` bits each, so column block b starts at
bit ``j0 * n * width`` and blocks are read in parallel.
"""
import numpy as np
from numba import njit, prange

from .bitstream import consume, open_reader
from .small_batch import acc_add, acc_buffer, acc_madd, acc_store, acc_zero


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


@njit(cache=True, parallel=True)
def im_small(words, width, codebook, n, m, cols_per_block, XT, batch):
    """``im_matvec`` for X^T of shape (n, len(batch)) (see ``small_batch``): the same two sums,
    over even and over odd rows, each entry's product with its row of X^T, so each row of X
    gets the bits ``im_matvec`` gives it (zeros included, as there, whatever the inputs).

    Every entry is added, zero or not: a width-8 batch's vector add runs beside the
    decoding, which bounds ``im_matvec`` as well, so b = 2..8 costs about what b = 1 does.
    Skipping the zeros needs a branch per entry or a gather pass: at width 8 that cost more
    than the adds it saves at every sparsity measured on 4096x4096, at width 16 below about
    90 % zeros. Index maps mostly hold quantized conv kernels, which have few zeros.
    """
    YT = np.empty((m, len(batch)), np.float32)
    last = words.size - 1
    shift = np.uint64(64 - width)
    for b in prange((m + cols_per_block - 1) // cols_per_block):
        j0 = b * cols_per_block
        acc = acc_buffer(batch)
        odd_acc = acc_buffer(batch)
        buf, nb, h = open_reader(words, j0 * n * width)
        for j in range(j0, min(m, j0 + cols_per_block)):
            acc_zero(acc, 0, batch)
            acc_zero(odd_acc, 0, batch)
            for i in range(0, n - 1, 2):
                acc_madd(acc, 0, XT, i, codebook[buf >> shift], batch)
                buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
                acc_madd(odd_acc, 0, XT, i + 1, codebook[buf >> shift], batch)
                buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
            if n & 1:
                acc_madd(acc, 0, XT, n - 1, codebook[buf >> shift], batch)
                buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
            acc_add(acc, 0, odd_acc, 0, batch)
            acc_store(YT, j, acc, 0, batch)
    return YT
