"""shamx: sHAM's column structure with rANS: per nonzero, its gap and value as one pair.

Where sHAM stores a fixed-width row index per nonzero, shamx codes the gap to the previous
nonzero of the column (a few bits when zeros are spread evenly) together with the value,
in one rANS step (``kernels.pair_rans``), and stores only how many nonzeros each column has.
Rows that are entirely zero may be skipped (``live_rows``).
"""
import numpy as np

from ..kernels.pair_rans import LANES, MAX_BASE, gap_table, value_table
from ..kernels.shamx import (column_gaps, shamx_decode, shamx_encode, shamx_matmat, shamx_matvec,
                             shamx_small)
from .ans_models import (ValueModel, check_offsets, checked_gap_model, entries_per_block,
                         entry_symbols, symbol_model)
from .base import Format, FormatError, check_operand, expect_fields, intact, minimal_uint, multiply
from .live_rows import LiveRows, SkipsDeadRows
from .sparse import expand

MIN_BLOCKS = 8  # where the columns allow: so that small sparse layers still use 8 threads


class SHAMX(SkipsDeadRows, Format):
    name = "shamx"

    def __init__(self, shape, rows, cols_per_block, counts, gap_freqs, model, offsets, words):
        super().__init__(shape)
        self.rows, self.cols_per_block, self.counts = rows, cols_per_block, counts
        self.gap_freqs = gap_freqs
        self.model, self.offsets, self.words = model, offsets, words
        self.colptr = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
        checked_gap_model(gap_freqs, rows.count, "gap")
        self._gap_table = gap_table(gap_freqs)
        self._value_table, slot_codes = value_table(model.freqs, model.escape)
        self._slot_codes = np.minimum(slot_codes, model.kernel_values().size - 1)
        self._slot_values = model.kernel_values()[self._slot_codes]
        self._padded = np.append(words, np.uint32(0))

    @classmethod
    def _encode(cls, shape, W, rows):
        """The encoding of a matrix of ``shape`` whose coded rows (``rows``) are W."""
        n, m = W.shape
        if n >= MAX_BASE:
            raise ValueError(f"shamx takes fewer than {MAX_BASE} rows, not {n}")
        ids, zero_id, counts, model, (vfreq, vcum, raw) = entry_symbols(W)
        cpb = max(1, min(entries_per_block(counts) // n, -(-m // MIN_BLOCKS)))
        gaps, ids, colptr, gap_symbol_counts = column_gaps(ids, n, zero_id)
        gap_freqs, _, gcum = symbol_model(gap_symbol_counts)
        words, offsets = shamx_encode(colptr, gaps, ids, cpb, gap_freqs.astype(np.int64), gcum,
                                      vfreq, vcum, raw, model.rare_bits)
        return cls(shape, rows, cpb, np.diff(colptr), gap_freqs, model, offsets, words)

    @property
    def table_nbytes(self):
        return self.model.nbytes + self.gap_freqs.nbytes

    def _kernel_args(self):
        return (self._padded, self.offsets, self._gap_table, self._value_table)

    def to_dense(self):
        n, m = self.rows.count, self.shape[1]
        model = self.model
        rows, codes, intact = shamx_decode(*self._kernel_args(), self._slot_codes, model.escape,
                                           model.rare_bits, model.codebook.size, self.colptr, n,
                                           self.cols_per_block)
        if not intact:
            raise FormatError("shamx stream does not decode to its shape")
        values = model.kernel_values()[codes]
        return self.rows.expand(np.ascontiguousarray(expand(self.colptr, rows, values, (m, n)).T))

    def matmul(self, X):
        model = self.model
        args = (*self._kernel_args(), self._slot_values, model.kernel_values(), model.escape,
                model.rare_bits, self.colptr, self.rows.count, self.cols_per_block)
        take = self.rows.take
        return multiply(check_operand(X, self.shape[0]), self.shape,
                        lambda x: intact(shamx_matvec(*args, take(x)), "shamx"),
                        lambda XT, batch: intact(shamx_small(*args, take(XT), batch), "shamx"),
                        lambda XT: intact(shamx_matmat(*args, take(XT)), "shamx"))

    def _fields(self):
        return [np.array([self.cols_per_block], np.uint32),
                self.counts.astype(minimal_uint(self.shape[0])), self.model.codebook,
                self.gap_freqs, self.model.freqs,
                self.offsets.astype(minimal_uint(self.words.size)), self.words, self.rows.field()]

    @classmethod
    def _from_fields(cls, shape, fields):
        params, counts, codebook, gap_freqs, value_freqs, offsets, words, live = expect_fields(
            fields, 8, cls.name)
        rows = LiveRows.from_field(shape[0], live, cls.name)
        n, m = rows.count, shape[1]
        if n >= MAX_BASE:
            raise FormatError(f"shamx takes fewer than {MAX_BASE} rows, not {n}")
        if params.size != 1 or params[0] < 1:
            raise FormatError("shamx block size is missing or zero")
        if counts.size != m or (counts.size and counts.max() > n):
            raise FormatError(f"shamx needs {m} column counts of at most {n}")
        if gap_freqs.dtype != np.uint16 or words.dtype != np.uint32:
            raise FormatError("shamx gap frequencies must be uint16 and its stream uint32")
        cpb = int(params[0])
        offsets = check_offsets(offsets, LANES * -(-m // cpb), words.size, 2)
        model = ValueModel.from_fields(codebook, value_freqs)
        return cls(shape, rows, cpb, counts.astype(np.int64), gap_freqs, model, offsets, words)
