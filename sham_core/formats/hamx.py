"""hamx: every entry, column-major like HAM, coded with rANS instead of Huffman.

Zeros are coded as the length of the run before each nonzero (see ``kernels.gaps``), so a
sparse matrix costs about one token per nonzero and the code gets within a small
fraction of a bit of the entropy, where Huffman spends at least a bit per symbol.
Rows that are entirely zero may be skipped (``live_rows``).
"""
import numpy as np

from ..kernels.hamx import hamx_decode, hamx_encode, hamx_matmat, hamx_matvec, hamx_small, zero_runs
from ..kernels.rans import LANES
from .ans_models import (ValueModel, check_offsets, checked_gap_model, entries_per_block,
                         entry_symbols, gap_counts, symbol_model)
from .base import Format, FormatError, check_operand, expect_fields, intact, minimal_uint, multiply
from .coded_stream import block_starts
from .live_rows import LiveRows, SkipsDeadRows


class HAMX(SkipsDeadRows, Format):
    name = "hamx"

    def __init__(self, shape, rows, cols_per_block, run_freqs, model, offsets, words):
        super().__init__(shape)
        self.rows, self.cols_per_block, self.run_freqs = rows, cols_per_block, run_freqs
        self.model, self.offsets, self.words = model, offsets, words
        self.runs = run_freqs.size > 0
        longest = rows.count * self.shape[1]
        self._run_table = checked_gap_model(run_freqs, longest, "run") if self.runs else model.table
        self._padded = np.append(words, np.uint16(0))

    @classmethod
    def _encode(cls, shape, W, rows):
        """The encoding of a matrix of ``shape`` whose coded rows (``rows``) are W."""
        n, m = W.shape
        ids, zero_id, counts, model, (vfreq, vcum, raw) = entry_symbols(W)
        cpb = max(1, entries_per_block(counts) // n)
        bounds = block_starts(m, cpb) * n
        run_freqs, rcum = np.zeros(0, np.uint16), np.zeros(1, np.int64)
        if zero_id >= 0:
            before, trailing = zero_runs(ids, bounds, zero_id)
            run_freqs, _, rcum = symbol_model(gap_counts(np.append(before, trailing[trailing > 0])))
        words, offsets = hamx_encode(ids, bounds, zero_id, run_freqs.astype(np.int64), rcum,
                                     vfreq, vcum, raw, model.rare_bits)
        return cls(shape, rows, cpb, run_freqs, model, offsets, words)

    @property
    def table_nbytes(self):
        return self.model.nbytes + self.run_freqs.nbytes

    def _kernel_args(self):
        model = self.model
        return (self._padded, self.offsets, self._run_table, model.table)

    def to_dense(self):
        n, m = self.rows.count, self.shape[1]
        model = self.model
        codes, intact = hamx_decode(*self._kernel_args(), self.runs, model.escape,
                                    model.rare_bits, model.codebook.size, n, m, self.cols_per_block)
        if not intact:
            raise FormatError("hamx stream does not decode to its shape")
        values = np.append(model.codebook, np.float32(0))[codes]
        return self.rows.expand(np.ascontiguousarray(values.reshape(m, n).T))

    def matmul(self, X):
        n, m = self.rows.count, self.shape[1]
        model = self.model
        args = (*self._kernel_args(), model.kernel_values(), self.runs, model.escape,
                model.rare_bits, n, m, self.cols_per_block)
        take = self.rows.take
        return multiply(check_operand(X, self.shape[0]), self.shape,
                        lambda x: intact(hamx_matvec(*args, take(x)), "hamx"),
                        lambda XT, batch: intact(hamx_small(*args, take(XT), batch), "hamx"),
                        lambda XT: intact(hamx_matmat(*args, take(XT)), "hamx"))

    def _fields(self):
        return [np.array([self.cols_per_block], np.uint32), self.model.codebook,
                self.run_freqs, self.model.freqs, self.offsets.astype(minimal_uint(self.words.size)),
                self.words, self.rows.field()]

    @classmethod
    def _from_fields(cls, shape, fields):
        params, codebook, run_freqs, value_freqs, offsets, words, live = expect_fields(
            fields, 7, cls.name)
        if params.size != 1 or params[0] < 1:
            raise FormatError("hamx block size is missing or zero")
        cpb = int(params[0])
        if run_freqs.dtype != np.uint16 or words.dtype != np.uint16:
            raise FormatError("hamx run frequencies and stream must be uint16")
        offsets = check_offsets(offsets, LANES * -(-shape[1] // cpb), words.size, 2)
        model = ValueModel.from_fields(codebook, value_freqs)
        return cls(shape, LiveRows.from_field(shape[0], live, cls.name), cpb, run_freqs, model,
                   offsets, words)
