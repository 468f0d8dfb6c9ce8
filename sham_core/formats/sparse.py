"""CSC and CSR: one compressed-sparse class, differing only by which axis is major."""
import numba
import numpy as np

from ..kernels.sparse import (column_matmat, column_matvec, column_small, compress_major, row_matmat,
                              row_small)
from .base import (Format, FormatError, check_matrix, check_operand, check_pointers,
                   check_sorted_indices, check_width, expect_fields, minimal_uint, multiply)


def compress(M):
    """Pointers, minor indices and values of the nonzero bit patterns of each row of M."""
    bits = M.view(np.uint32)
    pointers, indices = compress_major(bits)
    rows = np.repeat(np.arange(M.shape[0]), np.diff(pointers))
    return pointers, indices, M[rows, indices]


def expand(pointers, indices, values, shape):
    """Dense (major, minor) matrix from compressed rows."""
    M = np.zeros(shape, np.float32)
    M[np.repeat(np.arange(shape[0]), np.diff(pointers)), indices] = values
    return M


class _Compressed(Format):
    """Pointers over the major axis, minor indices and float32 values of the nonzeros."""

    major_axis = None

    def __init__(self, shape, pointers, indices, values):
        super().__init__(shape)
        self.pointers, self.indices, self.values = pointers, indices, values

    @classmethod
    def from_dense(cls, W):
        """Encode W (converted to float32); -0.0 is kept as an explicit entry."""
        W = check_matrix(W)
        M = np.ascontiguousarray(W.T) if cls.major_axis == 1 else W
        return cls(W.shape, *compress(M))

    def _major_shape(self):
        return self.shape[::-1] if self.major_axis == 1 else self.shape

    def to_dense(self):
        M = expand(self.pointers, self.indices, self.values, self._major_shape())
        return np.ascontiguousarray(M.T) if self.major_axis == 1 else M

    def _fields(self):
        major, minor = self._major_shape()
        return [self.pointers.astype(minimal_uint(self.values.size)),
                self.indices.astype(minimal_uint(max(minor - 1, 0))),
                self.values]

    @classmethod
    def _from_fields(cls, shape, fields):
        pointers, indices, values = expect_fields(fields, 3, cls.name)
        major, minor = shape[::-1] if cls.major_axis == 1 else shape
        slices, across = ("column", "row") if cls.major_axis == 1 else ("row", "column")
        if indices.size != values.size or values.dtype != np.float32:
            raise FormatError(f"{cls.name} needs one {across} index per float32 value; found "
                              f"{indices.size} indices and {values.size} {values.dtype} values")
        check_width(pointers, values.size, f"{cls.name} {slices} pointers")
        check_width(indices, max(minor - 1, 0), f"{cls.name} {across} indices")
        pointers = check_pointers(pointers, major, values.size, f"{cls.name} {slices} pointers")
        indices = check_sorted_indices(pointers, indices, minor, f"{cls.name} {across} indices",
                                       slices)
        return cls(shape, pointers, indices, values)


class CSC(_Compressed):
    name = "csc"
    major_axis = 1

    def matmul(self, X):
        args = (self.pointers, self.indices, self.values)
        return multiply(check_operand(X, self.shape[0]), self.shape,
                        lambda x: column_matvec(*args, x),
                        lambda XT, batch: column_small(*args, XT, batch),
                        lambda XT: column_matmat(*args, XT))


class CSR(_Compressed):
    name = "csr"
    major_axis = 0

    def matmul(self, X):
        args = (self.pointers, self.indices, self.values)
        shape = (self.shape[1], min(numba.get_num_threads(), self.shape[0]))
        return multiply(check_operand(X, self.shape[0]), self.shape,
                        lambda x: row_matmat(*args, x[:, None], *shape)[:, 0],
                        lambda XT, batch: row_small(*args, XT, *shape, batch),
                        lambda XT: row_matmat(*args, XT, *shape))
