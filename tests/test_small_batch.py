"""Batch 1 as a (1, n) matrix and batches of 2-16 rows: the vector kernel's bits, row by row."""
import numpy as np
import pytest

from sham_core.formats import DIRECT, FORMATS
from sham_core.kernels.small_batch import MAX_BATCH, batch_token, padded_transpose, unpad_transpose
from matrices import assert_matmul_close, bits, quantized

COMPRESSED = [name for name in DIRECT if name != "dense"]  # dense is numpy's: BLAS sums by its own blocking
SHAPES = [(300, 200), (1100, 700)]  # below and above base.SERIAL_WEIGHTS (one thread, the pool)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", COMPRESSED)
def test_small_batches_give_each_row_the_vector_kernels_bits(name, shape):
    W = quantized(shape, 16, 0.9, seed=3)
    enc = FORMATS[name].from_dense(W)
    rng = np.random.default_rng(0)
    for b in (1, 2, 5, 8, 9, MAX_BATCH):
        X = rng.standard_normal((b, shape[0])).astype(np.float32)
        Y = enc.matmul(X)
        assert Y.shape == (b, shape[1]) and Y.dtype == np.float32 and Y.flags.c_contiguous
        np.testing.assert_array_equal(bits(Y), bits(np.stack([enc.matmul(x) for x in X])), err_msg=f"b={b}")
        assert_matmul_close(Y, X, W)


def test_an_index_map_batch_meets_infinite_inputs_as_its_vector_kernel_does():
    """im's vector kernel multiplies every entry, zeros too, so an infinite input under a zero weight
    gives NaN; a small batch must give the same, not skip the zero."""
    W = quantized((31, 20), 8, 0.6, seed=4)
    enc = FORMATS["im"].from_dense(W)
    X = np.random.default_rng(4).standard_normal((5, 31)).astype(np.float32)
    X[1, 3], X[3, 30] = np.inf, -np.inf
    vector = np.stack([enc.matmul(x) for x in X])
    assert np.isnan(vector).any()
    np.testing.assert_array_equal(bits(enc.matmul(X)), bits(vector))


@pytest.mark.parametrize("name", DIRECT)
def test_batch_one_as_a_matrix_is_the_vector_path(name):
    W = quantized((64, 48), 8, 0.5, seed=1)
    enc = FORMATS[name].from_dense(W)
    x = np.random.default_rng(1).standard_normal(64).astype(np.float32)
    np.testing.assert_array_equal(bits(enc.matmul(x[None])), bits(enc.matmul(x)[None]))


@pytest.mark.parametrize("name", DIRECT)
def test_an_empty_batch_and_a_strided_one(name):
    W = quantized((40, 30), 4, 0.5, seed=2)
    enc = FORMATS[name].from_dense(W)
    assert enc.matmul(np.zeros((0, 40), np.float32)).shape == (0, 30)
    X = np.random.default_rng(2).standard_normal((40, 6)).astype(np.float32).T  # Fortran order
    assert_matmul_close(enc.matmul(X), X, W)


def test_batch_tokens_pad_to_the_next_width_and_refuse_the_rest():
    assert [len(batch_token(b)) for b in (2, 8, 9, 16)] == [8, 8, 16, 16]
    for b in (0, 1, MAX_BATCH + 1):
        with pytest.raises(ValueError, match="small-batch kernels take 2 to"):
            batch_token(b)
    X = np.arange(300, dtype=np.float32).reshape(3, 100)
    XT = padded_transpose(X, 8)
    assert XT.shape == (100, 8) and XT.flags.c_contiguous and not XT[:, 3:].any()
    assert np.array_equal(XT[:, :3], X.T) and XT.ctypes.data % 64 == 0
    assert np.array_equal(unpad_transpose(XT, 3), X)
