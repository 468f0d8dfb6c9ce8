"""Index map: a codebook of the distinct values plus a fixed-width index per entry."""
import numpy as np

from ..kernels.bitstream import pack_fixed, unpack_fixed
from ..kernels.index_map import im_matmat, im_matvec, im_small
from ..kernels.symbols import column_major, symbolize
from .base import Format, FormatError, check_matrix, check_operand, expect_fields, multiply
from .coded_stream import columns_per_block


def index_width(k):
    """Bits per index for k distinct values: ceil(log2 k), at least 1."""
    return max(1, int(k - 1).bit_length())


class IndexMap(Format):
    name = "im"

    def __init__(self, shape, codebook, words):
        super().__init__(shape)
        self.codebook = codebook
        self.width = index_width(codebook.size)
        self.words = words
        self._lookup = np.zeros(1 << self.width, np.float32)
        self._lookup[:codebook.size] = codebook

    @classmethod
    def from_dense(cls, W):
        """Encode W (converted to float32); indices are packed column-major."""
        W = check_matrix(W)
        ids, keys, _ = symbolize(column_major(W.view(np.uint32)))
        return cls(W.shape, keys.view(np.float32), pack_fixed(ids, index_width(keys.size)))

    def to_dense(self):
        n, m = self.shape
        ids = unpack_fixed(self.words, self.width, n * m)
        return np.ascontiguousarray(self._lookup[ids].reshape(m, n).T)

    def matmul(self, X):
        n, m = self.shape
        stream, shape = (self.words, self.width, self._lookup), (n, m, columns_per_block(n))
        return multiply(check_operand(X, n), self.shape, lambda x: im_matvec(*stream, *shape, x),
                        lambda XT, batch: im_small(*stream, *shape, XT, batch),
                        lambda XT: im_matmat(*stream, *shape, XT))

    def _fields(self):
        return [self.codebook, self.words[:-1]]

    @classmethod
    def _from_fields(cls, shape, fields):
        codebook, words = expect_fields(fields, 2, cls.name)
        n, m = shape
        if codebook.dtype != np.float32 or words.dtype != np.uint64 or codebook.size == 0:
            raise FormatError("index map needs a float32 codebook and uint64 words")
        if words.size != (n * m * index_width(codebook.size) + 63) // 64:
            raise FormatError("index map stream length does not match the shape")
        return cls(shape, codebook, np.append(words, np.uint64(0)))
