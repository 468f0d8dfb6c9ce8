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


@njit(cache=True)
def _gather_column(words, buf, nb, h, width, zero_code, n, gathered, half):
    """Decode one column's n codes and gather its entries other than ``zero_code`` (-1: none)
    as row << 32 | code, even rows at gathered[:evens], odd rows at gathered[half:half + odds],
    in row order, without a branch: each entry is written, and its count moves on only past
    a nonzero. Returns (evens, odds, buf, nb, h)."""
    last = words.size - 1
    shift = np.uint64(64 - width)
    evens = 0
    odds = 0
    for i in range(0, n - 1, 2):
        code = np.int64(buf >> shift)
        buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
        gathered[evens] = (i << 32) | code
        evens += code != zero_code
        code = np.int64(buf >> shift)
        buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
        gathered[half + odds] = ((i + 1) << 32) | code
        odds += code != zero_code
    if n & 1:
        code = np.int64(buf >> shift)
        buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
        gathered[evens] = ((n - 1) << 32) | code
        evens += code != zero_code
    return evens, odds, buf, nb, h


@njit(cache=True, parallel=True)
def im_small(words, width, codebook, zero_code, n, m, cols_per_block, XT, batch):
    """``im_matvec`` for X^T of shape (n, len(batch)) (see ``small_batch``): the same two sums,
    over even and over odd rows, so each row of X gets the bits ``im_matvec`` gives it.

    A column's entries other than +0.0 (code ``zero_code``; -1 if none) are gathered first
    (``_gather_column``), so that a zero costs its decoding and no mispredicted branch; their
    rows of X^T are then added in order, the even and the odd sums in step. Leaving out the
    zeros leaves the sums as they are: adding x * 0.0 to a float64 sum that starts at +0.0
    changes nothing (inputs that are not finite aside).
    """
    YT = np.empty((m, len(batch)), np.float32)
    half = (n + 1) // 2
    for b in prange((m + cols_per_block - 1) // cols_per_block):
        j0 = b * cols_per_block
        acc = acc_buffer(batch)
        odd_acc = acc_buffer(batch)
        gathered = np.empty(2 * half, np.int64)
        buf, nb, h = open_reader(words, j0 * n * width)
        for j in range(j0, min(m, j0 + cols_per_block)):
            evens, odds, buf, nb, h = _gather_column(words, buf, nb, h, width, zero_code, n,
                                                     gathered, half)
            acc_zero(acc, 0, batch)
            acc_zero(odd_acc, 0, batch)
            both = min(evens, odds)
            for t in range(both):
                entry = gathered[t]
                acc_madd(acc, 0, XT, entry >> 32, codebook[entry & 0xFFFFFFFF], batch)
                entry = gathered[half + t]
                acc_madd(odd_acc, 0, XT, entry >> 32, codebook[entry & 0xFFFFFFFF], batch)
            for t in range(both, evens):
                entry = gathered[t]
                acc_madd(acc, 0, XT, entry >> 32, codebook[entry & 0xFFFFFFFF], batch)
            for t in range(half + both, half + odds):
                entry = gathered[t]
                acc_madd(odd_acc, 0, XT, entry >> 32, codebook[entry & 0xFFFFFFFF], batch)
            acc_add(acc, 0, odd_acc, 0, batch)
            acc_store(YT, j, acc, 0, batch)
    return YT
