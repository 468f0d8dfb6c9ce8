"""The study's byte estimates (study_bytes): its own code's outputs, and small cases computed by hand.

The oracle (shared reference/study_oracle/oracle.json, "study_bytes") is the study's own code,
giosumarin/compare_dnn_compression's make_huffman, make_huffman_sparse_par and also_cnn space
accounting in experiments/space_performance/uws_testing_space.py, run on the matrices stored
beside it, each treated as the only dense layer. Its Huffman codes break ties its own way, which
may move the dictionary's sum of code lengths a little, hence the 1 % tolerance.
"""
import json

import numpy as np
import pytest

from requirements import shared_or_skip
from sham_core.formats import STUDY_FORMATS, study_bytes
from sham_core.formats.study_bytes import index_width

# Two values: 0 four times, 1 twice.
SMALL = np.array([[0, 1], [0, 0], [1, 0]], np.float32)


def oracle_folder():
    """The study oracle's folder, beside the shared datasets folder."""
    return shared_or_skip().parent / "reference" / "study_oracle"


def oracle_cases():
    """(label, matrix, fmt, the study's bytes) of every oracle entry."""
    folder = oracle_folder()
    cases = []
    for key, estimates in json.loads((folder / "oracle.json").read_text())["study_bytes"].items():
        matrix = np.load(folder / key.split("[")[0].strip())
        if "[:256]" in key:
            matrix = matrix[:256]
        cases += [(key, matrix, fmt, expected) for fmt, expected in estimates.items()]
    return cases


def test_within_one_percent_of_the_study_code_on_every_oracle_entry():
    cases = oracle_cases()
    assert {fmt for _, _, fmt, _ in cases} == set(STUDY_FORMATS) and len(cases) == 9
    for key, matrix, fmt, expected in cases:
        ours = study_bytes([matrix], fmt)
        assert ours == pytest.approx(expected, rel=0.01), (key, fmt, ours, expected)


def test_ham_of_two_values_by_hand():
    # Codes of 1 bit each: dictionary 2 * (1 + 13); 6 bits of stream fill one 64-bit word.
    assert study_bytes([SMALL], "ham") == 2 * 14 + 8


def test_sham_of_one_nonzero_value_gets_a_one_bit_code():
    # Dictionary 1 + 13; 2 bits in one word; 3 rows: 1-byte entries, 2 column pointers + 2 row indices.
    assert study_bytes([SMALL], "sham") == 14 + 8 + (2 + 2)


def test_im_by_hand():
    # Two values: two float32 and 1 bit per entry.
    assert study_bytes([SMALL], "im") == (2 * 32 + 1 * 6) / 8


def test_three_values_by_hand():
    W = np.array([[0, 1], [2, 0], [1, 0]], np.float32)
    # 0 and 1 twice, 2 once: lengths 1, 2, 2 (8 bits); nonzeros 1 twice, 2 once: lengths 1, 1 (3 bits).
    assert study_bytes([W], "ham") == (5 + 3 * 13) + 8
    assert study_bytes([W], "sham") == (2 + 2 * 13) + 8 + (2 + 3)
    assert study_bytes([W], "im") == (3 * 32 + 2 * 6) / 8


def test_a_stream_of_65_bits_takes_two_words():
    W = np.tile([[0, 1, 0, 1, 1]], (13, 1)).astype(np.float32)
    assert study_bytes([W], "ham") == 2 * 14 + 2 * 8


def test_300_rows_take_two_byte_indices():
    W = np.zeros((300, 4), np.float32)
    W[np.arange(300), np.arange(300) % 4] = np.arange(300) % 2 + 1
    # Two nonzero values, 150 each: 300 bits in 5 words; 4 column pointers and 300 row indices.
    assert study_bytes([W], "sham") == 2 * 14 + 5 * 8 + 2 * (4 + 300)


@pytest.mark.parametrize("rows, width", [(1, 1), (255, 1), (256, 2), (2**16 - 1, 2), (2**16, 4),
                                         (2**32 - 1, 4), (2**32, 8)])
def test_index_width_follows_the_rows(rows, width):
    assert index_width(rows) == width


def test_exactly_256_rows_switch_the_width():
    W = np.zeros((256, 2), np.float32)
    W[:2, 0] = [1, 2]
    # Same nonzeros, one row fewer: only the 4 index entries change width.
    assert study_bytes([W], "sham") - study_bytes([W[:255]], "sham") == 4


def test_the_dictionary_is_shared_and_the_words_are_per_kernel():
    A = SMALL
    B = np.array([[2, 0], [0, 0], [0, 0]], np.float32)
    # ham: 0 nine times, 1 twice, 2 once: lengths 1, 2, 2; A takes 8 bits, B 7, one word each.
    assert study_bytes([A, B], "ham") == (5 + 3 * 13) + 8 + 8
    assert study_bytes([A], "ham") + study_bytes([B], "ham") == 2 * (2 * 14 + 8)
    # sham: one dictionary of 1 and 2; each kernel codes its single nonzero value with its own 1-bit code.
    assert study_bytes([A, B], "sham") == 2 * 14 + (8 + 4) + (8 + 3)
    assert study_bytes([A, B], "im") == (3 * 32 + 2 * 12) / 8


def test_negative_zero_is_zero():
    W = np.where(SMALL == 0, np.float32(-0.0), SMALL)
    assert np.signbit(W).sum() == 4
    for fmt in STUDY_FORMATS:
        assert study_bytes([W], fmt) == study_bytes([SMALL], fmt)


def test_an_all_zero_kernel():
    W = np.zeros((3, 2), np.float32)
    assert study_bytes([W], "ham") == 14 + 8
    assert study_bytes([W], "sham") == 2
    assert study_bytes([W], "im") == 32 / 8


@pytest.mark.parametrize("kernels, fmt, message", [
    ([SMALL], "csc", "unknown study format"),
    ([], "ham", "empty list"),
    ([np.ones(4, np.float32)], "ham", "2-D"),
    ([np.ones((2, 2, 2), np.float32)], "sham", "2-D"),
    ([np.zeros((0, 3), np.float32)], "im", "non-empty"),
    ([SMALL, np.full((2, 2), np.nan, np.float32)], "ham", "kernel 1 holds NaN"),
])
def test_errors(kernels, fmt, message):
    with pytest.raises(ValueError, match=message):
        study_bytes(kernels, fmt)
