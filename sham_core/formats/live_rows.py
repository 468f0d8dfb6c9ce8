"""Rows that hold a nonzero: hamx and shamx may code only those, so dead inputs cost a bit each.

Pruning often zeroes whole rows of a weight matrix (inputs that no neuron uses). Coded
as zero runs or gaps they still cost a token per column. Skipping them instead costs a
bitmap of the live rows (n / 8 bytes); the multiply then drops the dead inputs from X
first. The formats encode both ways when rows are dead and keep the smaller.
"""
import numpy as np

from .base import FormatError, check_matrix


class LiveRows:
    """Of a matrix with ``n`` rows, which are coded: all (``mask`` None) or those in ``mask``."""

    def __init__(self, n, mask=None):
        self.n, self.mask = n, mask
        self.count = n if mask is None else int(mask.sum())

    @classmethod
    def of(cls, W):
        """The rows of W with an entry other than +0.0 (-0.0 is a value here, as everywhere)."""
        mask = (W.view(np.uint32) != 0).any(axis=1)
        return cls(W.shape[0], mask if 0 < mask.sum() < mask.size else None)

    def split(self, W):
        """(W's live rows, self): the arguments an encoder takes."""
        return self.take(W), self

    def take(self, A):
        """The live rows of A (W, or X.T for X @ W); A itself when every row is live."""
        return A if self.mask is None else np.ascontiguousarray(A[self.mask])

    def expand(self, D):
        """The n-row matrix whose live rows are D and whose other rows are +0.0."""
        if self.mask is None:
            return D
        full = np.zeros((self.n, D.shape[1]), D.dtype)
        full[self.mask] = D
        return full

    def field(self):
        """The stored bitmap: empty when every row is live."""
        return np.zeros(0, np.uint8) if self.mask is None else np.packbits(self.mask)

    @classmethod
    def from_field(cls, n, field, name):
        """The live rows a stored bitmap names, or FormatError."""
        if field.dtype != np.uint8 or field.size not in (0, -(-n // 8)):
            raise FormatError(f"{name} live-row bitmap must be empty or {-(-n // 8)} bytes")
        if field.size == 0:
            return cls(n)
        mask = np.unpackbits(field, count=n).astype(bool)
        if not mask.any() or not np.array_equal(np.packbits(mask), field):
            raise FormatError(f"{name} live-row bitmap names no row, or bits past row {n}")
        return cls(n, mask)


class SkipsDeadRows:
    """For formats that can code the live rows only: they implement
    ``_encode(shape, W, rows)`` (W holds the coded rows) and get ``from_dense``."""

    @classmethod
    def from_dense(cls, W):
        """Encode W (converted to float32) over every row, and over the live rows only where
        some rows are dead: whichever is smaller. -0.0 is a value, so it survives."""
        W = check_matrix(W)
        every = cls._encode(W.shape, W, LiveRows(W.shape[0]))
        rows = LiveRows.of(W)
        if rows.mask is None:
            return every
        return min(every, cls._encode(W.shape, *rows.split(W)), key=lambda enc: enc.nbytes)
