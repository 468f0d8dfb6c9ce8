"""Test matrices shared by the format tests."""
import numpy as np


def quantized(shape, k, p, seed=0):
    """k distinct nonzero values, a fraction p of entries set to zero."""
    rng = np.random.default_rng(seed)
    values = rng.laplace(size=k).astype(np.float32)
    values[values == 0] = 1.0
    W = values[rng.integers(0, k, size=shape)]
    W[rng.random(shape) < p] = 0.0
    return W


def edge_cases():
    """Named matrices that a lossless format must get exactly right."""
    rng = np.random.default_rng(1)
    tiny = np.float32(np.finfo(np.float32).smallest_subnormal)
    many = rng.permutation(np.arange(1, 363 * 362 + 1, dtype=np.float32)).reshape(363, 362)
    return {
        "1x1": np.array([[2.5]], np.float32),
        "1x1 zero": np.zeros((1, 1), np.float32),
        "row": quantized((1, 37), 4, 0.3),
        "column": quantized((53, 1), 4, 0.3),
        "all zeros": np.zeros((17, 9), np.float32),
        "one value": np.full((12, 7), -1.75, np.float32),
        "signed zeros": np.array([[0.0, -0.0, 1.0], [-0.0, -0.0, 0.0]], np.float32),
        "subnormals": np.array([[tiny, -tiny, 0.0], [3 * tiny, tiny, 1e-38]], np.float32),
        "extremes": np.array([[np.finfo(np.float32).max, np.finfo(np.float32).min]], np.float32),
        "dense random": rng.normal(size=(31, 29)).astype(np.float32),
        "2^17+ distinct": many,
        "tall sparse": quantized((700, 3), 32, 0.9),
        "wide sparse": quantized((3, 700), 32, 0.99),
        "fortran order": np.asfortranarray(quantized((40, 33), 8, 0.5)),
        "strided view": quantized((80, 66), 8, 0.5)[::2, ::3],
    }


def reference_matmul(X, W):
    """X @ W in float64, with the scale used for tolerances."""
    X64, W64 = np.asarray(X, np.float64), np.asarray(W, np.float64)
    return X64 @ W64, np.abs(X64) @ np.abs(W64)


def assert_matmul_close(got, X, W):
    expected, scale = reference_matmul(X, W)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_array_less(np.abs(got - expected), 1e-5 * np.abs(expected) + 1e-6 * scale + 1e-30)


def bits(W):
    return np.ascontiguousarray(W, np.float32).view(np.uint32)
