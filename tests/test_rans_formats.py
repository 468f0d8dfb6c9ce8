"""hamx and shamx beyond the shared checklist: the coder, sizes near the entropy, crafted buffers."""
import constriction
import numpy as np
import pytest

from sham_core.formats import FORMATS, FormatError, entropy_bits, load
from sham_core.formats.container import pack, unpack
from sham_core.formats.live_rows import LiveRows
from sham_core.formats.ans_models import gap_counts
from sham_core.kernels.gaps import gap_base, gap_symbols
from sham_core.kernels.pair_rans import MAX_BASE
from sham_core.kernels.rans import TOTAL, quantize
from sham_core.kernels.symbols import symbolize


def laplace_matrix(shape, p, k, seed=0):
    """Entries from k laplace-distributed values; a fraction p % of them zero, at random."""
    rng = np.random.default_rng(seed)
    W = rng.laplace(size=k).astype(np.float32)[rng.integers(0, k, shape)]
    W[rng.random(shape) < p / 100] = 0.0
    return W


def test_quantized_frequencies_sum_to_the_total_and_keep_every_symbol():
    counts = np.array([10**9, 1, 0, 5, 3000, 1])
    freqs = quantize(counts)
    assert freqs.sum() == TOTAL
    assert (freqs[counts > 0] >= 1).all() and freqs[2] == 0


def test_gap_symbols_cover_every_length_exactly():
    lengths = np.concatenate((np.arange(5000), [2**14 - 1, 2**14, 2**20 + 12345, 2**40 + 7]))
    for length, symbol in zip(lengths, gap_symbols(lengths)):
        base, nbits = gap_base(symbol)
        assert base <= length < base + (1 << nbits)


@pytest.mark.parametrize("p, k", [(0, 32), (50, 2), (50, 256), (90, 32), (99, 2), (99, 256)])
def test_hamx_is_within_one_percent_of_the_entropy_plus_its_table(p, k):
    W = laplace_matrix((2048, 2048), p, k)  # the container's ~100 bytes are < 0.1 % here
    enc = FORMATS["hamx"].from_dense(W)
    assert enc.nbytes <= 1.01 * (entropy_bits(W) / 8 + enc.table_nbytes)


@pytest.mark.parametrize("p", [50, 90, 99])
def test_shamx_is_smaller_than_sham_and_xz(p):
    W = laplace_matrix((1024, 1024), p, 32)
    nbytes = FORMATS["shamx"].from_dense(W).nbytes
    assert nbytes < FORMATS["sham"].from_dense(W).nbytes
    assert nbytes < FORMATS["xz"].from_dense(W).nbytes


def constriction_bits(values, value_counts, lengths):
    """Bits constriction's ANS coder spends on these value ids and gap (or run) lengths."""
    symbols = gap_symbols(lengths)
    bases, nbits = (np.array(column) for column in zip(*(gap_base(s) for s in symbols)))
    model = constriction.stream.model
    coder = constriction.stream.stack.AnsCoder()
    coder.encode_reverse(values.astype(np.int32),
                         model.Categorical(value_counts / value_counts.sum(), perfect=False))
    coder.encode_reverse(symbols.astype(np.int32), model.Categorical(
        gap_counts(lengths) / lengths.size, perfect=False))
    raw = nbits > 0
    coder.encode_reverse((lengths - bases)[raw].astype(np.int32), model.Uniform(),
                         (1 << nbits[raw]).astype(np.int32))
    return coder.num_bits()


def column_major_tokens(W):
    """Value ids of W's nonzeros (column-major), the ids' counts, and where they sit."""
    ids, keys, counts = symbolize(np.ascontiguousarray(W.T).view(np.uint32).ravel())
    nonzero = keys != 0
    return ids, np.where(nonzero, counts, 0), np.flatnonzero(nonzero[ids])


@pytest.mark.parametrize("p, k", [(50, 32), (90, 8)])
def test_hamx_stream_matches_constriction_within_half_a_percent(p, k):
    W = laplace_matrix((256, 256), p, k)  # 64K entries: one block
    enc = FORMATS["hamx"].from_dense(W)
    assert enc.offsets.size == 5  # one block: four lanes
    ids, counts, starts = column_major_tokens(W)
    runs = np.diff(np.concatenate(([-1], starts))) - 1
    trailing = W.size - 1 - starts[-1]
    runs = np.append(runs, trailing) if trailing else runs
    ours = 16 * (enc.words.size - 8)  # without the four lane states
    assert abs(ours - constriction_bits(ids[starts], counts, runs)) <= 0.005 * ours


