"""Sparse low-rank factorization: best rank-r factors, then the promised zero pattern."""
import numpy as np
import pytest

from sham_core.compression.slr import randomized_svd, slr_factorize


def kernel(n, m, seed=0):
    return np.random.default_rng(seed).standard_normal((n, m)).astype(np.float32)


def with_spectrum(n, m, singular_values, seed=0):
    """A float64 matrix with the given singular values and random singular vectors."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((n, singular_values.size)))[0]
    V = np.linalg.qr(rng.standard_normal((m, singular_values.size)))[0]
    return (U * singular_values) @ V.T


def relative_error(W, us, v):
    W = W.astype(np.float64)
    return np.linalg.norm(W - us.astype(np.float64) @ v) / np.linalg.norm(W)


def lightest(norms, count):
    return np.argsort(norms, kind="stable")[:count]


@pytest.mark.parametrize("n, m, q", [(30, 20, 5), (20, 30, 64), (1, 7, 3), (40, 40, 40)])
def test_shapes_dtypes_and_rank(n, m, q):
    us, v = slr_factorize(kernel(n, m), q, 0.5, 0.5, np.random.default_rng(0))
    r = min(q, n, m)
    assert us.shape == (n, r) and v.shape == (r, m)
    assert us.dtype == v.dtype == np.float32
    assert np.linalg.matrix_rank(us.astype(np.float64) @ v) <= r


@pytest.mark.parametrize("sr, rr", [(0.5, 0.5), (0.3, 0.0), (1.0, 0.25), (0.5, 2.0)])
def test_zero_pattern(sr, rr):
    n, m, q = 40, 30, 8
    W = kernel(n, m)
    W[[3, 7]] *= 0.01
    W[:, 5] *= 0.01
    us, v = slr_factorize(W, q, sr, rr, np.random.default_rng(0))
    keep = min(q, int(rr * q))
    rows = np.zeros(n, bool)
    rows[lightest(np.abs(W.astype(np.float64)).sum(axis=1), int(sr * n))] = True
    cols = np.zeros(m, bool)
    cols[lightest(np.abs(W.astype(np.float64)).sum(axis=0), int(sr * m))] = True
    assert rows[3] and rows[7] and cols[5]
    assert np.all(us[rows, keep:] == 0)
    assert np.all(v[keep:][:, cols] == 0)
    assert np.all(us[~rows] != 0) and np.all(v[:, ~cols] != 0)
    assert np.all(us[rows, :keep] != 0) and np.all(v[:keep, cols] != 0)


def test_ties_in_norm_go_by_position():
    W = np.ones((6, 4), np.float32)
    W[4] = 2.0
    us, v = slr_factorize(W, 2, 0.5, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(np.flatnonzero(np.all(us == 0, axis=1)), [0, 1, 2])
    np.testing.assert_array_equal(np.flatnonzero(np.all(v == 0, axis=0)), [0, 1])


@pytest.mark.parametrize("n, m, q", [(50, 30, 4), (30, 50, 12), (25, 25, 1)])
def test_without_sparsity_it_is_the_best_rank_q_approximation(n, m, q):
    W = kernel(n, m, seed=q)
    us, v = slr_factorize(W, q, 0.0, 0.5, np.random.default_rng(0))
    S = np.linalg.svd(W.astype(np.float64), compute_uv=False)
    best = np.sqrt((S[q:] ** 2).sum()) / np.linalg.norm(W.astype(np.float64))
    assert relative_error(W, us, v) == pytest.approx(best, rel=1e-5)


@pytest.mark.parametrize("n, m", [(30, 20), (20, 30)])
def test_full_rank_reconstructs_the_kernel(n, m):
    W = kernel(n, m)
    us, v = slr_factorize(W, 100, 0.0, 1.0, np.random.default_rng(0))
    np.testing.assert_allclose(us.astype(np.float64) @ v, W, atol=1e-5)


def test_randomized_path_is_close_to_the_exact_one_and_seeded():
    n, m, q = 1100, 1000, 20
    S = 0.9 ** np.arange(min(n, m))
    W = with_spectrum(n, m, S).astype(np.float32)
    best = np.sqrt((S[q:] ** 2).sum()) / np.linalg.norm(S)
    us, v = slr_factorize(W, q, 0.0, 1.0, np.random.default_rng(7))
    assert abs(relative_error(W, us, v) - best) <= 1e-3
    again = slr_factorize(W, q, 0.0, 1.0, np.random.default_rng(7))
    np.testing.assert_array_equal(us, again[0])
    np.testing.assert_array_equal(v, again[1])
    other = slr_factorize(W, q, 0.0, 1.0, np.random.default_rng(8))
    assert not np.array_equal(us, other[0])


def test_randomized_svd_finds_the_top_singular_values():
    S = np.concatenate((np.linspace(10, 5, 8), 0.01 * np.ones(60)))
    A = with_spectrum(300, 200, S, seed=1)
    U, found, V = randomized_svd(A, 8, np.random.default_rng(0))
    np.testing.assert_allclose(found, S[:8], rtol=1e-8)
    np.testing.assert_allclose(U.T @ U, np.eye(8), atol=1e-10)
    np.testing.assert_allclose(V @ V.T, np.eye(8), atol=1e-10)


def test_bad_kernels_are_refused():
    with pytest.raises(ValueError):
        slr_factorize(np.zeros((0, 3), np.float32), 2, 0.0, 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError):
        slr_factorize(np.zeros(5, np.float32), 2, 0.0, 0.0, np.random.default_rng(0))
