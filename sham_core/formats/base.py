"""The Format interface, input validation and the helpers every format shares."""
import numba
import numpy as np

from ..kernels.small_batch import MAX_BATCH, batch_token, padded_transpose, unpad_transpose
from .container import FormatError, pack, packed_size


def as_matrix(kernel):
    """View a weight tensor as a 2-D matrix: prod(shape[:-1]) x shape[-1].

    Dense kernels (n, m) come back unchanged; a conv kernel (kh, kw, cin, cout)
    becomes (kh * kw * cin, cout).
    """
    kernel = np.asarray(kernel)
    if kernel.ndim < 2:
        raise ValueError(f"a weight tensor needs at least 2 dimensions, got shape {kernel.shape}")
    return kernel.reshape(-1, kernel.shape[-1])


def check_matrix(W):
    """``W`` as a C-contiguous float32 matrix, or a ValueError saying what is wrong.

    float64, float16 and integer input is converted to float32.
    """
    W = np.asarray(W)
    if W.ndim != 2:
        raise ValueError(f"expected a 2-D weight matrix, got shape {W.shape}; "
                         "use sham_core.formats.as_matrix(kernel) for conv kernels")
    if W.size == 0:
        raise ValueError(f"cannot encode an empty matrix of shape {W.shape}")
    if not (np.issubdtype(W.dtype, np.floating) or np.issubdtype(W.dtype, np.integer)):
        raise ValueError(f"expected a numeric matrix, got dtype {W.dtype}")
    with np.errstate(over="ignore"):
        W = np.ascontiguousarray(W, dtype=np.float32)
    finite = np.isfinite(W)
    if not finite.all():
        nan = int(np.isnan(W).sum())
        inf = int(W.size - finite.sum()) - nan
        raise ValueError(f"W has {nan} NaN and {inf} infinite values (after conversion "
                         "to float32); only finite weights can be encoded")
    return W


def check_operand(X, n):
    """``X`` as float32 of shape (n,) or (b, n) for ``X @ W``; ValueError otherwise."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim not in (1, 2) or X.shape[-1] != n:
        raise ValueError(f"matmul expects X of shape ({n},) or (b, {n}), got {X.shape}")
    return np.ascontiguousarray(X)


# Below this many weights (n x m), one row or a small batch is multiplied on one thread:
# waking numba's thread pool costs more than the second thread saves (tens of microseconds
# on an idle machine, a scheduler time slice on a busy one), and a model's layers are often
# this small. Larger batches always use the pool.
SERIAL_WEIGHTS = 1 << 18


def multiply(X, shape, vector, small, batch):
    """X @ W for X from ``check_operand`` and W of ``shape``, by the kernel that suits X's batch b.

    vector(x) -> (m,): one row, whether X is (n,) or (1, n) (a model at batch 1 passes
    (1, n)); small(XT, token) -> (m, width): b = 2..MAX_BATCH, X^T padded to the width of
    ``batch_token(b)`` (see ``kernels.small_batch``); batch(XT) -> (m, b): larger batches.
    """
    b = 1 if X.ndim == 1 else X.shape[0]
    if b > MAX_BATCH:
        return batch(np.ascontiguousarray(X.T)).T.copy()
    threads = numba.get_num_threads()
    if shape[0] * shape[1] < SERIAL_WEIGHTS and threads > 1:
        numba.set_num_threads(1)
    try:
        if X.ndim == 1:
            return vector(X)
        if b == 1:
            return vector(X[0])[None]
        if b == 0:
            return np.zeros((0, shape[1]), np.float32)
        token = batch_token(b)
        return unpad_transpose(small(padded_transpose(X, len(token)), token), b)
    finally:
        numba.set_num_threads(threads)


def intact(result, name):
    """The product of a kernel that returns (product, intact), or FormatError when the stream was not."""
    product, ok = result
    if not ok:
        raise FormatError(f"{name} stream does not decode to its shape")
    return product


def minimal_uint(max_value):
    """The smallest unsigned dtype that holds ``max_value``."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_value <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def check_width(array, max_value, what):
    """FormatError unless ``array`` has the dtype ``_fields`` gives values up to ``max_value``.

    The stored width follows from the shape, so a wrong one means the shape or the array
    was altered (a larger shape would otherwise load and allocate without end).
    """
    if array.dtype != minimal_uint(max_value):
        raise FormatError(f"{what} are stored as {array.dtype}, but this shape needs "
                          f"{minimal_uint(max_value)}: the buffer was altered")