@pytest.mark.parametrize("p, k", [(50, 32), (90, 8)])
def test_shamx_stream_matches_constriction_within_half_a_percent(p, k):
    W = laplace_matrix((65536, 1), p, k)  # one column: one block; its zeros stay gaps
    enc = FORMATS["shamx"]._encode(W.shape, W, LiveRows(W.shape[0]))
    assert enc.offsets.size == 5  # one block: four lanes
    ids, counts, rows = column_major_tokens(W)
    gaps = np.diff(np.concatenate(([-1], rows))) - 1
    ours = 32 * (enc.words.size - 8)  # without the four lane states
    assert abs(ours - constriction_bits(ids[rows], counts, gaps)) <= 0.005 * ours


def test_values_beyond_the_modelled_ones_and_long_gaps_round_trip():
    W = np.zeros((40000, 3), np.float32)
    W[:2000, 0] = np.arange(1, 2001, dtype=np.float32) / 7  # 2000 distinct values: escapes
    W[39999, 2] = -0.0
    for name in ("hamx", "shamx"):
        enc = load(FORMATS[name].from_dense(W).to_bytes())
        np.testing.assert_array_equal(enc.to_dense().view(np.uint32), W.view(np.uint32))
        x = np.arange(40000, dtype=np.float32) / 40000
        np.testing.assert_allclose(enc.matmul(x), x @ W, rtol=1e-5)


def crafted(name, W, index, change):
    """The encoding of W with field ``index`` replaced by change(field), CRC recomputed."""
    fmt, shape, fields = unpack(FORMATS[name].from_dense(W).to_bytes())
    fields[index] = change(fields[index].copy())
    return pack(fmt, shape, fields)


def bump(array):
    array[0] += 1
    return array


@pytest.mark.parametrize("name, index", [("hamx", 2), ("hamx", 3), ("shamx", 3), ("shamx", 4)])
def test_frequencies_that_do_not_sum_up_are_refused(name, index):
    with pytest.raises(FormatError, match="frequencies"):
        load(crafted(name, laplace_matrix((64, 64), 50, 4), index, bump))


@pytest.mark.parametrize("name, index", [("hamx", 4), ("shamx", 5)])
def test_inconsistent_block_offsets_are_refused(name, index):
    with pytest.raises(FormatError, match="offsets"):
        load(crafted(name, laplace_matrix((64, 64), 50, 4), index, bump))


@pytest.mark.parametrize("name, index", [("hamx", 5), ("shamx", 6)])
def test_a_tampered_stream_does_not_decode(name, index):
    def flip(words):
        words[len(words) // 2] ^= 0x5A5A
        return words
    enc = load(crafted(name, laplace_matrix((64, 64), 50, 4), index, flip))
    for operand in (np.ones(64, np.float32), np.ones((1, 64), np.float32), np.ones((5, 64), np.float32),
                    np.ones((40, 64), np.float32)):  # the vector, small-batch and batch kernels
        with pytest.raises(FormatError, match="does not decode"):
            enc.matmul(operand)
    with pytest.raises(FormatError, match="does not decode"):
        enc.to_dense()


def test_shamx_refuses_column_counts_larger_than_the_column():
    def too_many(counts):
        counts[0] = 65
        return counts
    with pytest.raises(FormatError, match="column counts"):
        load(crafted("shamx", laplace_matrix((64, 64), 50, 4), 1, too_many))


@pytest.mark.parametrize("name, index", [("hamx", 2), ("shamx", 3)])
def test_gap_tables_beyond_the_matrix_are_refused(name, index):
    def too_long(freqs):
        longer = np.zeros(200, np.uint16)  # symbols for lengths up to 2**50
        longer[0] = TOTAL
        return longer
    with pytest.raises(FormatError, match="beyond"):
        load(crafted(name, laplace_matrix((64, 64), 50, 4), index, too_long))


def test_shamx_refuses_more_rows_than_its_gap_tables_hold():
    fmt, shape, fields = unpack(FORMATS["shamx"].from_dense(laplace_matrix((64, 64), 50, 4)).to_bytes())
    with pytest.raises(FormatError, match="fewer than"):
        load(pack(fmt, (MAX_BASE, shape[1]), fields))
