"""Symbol ids by hashing bit patterns, and the tiled column-major copy the encoders read."""
import numpy as np
import pytest

from sham_core.kernels.symbols import column_major, symbolize


@pytest.mark.parametrize("distinct", [1, 600, 5000])  # 5000 keys grow the table four times
def test_symbolize_numbers_keys_by_first_appearance_and_counts_them(distinct):
    bits = np.random.default_rng(0).integers(0, distinct, 100_000).astype(np.uint32) * 7919
    ids, keys, counts = symbolize(bits)
    np.testing.assert_array_equal(keys[ids], bits)
    _, first = np.unique(bits, return_index=True)
    np.testing.assert_array_equal(keys, bits[np.sort(first)])
    np.testing.assert_array_equal(counts, np.bincount(ids))


def test_symbolize_keeps_negative_zero_apart_from_zero():
    bits = np.array([0.0, -0.0, 0.0, 1.5], np.float32).view(np.uint32)
    ids, keys, counts = symbolize(bits)
    assert list(ids) == [0, 1, 0, 2] and list(counts) == [2, 1, 1]


@pytest.mark.parametrize("shape", [(1, 1), (3, 200), (130, 67), (64, 64)])
def test_column_major_matches_numpy(shape):
    bits = np.arange(np.prod(shape), dtype=np.uint32).reshape(shape)
    np.testing.assert_array_equal(column_major(bits), bits.T.ravel())
