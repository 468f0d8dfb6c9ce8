"""Compressed sparse kernels: build from a dense matrix, and ``x @ W`` for CSC and CSR.

A structural zero is an entry whose float32 bits are all zero (+0.0); -0.0 is kept
as an explicit entry so that the round trip is bit-exact.
"""
import numpy as np
from numba import njit, prange

from .small_batch import acc_buffer, acc_madd, acc_store, acc_zero


@njit(cache=True, parallel=True)
def compress_major(bits):
    """(pointers, minor indices, positions) of the nonzero bits of each row of ``bits``."""
    major, minor = bits.shape
    counts = np.zeros(major + 1, np.int64)
    for r in prange(major):
        c = 0
        for s in range(minor):
            if bits[r, s] != 0:
                c += 1
        counts[r + 1] = c
    pointers = np.cumsum(counts)
    indices = np.empty(pointers[-1], np.int32)
    for r in prange(major):
        t = pointers[r]
        for s in range(minor):
            if bits[r, s] != 0:
                indices[t] = s
                t += 1
    return pointers, indices


@njit(cache=True, parallel=True)
def column_matvec(pointers, rows, values, x):
    """y[j] = sum over column j's entries of x[row] * value (CSC, one vector)."""
    m = pointers.size - 1
    y = np.empty(m, np.float32)
    for j in prange(m):
        acc = 0.0
        for t in range(pointers[j], pointers[j + 1]):
            acc += x[rows[t]] * values[t]
        y[j] = acc
    return y


@njit(cache=True, parallel=True)
def column_matmat(pointers, rows, values, XT):
    """Y^T = (X @ W)^T for CSC W and X^T of shape (n, b)."""
    m = pointers.size - 1
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    for j in prange(m):
        acc = np.zeros(batch, np.float64)
        for t in range(pointers[j], pointers[j + 1]):
            v = values[t]
            row = XT[rows[t]]
            for c in range(batch):
                acc[c] += v * row[c]
        YT[j] = acc
    return YT


@njit(cache=True, parallel=True)
def column_small(pointers, rows, values, XT, batch):
    """``column_matmat`` for X^T of shape (n, len(batch)) (see ``small_batch``): its sums, which
    are ``column_matvec``'s, so each row of X gets the bits ``column_matvec`` gives it."""
    m = pointers.size - 1
    YT = np.empty((m, len(batch)), np.float32)
    for j in prange(m):
        acc = acc_buffer(batch)
        acc_zero(acc, 0, batch)
        for t in range(pointers[j], pointers[j + 1]):
            acc_madd(acc, 0, XT, rows[t], values[t], batch)
        acc_store(YT, j, acc, 0, batch)
    return YT


@njit(cache=True, parallel=True)
def row_matmat(pointers, cols, values, XT, m, nchunks):
    """(X @ W)^T for CSR W and X^T of shape (n, b).

    Row chunks scatter into private sums, added at the end, so threads never race.
    """
    n = pointers.size - 1
    batch = XT.shape[1]
    partial = np.zeros((nchunks, m, batch), np.float64)
    step = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        for i in range(c * step, min(n, (c + 1) * step)):
            row = XT[i]
            for t in range(pointers[i], pointers[i + 1]):
                v = values[t]
                out = partial[c, cols[t]]
                for r in range(batch):
                    out[r] += v * row[r]
    return partial.sum(axis=0).astype(np.float32)


@njit(cache=True, parallel=True)
def row_small(pointers, cols, values, XT, m, nchunks, batch):
    """``row_matmat`` for X^T of shape (n, len(batch)) (see ``small_batch``): the same sums, row
    chunk by row chunk, so each row of X gets the bits it gets alone."""
    n = pointers.size - 1
    partial = np.zeros((nchunks, m, len(batch)), np.float64)
    step = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        sums = partial[c]
        for i in range(c * step, min(n, (c + 1) * step)):
            for t in range(pointers[i], pointers[i + 1]):
                acc_madd(sums, cols[t], XT, i, values[t], batch)
    return partial.sum(axis=0).astype(np.float32)
