"""Small batches: each row of X^T as one vector, the accumulators in registers.

A batch of 2 to ``MAX_BATCH`` rows is multiplied as X^T of shape (n, width), width the
first of ``WIDTHS`` that holds the batch (zero columns fill the rest). A kernel decodes
each column once and, per nonzero, adds ``value * X^T[row]`` to ``width`` float64
accumulators in one vector operation: one load of the row's inputs, no array view, and
the accumulators in registers for the whole column. So decoding, not the multiply-adds,
stays what a column costs.

The width has to be known when a kernel is compiled (for the vector type, and for the
accumulators to stay in registers), so it travels as the length of a tuple, ``batch``
(``batch_token``): each width compiles once per kernel and is cached like any other
signature.

The operations are numba intrinsics, so that the vector code does not depend on the
loop vectoriser (which unrolls short constant loops into scalar code instead):

- ``acc_buffer(batch)``: a (1, width) float64 array on the stack, which LLVM keeps in
  registers (only whole rows of it are used);
- ``acc_zero(acc, k, batch)``: acc[k] = 0;
- ``acc_madd(acc, k, XT, row, value, batch)``: acc[k] += value * XT[row], the product in
  float32 (as ``value * XT[row, c]`` in a kernel) added in float64, lane by lane: the
  arithmetic of ``acc += x[row] * value`` in a vector kernel, so that a kernel which adds
  the nonzeros as the vector kernel does gives every row of X the vector kernel's bits;
- ``acc_madd2(acc, k, XT, row0, value0, row1, value1, batch)``: acc[k] += value0 * XT[row0]
  + value1 * XT[row1], the two products summed in float32 first (``x[r0] * v0 + x[r1] * v1``);
- ``acc_add(acc, k, other, l, batch)``: acc[k] += other[l];
- ``acc_store(YT, j, acc, k, batch)``: YT[j] = float32(acc[k]).

Row indices are neither wrapped nor bounds-checked, as in any njit kernel.
"""
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic
from numba.np.arrayobj import populate_array

WIDTHS = (8, 16)
MAX_BATCH = WIDTHS[-1]
_ACC = types.Array(types.float64, 2, "C")
_ALIGN = 64  # bytes: a cache line
_BLOCK = 64  # columns per block of a transpose


def batch_token(b):
    """The ``batch`` argument for b rows (2..MAX_BATCH): a tuple as long as the padded width."""
    if not 2 <= b <= MAX_BATCH:
        raise ValueError(f"small-batch kernels take 2 to {MAX_BATCH} rows, not {b}")
    return (0,) * next(width for width in WIDTHS if width >= b)