def check_pointers(pointers, major, nnz, what):
    """Pointers as int64 if there are ``major`` + 1 of them, rising from 0 to ``nnz``."""
    pointers = np.asarray(pointers).astype(np.int64)  # uint64 past 2**63 turns negative: a drop
    if pointers.size != major + 1:
        raise FormatError(f"{what}: {pointers.size} values where the shape needs {major + 1}")
    if pointers[0] != 0 or pointers[-1] != nnz:
        raise FormatError(f"{what} must run from 0 to {nnz}, not {pointers[0]} to {pointers[-1]}")
    drops = np.flatnonzero(pointers[1:] < pointers[:-1])
    if drops.size:
        raise FormatError(f"{what} decrease after entry {drops[0]}: the buffer was altered")
    return pointers


def check_sorted_indices(pointers, indices, limit, what, slice_name):
    """Indices as int32 if they lie in [0, limit) and strictly rise within each slice.

    So that a buffer decodes one way only: matmul sums a repeated index, to_dense keeps
    its last value. Vectorised: each step to the next index must be positive, except
    where a slice (column or row) starts.
    """
    if indices.size and indices.max() >= limit:  # stored unsigned (check_width): never < 0
        raise FormatError(f"{what} must be below {limit}, found {indices.max()}")
    indices = indices.astype(np.int32)
    rising = np.diff(indices) > 0
    starts = pointers[1:-1]
    rising[starts[(starts > 0) & (starts < indices.size)] - 1] = True
    if not rising.all():
        where = int(np.searchsorted(pointers, np.argmin(rising) + 1, side="right")) - 1
        raise FormatError(f"{what} of {slice_name} {where} repeat or are out of order: "
                          "the buffer was altered")
    return indices


class Format:
    """A lossless encoding of a float32 matrix.

    Subclasses set ``name``, implement ``from_dense``, ``to_dense``, ``matmul``,
    ``_fields`` (the ordered 1-D arrays stored) and ``_from_fields`` (the inverse,
    which validates and raises FormatError).
    """

    name = None

    def __init__(self, shape):
        self.shape = tuple(int(s) for s in shape)

    @classmethod
    def from_dense(cls, W):
        """Encode W; float64, float16 and integer input is converted to float32."""
        raise NotImplementedError

    def to_dense(self):
        """The float32 matrix, bit-identical to what was encoded."""
        raise NotImplementedError

    def matmul(self, X):
        """X @ W (float32) for X of shape (n,) or (b, n), computed on the stored form."""
        raise NotImplementedError

    def _fields(self):
        raise NotImplementedError

    @classmethod
    def _from_fields(cls, shape, fields):
        raise NotImplementedError

    @property
    def nbytes(self):
        """Exact size in bytes of ``to_bytes()``."""
        return packed_size(self.name, self._fields())

    @property
    def table_nbytes(self):
        """Bytes of the codebook and code tables, for formats that have them (else 0)."""
        return 0

    @property
    def psi(self):
        """Stored bytes over the bytes of the dense float32 matrix."""
        return self.nbytes / (4 * self.shape[0] * self.shape[1])

    def to_bytes(self):
        """The self-describing encoding; ``formats.load`` reads it back."""
        return pack(self.name, self.shape, self._fields())

    def __repr__(self):
        return f"{type(self).__name__}(shape={self.shape}, nbytes={self.nbytes})"


def expect_fields(fields, count, name):
    """``fields`` if there are ``count`` of them, else FormatError."""
    if len(fields) != count:
        raise FormatError(f"{name} expects {count} fields, found {len(fields)}")
    return fields
