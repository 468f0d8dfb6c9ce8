"""sHAM: CSC structure with the nonzero values Huffman-coded."""
import numpy as np

from ..kernels.sham import sham_matmat, sham_matvec, sham_small
from .base import (Format, FormatError, check_matrix, check_operand, check_pointers,
                   check_sorted_indices, check_width, expect_fields, minimal_uint, multiply)
from .coded_stream import CodedStream, block_starts, columns_per_block
from .sparse import compress, expand


class SHAM(Format):
    name = "sham"

    def __init__(self, shape, cols_per_block, colptr, rows, stream):
        super().__init__(shape)
        self.cols_per_block = cols_per_block
        self.colptr, self.rows, self.stream = colptr, rows, stream
        self._pair_table = stream.pair_table()

    @classmethod
    def from_dense(cls, W):
        """Encode W (converted to float32); -0.0 counts as a nonzero, so it survives."""
        W = check_matrix(W)
        n, m = W.shape
        cpb = columns_per_block(n)
        colptr, rows, values = compress(np.ascontiguousarray(W.T))
        stream = CodedStream.encode(values.view(np.uint32), colptr[block_starts(m, cpb)])
        return cls(W.shape, cpb, colptr, rows, stream)

    def to_dense(self):
        n, m = self.shape
        values = self.stream.decode(self.colptr[block_starts(m, self.cols_per_block)])
        return np.ascontiguousarray(expand(self.colptr, self.rows, values, (m, n)).T)

    def matmul(self, X):
        s = self.stream
        rest = (s.table2, s.codebook, self.colptr, self.rows, self.cols_per_block)
        return multiply(check_operand(X, self.shape[0]), self.shape,
                        lambda x: sham_matvec(s.words, s.offsets, self._pair_table, *rest, x),
                        lambda XT, batch: sham_small(s.words, s.offsets, self._pair_table, *rest,
                                                     XT, batch),
                        lambda XT: sham_matmat(s.words, s.offsets, s.table1, *rest, XT))

    def _fields(self):
        n = self.shape[0]
        return [np.array([self.cols_per_block], np.uint32),
                self.colptr.astype(minimal_uint(self.rows.size)),
                self.rows.astype(minimal_uint(n - 1)),
                *self.stream.fields()]

    @classmethod
    def _from_fields(cls, shape, fields):
        params, colptr, rows, *stream_fields = expect_fields(fields, 7, cls.name)
        n, m = shape
        if params.size != 1 or params[0] < 1:
            raise FormatError("sHAM block size is missing or zero")
        cpb = int(params[0])
        check_width(colptr, rows.size, "sHAM column pointers")
        check_width(rows, n - 1, "sHAM row indices")
        colptr = check_pointers(colptr, m, rows.size, "sHAM column pointers")
        rows = check_sorted_indices(colptr, rows, n, "sHAM row indices", "column")
        stream = CodedStream.from_fields(*stream_fields, -(-m // cpb), rows.size)
        return cls(shape, cpb, colptr, rows, stream)

