"""Plain float32, row-major: the reference that psi is measured against."""
import numpy as np

from .base import Format, FormatError, check_matrix, check_operand, expect_fields


class Dense(Format):
    name = "dense"

    def __init__(self, W):
        super().__init__(W.shape)
        self.W = W

    @classmethod
    def from_dense(cls, W):
        """Store W (converted to C-contiguous float32)."""
        return cls(check_matrix(W).copy())

    def to_dense(self):
        return self.W.copy()

    def matmul(self, X):
        """numpy's X @ W; one row as a vector, x @ W, whether X is (n,) or (1, n)."""
        X = check_operand(X, self.shape[0])
        if X.ndim == 2 and X.shape[0] == 1:
            return (X[0] @ self.W)[None]
        return X @ self.W

    def _fields(self):
        return [self.W.ravel()]

    @classmethod
    def _from_fields(cls, shape, fields):
        (values,) = expect_fields(fields, 1, cls.name)
        if values.dtype != np.float32 or values.size != shape[0] * shape[1]:
            raise FormatError("dense payload does not match the shape")
        return cls(values.reshape(shape))
