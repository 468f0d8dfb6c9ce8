"""Code lengths, canonical codes and decoding tables."""
import itertools

import numpy as np
import pytest

from sham_core.formats import FORMATS, entropy_bits
from sham_core.kernels.huffman import (FIRST_BITS, build_tables, canonical_codes, code_lengths,
                                       huffman_lengths, kraft_is_complete, package_merge_lengths)


def fibonacci(count):
    weights = [1, 1]
    while len(weights) < count:
        weights.append(weights[-1] + weights[-2])
    return np.array(weights[:count], np.int64)


def cost(weights, lengths):
    return int((np.asarray(weights) * np.asarray(lengths, np.int64)).sum())


def test_plain_huffman_is_optimal_on_a_known_case():
    lengths = huffman_lengths(np.array([1, 1, 2, 4, 8], np.int64))
    assert list(lengths) == [4, 4, 3, 2, 1]


@pytest.mark.parametrize("limit", [6, 8, 24])
def test_fibonacci_frequencies_respect_the_limit(limit):
    weights = fibonacci(40)
    lengths = code_lengths(weights, limit)
    assert lengths.max() == limit
    assert kraft_is_complete(np.bincount(lengths))
    assert huffman_lengths(weights).max() == 39


def test_package_merge_is_optimal_among_length_limited_codes():
    weights = np.sort(np.array([1, 1, 2, 3, 5, 8, 13], np.int64))
    limit = 4
    best = min(cost(weights, c) for c in itertools.product(range(1, limit + 1), repeat=7)
               if sum(2.0 ** -l for l in c) <= 1)
    assert cost(weights, package_merge_lengths(weights, limit)) == best


def test_package_merge_equals_huffman_when_the_limit_does_not_bind():
    weights = np.sort(np.random.default_rng(0).integers(1, 10_000, 300)).astype(np.int64)
    assert cost(weights, package_merge_lengths(weights, 24)) == cost(weights, huffman_lengths(weights))


def test_canonical_codes_are_consecutive_per_length():
    codes, lengths = canonical_codes([0, 1, 1, 2])
    assert list(lengths) == [1, 2, 3, 3]
    assert list(codes) == [0b0, 0b10, 0b110, 0b111]


def test_two_level_table_decodes_every_long_code():
    lengths = code_lengths(fibonacci(30), 24)
    codes, ranked = canonical_codes(np.bincount(lengths))
    table1, table2 = build_tables(codes, ranked, FIRST_BITS)
    for rank, (code, length) in enumerate(zip(codes, ranked)):
        top = int(code) << (32 - int(length))
        e = int(table1[top >> (32 - FIRST_BITS)])
        if e & 0xFF == 0:
            sub_bits = (e >> 8) & 0xFF
            e = int(table2[(e >> 32) + ((top << FIRST_BITS) & 0xFFFFFFFF) >> (32 - sub_bits)])
        assert (e >> 32, e & 0xFF) == (rank, length)


@pytest.mark.parametrize("name", ["ham", "sham"])
def test_fibonacci_matrix_round_trips(name):
    counts = fibonacci(28)
    values = np.repeat(np.arange(1, 29, dtype=np.float32), counts[::-1] // counts[0])
    values = np.concatenate((values, np.ones(-values.size % 100, np.float32)))
    W = np.random.default_rng(0).permutation(values).reshape(100, -1)
    enc = FORMATS[name].from_dense(W)
    assert enc.stream.length_counts.size - 1 == 24
    np.testing.assert_array_equal(enc.to_dense(), W)
    x = np.ones(100, np.float32)
    np.testing.assert_allclose(enc.matmul(x), W.sum(axis=0), rtol=1e-5)


def test_ham_is_within_one_bit_of_the_entropy_bound():
    rng = np.random.default_rng(0)
    W = rng.laplace(size=32).astype(np.float32)[rng.integers(0, 32, (512, 512))]
    W[rng.random(W.shape) < 0.9] = 0
    enc = FORMATS["ham"].from_dense(W)
    payload_bits = 64 * (enc.stream.words.size - 1)
    assert payload_bits / W.size <= entropy_bits(W) / W.size + 1
    assert entropy_bits(W, nonzero_only=True) < entropy_bits(W)
    table_bytes = enc.nbytes - payload_bits // 8
    assert table_bytes < 0.01 * payload_bits / 8
