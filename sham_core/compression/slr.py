"""Sparse low-rank factorization (SLR): W ≈ us @ v from a truncated SVD, then sparsified.

Rows of us for the input units with the smallest L1 norm in W, and columns of v for
such output units, keep only their first ``int(rr * q)`` components.
"""
import numpy as np

OVERSAMPLING = 10
POWER_ITERATIONS = 4
SMALL = 1_000_000


def randomized_svd(A, rank, rng):
    """Top ``rank`` singular triplets of float64 A (Halko et al.), seeded by ``rng``.

    Range finder with oversampling and power iterations, each re-orthonormalised by QR.
    """
    width = min(rank + OVERSAMPLING, *A.shape)
    Q = np.linalg.qr(A @ rng.standard_normal((A.shape[1], width)))[0]
    for _ in range(POWER_ITERATIONS):
        Q = np.linalg.qr(A.T @ Q)[0]
        Q = np.linalg.qr(A @ Q)[0]
    U, S, V = np.linalg.svd(Q.T @ A, full_matrices=False)
    return (Q @ U)[:, :rank], S[:rank], V[:rank]


def truncated_svd(A, rank, rng):
    """Top ``rank`` triplets: exact SVD for small A or a rank near full, randomized otherwise."""
    if rank >= min(A.shape) / 4 or A.size <= SMALL:
        U, S, V = np.linalg.svd(A, full_matrices=False)
        return U[:, :rank], S[:rank], V[:rank]
    return randomized_svd(A, rank, rng)


def lightest(norms, fraction):
    """The ``int(fraction * len)`` positions of smallest norm (stable: ties by position)."""
    return np.argsort(norms, kind="stable")[:int(fraction * norms.size)]


def slr_factorize(kernel, q, sr, rr, rng):
    """(us n×r, v r×m), float32, r = min(q, n, m): W's best rank-r factors, sparsified.

    The int(sr·n) lightest rows of W (L1) get ``us[row, keep:] = 0`` and the int(sr·m)
    lightest columns ``v[keep:, col] = 0``, with keep = min(r, int(rr·q)).
    """
    A = np.asarray(kernel, dtype=np.float64)
    if A.ndim != 2 or A.size == 0:
        raise ValueError(f"expected a non-empty 2-D kernel, got shape {A.shape}")
    rank = min(q, *A.shape)
    U, S, V = truncated_svd(A, rank, rng)
    us = (U * S).astype(np.float32)
    v = V.astype(np.float32)
    keep = min(rank, int(rr * q))
    magnitude = np.abs(A)
    us[lightest(magnitude.sum(axis=1), sr), keep:] = 0.0
    v[keep:, lightest(magnitude.sum(axis=0), sr)] = 0.0
    return us, v