def padded_transpose(X, width):
    """X^T (n, width) float32 for X of shape (b, n), b <= width, zero columns after b.

    Its rows start on 64-byte boundaries, so a row of 16 inputs is one cache line, not two.
    """
    n = X.shape[1]
    size = n * width
    buffer = np.zeros(size + _ALIGN // 4, np.float32)
    start = (-buffer.ctypes.data % _ALIGN) // 4
    XT = buffer[start:start + size].reshape(n, width)
    _transpose_into(X, XT)
    return XT


@njit(cache=True)
def _transpose_into(X, XT):
    """XT[i, c] = X[c, i], a block of columns of X at a time (numpy's strided copy is slower)."""
    b, n = X.shape
    for start in range(0, n, _BLOCK):
        for c in range(b):
            for i in range(start, min(n, start + _BLOCK)):
                XT[i, c] = X[c, i]


@njit(cache=True)
def unpad_transpose(YT, b):
    """The (b, m) product from a kernel's (m, width) YT: its first b columns, transposed."""
    m = YT.shape[0]
    Y = np.empty((b, m), YT.dtype)
    for start in range(0, m, _BLOCK):
        for c in range(b):
            for j in range(start, min(m, start + _BLOCK)):
                Y[c, j] = YT[j, c]
    return Y


def _width(batch):
    """The width a ``batch`` token stands for."""
    if not isinstance(batch, types.UniTuple):
        raise TypingError(f"batch must be a tuple as long as the width (batch_token), not {batch}")
    return batch.count


def _check_rows(array, what):
    if not (isinstance(array, types.Array) and array.ndim == 2 and array.layout == "C"
            and isinstance(array.dtype, types.Float)):
        raise TypingError(f"{what} must be a C-contiguous 2-D float array, not {array}")


def _row(context, builder, aryty, ary, index, indexty, vector):
    """Pointer to ary[index, 0], as a pointer to ``vector``."""
    array = context.make_array(aryty)(context, builder, ary)
    index = context.cast(builder, index, indexty, types.intp)
    pointer = cgutils.get_item_pointer(context, builder, aryty, array,
                                       [index, context.get_constant(types.intp, 0)])
    return builder.bitcast(pointer, vector.as_pointer())


def _vector(context, dtype, width):
    return ir.VectorType(context.get_value_type(dtype), width)


def _convert(builder, vector, source, target, target_vector):
    """A float vector from ``source`` to ``target`` precision."""
    if source.bitwidth == target.bitwidth:
        return vector
    if source.bitwidth < target.bitwidth:
        return builder.fpext(vector, target_vector)
    return builder.fptrunc(vector, target_vector)


@intrinsic
def acc_buffer(typingctx, batch):
    """A (1, width) float64 array on the stack, for accumulators."""
    width = _width(batch)

    def codegen(context, builder, sig, args):
        vector = _vector(context, types.float64, width)
        slot = cgutils.alloca_once(builder, vector)
        size = context.get_constant(types.intp, 8)
        array = context.make_array(_ACC)(context, builder)
        populate_array(array, data=builder.bitcast(slot, ir.DoubleType().as_pointer()),
                       shape=[context.get_constant(types.intp, 1),
                              context.get_constant(types.intp, width)],
                       strides=[context.get_constant(types.intp, 8 * width), size],
                       itemsize=size, meminfo=None)
        return array._getvalue()
    return _ACC(batch), codegen


@intrinsic
def acc_zero(typingctx, acc, k, batch):
    """acc[k, :width] = 0."""
    width = _width(batch)
    _check_rows(acc, "acc")

    def codegen(context, builder, sig, args):
        vector = _vector(context, sig.args[0].dtype, width)
        row = _row(context, builder, sig.args[0], args[0], args[1], sig.args[1], vector)
        builder.store(ir.Constant(vector, None), row, align=sig.args[0].dtype.bitwidth // 8)
        return context.get_dummy_value()
    return types.void(acc, k, batch), codegen


def _splat(builder, scalar, vector):
    """A vector with ``scalar`` in every lane."""
    width = vector.count
    one = builder.insert_element(ir.Constant(vector, ir.Undefined), scalar, ir.Constant(ir.IntType(32), 0))
    return builder.shuffle_vector(one, ir.Constant(vector, ir.Undefined),
                                  ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width))


def _product_type(typingctx, XT, values):
    """The type of ``value * XT[row, c]`` in a kernel, for every value's type."""
    product = XT.dtype
    for value in values:
        product = typingctx.unify_pairs(product, value)
    if not isinstance(product, types.Float):
        raise TypingError(f"acc_madd needs float inputs, not {XT.dtype} and {values}")
    return product


def _products(context, builder, sig, XT, pairs, product_type, width):
    """The vectors value * XT[row] for the (row, value) argument positions in ``pairs``."""
    xt_t = sig.args[2]
    x_vector = _vector(context, xt_t.dtype, width)
    p_vector = _vector(context, product_type, width)
    out = []
    for row, value in pairs:
        x = builder.load(_row(context, builder, xt_t, XT, row[0], row[1], x_vector),
                         align=xt_t.dtype.bitwidth // 8)
        x = _convert(builder, x, xt_t.dtype, product_type, p_vector)
        scale = context.cast(builder, value[0], value[1], product_type)
        out.append(builder.fmul(x, _splat(builder, scale, p_vector)))
    return out


def _add_into(context, builder, sig, args, vector, product_type, width):
    """acc[k] += vector (converted from ``product_type`` to acc's type)."""
    acc_t = sig.args[0]
    a_vector = _vector(context, acc_t.dtype, width)
    target = _row(context, builder, acc_t, args[0], args[1], sig.args[1], a_vector)
    align = acc_t.dtype.bitwidth // 8
    vector = _convert(builder, vector, product_type, acc_t.dtype, a_vector)
    builder.store(builder.fadd(builder.load(target, align=align), vector), target, align=align)


@intrinsic
def acc_madd(typingctx, acc, k, XT, row, value, batch):
    """acc[k, :width] += value * XT[row, :width]: product in the inputs' type, sum in acc's."""
    width = _width(batch)
    _check_rows(acc, "acc")
    _check_rows(XT, "XT")
    product_type = _product_type(typingctx, XT, (value,))

    def codegen(context, builder, sig, args):
        (product,) = _products(context, builder, sig, args[2],
                               [((args[3], sig.args[3]), (args[4], sig.args[4]))], product_type, width)
        _add_into(context, builder, sig, args, product, product_type, width)
        return context.get_dummy_value()
    return types.void(acc, k, XT, row, value, batch), codegen


@intrinsic
def acc_madd2(typingctx, acc, k, XT, row0, value0, row1, value1, batch):
    """acc[k] += value0 * XT[row0] + value1 * XT[row1], the two products summed in their
    own type first (as ``x[r0] * v0 + x[r1] * v1`` in a kernel), then added in acc's."""
    width = _width(batch)
    _check_rows(acc, "acc")
    _check_rows(XT, "XT")
    product_type = _product_type(typingctx, XT, (value0, value1))

    def codegen(context, builder, sig, args):
        first, second = _products(context, builder, sig, args[2],
                                  [((args[3], sig.args[3]), (args[4], sig.args[4])),
                                   ((args[5], sig.args[5]), (args[6], sig.args[6]))],
                                  product_type, width)
        _add_into(context, builder, sig, args, builder.fadd(first, second), product_type, width)
        return context.get_dummy_value()
    return types.void(acc, k, XT, row0, value0, row1, value1, batch), codegen


@intrinsic
def acc_add(typingctx, acc, k, other, l, batch):
    """acc[k, :width] += other[l, :width]."""
    width = _width(batch)
    _check_rows(acc, "acc")
    _check_rows(other, "other")

    def codegen(context, builder, sig, args):
        other_t = sig.args[2]
        vector = _vector(context, other_t.dtype, width)
        value = builder.load(_row(context, builder, other_t, args[2], args[3], sig.args[3], vector),
                             align=other_t.dtype.bitwidth // 8)
        _add_into(context, builder, sig, args, value, other_t.dtype, width)
        return context.get_dummy_value()
    return types.void(acc, k, other, l, batch), codegen


@intrinsic
def acc_store(typingctx, YT, j, acc, k, batch):
    """YT[j, :width] = acc[k, :width], converted to YT's type."""
    width = _width(batch)
    _check_rows(YT, "YT")
    _check_rows(acc, "acc")

    def codegen(context, builder, sig, args):
        out_t, _, acc_t, _, _ = sig.args
        a_vector = _vector(context, acc_t.dtype, width)
        o_vector = _vector(context, out_t.dtype, width)
        value = builder.load(_row(context, builder, acc_t, args[2], args[3], sig.args[3], a_vector),
                             align=acc_t.dtype.bitwidth // 8)
        builder.store(_convert(builder, value, acc_t.dtype, out_t.dtype, o_vector),
                      _row(context, builder, out_t, args[0], args[1], sig.args[1], o_vector),
                      align=out_t.dtype.bitwidth // 8)
        return context.get_dummy_value()
    return types.void(YT, j, acc, k, batch), codegen
