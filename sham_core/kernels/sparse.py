"""Compressed sparse kernels: build from a dense matrix, and ``x @ W`` for CSC and CSR.

A structural zero is an entry whose float32 bits are all zero (+0.0); -0.0 is kept
as an explicit entry so that the round trip is bit-exact.
"""
import numpy as np
from numba import njit, prange


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
