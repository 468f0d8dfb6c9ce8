"""HAM: one canonical Huffman code over all entries, zero included, column-major."""
import numpy as np

from ..kernels.ham import ham_matmat, ham_matvec, ham_small
from ..kernels.symbols import column_major
from .base import Format, FormatError, check_matrix, check_operand, expect_fields, multiply
from .coded_stream import CodedStream, block_starts, columns_per_block


class HAM(Format):
    name = "ham"

    def __init__(self, shape, cols_per_block, stream):
        super().__init__(shape)
        self.cols_per_block = cols_per_block
        self.stream = stream
        self._run_table = stream.run_table()

    @classmethod
    def from_dense(cls, W):
        """Encode W (converted to float32) column by column, in blocks of columns."""
        W = check_matrix(W)
        n, m = W.shape
        cpb = columns_per_block(n)
        bits = column_major(W.view(np.uint32))
        return cls(W.shape, cpb, CodedStream.encode(bits, block_starts(m, cpb) * n))

    def to_dense(self):
        n, m = self.shape
        values = self.stream.decode(block_starts(m, self.cols_per_block) * n)
        return np.ascontiguousarray(values.reshape(m, n).T)

    def matmul(self, X):
        n, m = self.shape
        s = self.stream
        args = (s.words, s.offsets, self._run_table, s.table2, s.codebook, n, m,
                self.cols_per_block, s.zero_is_bit)
        return multiply(check_operand(X, n), self.shape, lambda x: ham_matvec(*args, x),
                        lambda XT, batch: ham_small(*args, XT, batch),
                        lambda XT: ham_matmat(*args, XT))

    def _fields(self):
        return [np.array([self.cols_per_block], np.uint32), *self.stream.fields()]

    @classmethod
    def _from_fields(cls, shape, fields):
        params, *stream_fields = expect_fields(fields, 5, cls.name)
        if params.size != 1 or params[0] < 1:
            raise FormatError("HAM block size is missing or zero")
        cpb = int(params[0])
        nblocks = -(-shape[1] // cpb)
        stream = CodedStream.from_fields(*stream_fields, nblocks, shape[0] * shape[1])
        return cls(shape, cpb, stream)
