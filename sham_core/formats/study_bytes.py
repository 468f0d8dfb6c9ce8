"""The study's own byte estimates for HAM, sHAM and IM (Marinò et al. 2023), beside our exact bytes.

The study (giosumarin/compare_dnn_compression, experiments/space_performance/
uws_testing_space.py) does not store its formats; it estimates their size, and its
published psi are these estimates over the float32 bytes. Its rules, for a list of
kernels that share one dictionary (the dense layers together, or the conv layers):

- ham: one Huffman code over every value (zeros included) of all kernels. Dictionary:
  len(code) + 13 bytes per symbol (the code as a Python str plus its end byte, a float32,
  8 bytes of dict entry). Each kernel's code stream counts in whole 64-bit words.
- sham: dictionary as above, of one Huffman code over the nonzero values of all kernels;
  each kernel codes its nonzeros with a Huffman code of its own (the study's
  do_all_for_me(kernel, 64) sees only the kernel), in whole 64-bit words, plus its CSC
  column pointers (one per column: the study's oracle matches ``columns``, not
  ``columns + 1``) and row indices (one per nonzero), each entry 1, 2, 4 or 8 bytes as
  the kernel has < 2^8, < 2^16, < 2^32 or more rows.
- im: (n_values * 32 + ceil(log2(n_values)) * entries) / 8 bits, n_values the distinct
  values of all kernels, zero included.

Values compare as numbers (-0.0 == +0.0), as the study's dicts and np.unique do. A code
of a single symbol is given length 1 (one bit per entry): the study's Huffman leaves that
case undefined, and its weights always had several values.
"""
import math

import numpy as np

from ..kernels.huffman import huffman_lengths
from ..kernels.symbols import symbolize

WORD_BITS = 64
# Bytes of one dictionary entry besides its code's characters: the str's end, a float32, the dict slot.
ENTRY_BYTES = 1 + 4 + 8
STUDY_FORMATS = ("ham", "sham", "im")


def study_bytes(kernels, fmt):
    """The study's estimate, in bytes, of storing 2-D ``kernels`` (one shared dictionary) in ``fmt``."""
    if fmt not in STUDY_FORMATS:
        raise ValueError(f"unknown study format {fmt!r}; known: {', '.join(STUDY_FORMATS)}")
    mats = _check(kernels)
    return float({"ham": _ham, "sham": _sham, "im": _im}[fmt](mats))


def _check(kernels):
    """The kernels as float32 bit patterns (uint32, -0.0 made +0.0), or a ValueError saying what is wrong."""
    kernels = list(kernels)
    if not kernels:
        raise ValueError("study_bytes needs at least one kernel, got an empty list")
    out = []
    for i, kernel in enumerate(kernels):
        kernel = np.asarray(kernel)
        if kernel.ndim != 2 or kernel.size == 0:
            raise ValueError(f"kernel {i} has shape {kernel.shape}; study_bytes takes non-empty 2-D "
                             "matrices (use sham_core.formats.as_matrix for conv kernels)")
        values = np.asarray(kernel, np.float32)
        if np.isnan(values).any():
            raise ValueError(f"kernel {i} holds NaN, which the study's dictionaries cannot key")
        out.append((values + np.float32(0)).view(np.uint32))
    return out


def huffman_code_lengths(counts):
    """Optimal (unlimited) Huffman code lengths for ``counts``; one symbol gets 1 bit."""
    counts = np.asarray(counts, np.int64)
    if counts.size <= 1:
        return np.ones(counts.size, np.int64)
    order = np.argsort(counts, kind="stable")
    lengths = np.empty(counts.size, np.int64)
    lengths[order] = huffman_lengths(counts[order])
    return lengths


def dict_bytes(lengths):
    """The study's dictionary size: len(code) + 13 bytes per symbol."""
    return int(lengths.sum()) + ENTRY_BYTES * lengths.size


def word_bytes(bits):
    """Bytes of a code stream of ``bits`` bits kept in whole 64-bit words."""
    return WORD_BITS // 8 * math.ceil(bits / WORD_BITS)


def index_width(rows):
    """Bytes per CSC index entry, chosen by the kernel's number of rows as the study does."""
    for width, limit in ((1, 2**8), (2, 2**16), (4, 2**32)):
        if rows < limit:
            return width
    return 8


def _ham(mats):
    """HAM: one code over all values; dictionary plus each kernel's stream in whole words."""
    ids, _, counts = symbolize(np.concatenate([m.ravel() for m in mats]))
    lengths = huffman_code_lengths(counts)
    bounds = np.cumsum([0] + [m.size for m in mats])
    streams = sum(word_bytes(int(lengths[ids[a:b]].sum())) for a, b in zip(bounds[:-1], bounds[1:]))
    return dict_bytes(lengths) + streams


def _sham(mats):
    """sHAM: a shared dictionary of the nonzeros, and per kernel its own coded nonzeros plus CSC indices."""
    nonzero = [m[m != 0] for m in mats]
    total = dict_bytes(huffman_code_lengths(symbolize(np.concatenate(nonzero))[2]))
    for m, values in zip(mats, nonzero):
        counts = symbolize(values)[2]
        bits = int(counts @ huffman_code_lengths(counts))
        entries = m.shape[1] + values.size
        total += word_bytes(bits) + index_width(m.shape[0]) * entries
    return total


def _im(mats):
    """IM: a float32 per distinct value plus ceil(log2(values)) bits per entry."""
    n_values = symbolize(np.concatenate([m.ravel() for m in mats]))[1].size
    entries = sum(m.size for m in mats)
    return (n_values * 32 + math.ceil(math.log2(n_values)) * entries) / 8
