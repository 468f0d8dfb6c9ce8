"""One checklist that every format in FORMATS must pass."""
import numpy as np
import pytest

from sham_core.formats import FORMATS, FormatError, as_matrix, load
from matrices import assert_matmul_close, bits, edge_cases, quantized

EDGE = edge_cases()


@pytest.fixture(params=sorted(FORMATS))
def fmt(request):
    return FORMATS[request.param]


@pytest.mark.parametrize("case", sorted(EDGE))
def test_round_trip_is_bit_exact(fmt, case):
    W = EDGE[case]
    enc = fmt.from_dense(W)
    assert enc.shape == W.shape
    out = enc.to_dense()
    assert out.dtype == np.float32 and out.shape == W.shape
    np.testing.assert_array_equal(bits(out), bits(W))


@pytest.mark.parametrize("case", sorted(EDGE))
def test_bytes_round_trip_and_exact_size(fmt, case):
    W = EDGE[case]
    enc = fmt.from_dense(W)
    buf = enc.to_bytes()
    assert enc.nbytes == len(buf)
    assert enc.psi == len(buf) / (4 * W.size)
    again = load(buf)
    assert type(again) is fmt and again.shape == W.shape
    np.testing.assert_array_equal(bits(again.to_dense()), bits(W))
    assert again.to_bytes() == buf


@pytest.mark.parametrize("case", sorted(EDGE))
def test_matmul_matches_numpy(fmt, case):
    W = EDGE[case]
    if np.abs(W).max() > 1e30:
        pytest.skip("products overflow float32")
    rng = np.random.default_rng(2)
    enc = fmt.from_dense(W)
    x = rng.normal(size=W.shape[0]).astype(np.float32)
    X = rng.normal(size=(5, W.shape[0])).astype(np.float32)
    assert_matmul_close(enc.matmul(x), x, W)
    assert_matmul_close(enc.matmul(X), X, W)
    assert_matmul_close(load(enc.to_bytes()).matmul(X), X, W)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int16])
def test_other_dtypes_become_float32(fmt, dtype):
    W = (quantized((20, 15), 8, 0.5) * 4).astype(dtype)
    np.testing.assert_array_equal(fmt.from_dense(W).to_dense(), W.astype(np.float32))


def test_non_finite_input_is_refused(fmt):
    W = quantized((10, 10), 4, 0.5)
    W[0, 0], W[1, 1], W[2, 2] = np.nan, np.inf, np.nan
    with pytest.raises(ValueError, match="2 NaN and 1 infinite"):
        fmt.from_dense(W)
    with pytest.raises(ValueError, match="infinite"):
        fmt.from_dense(np.array([[1e300]]))


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (0, 3)])
def test_bad_shapes_are_refused(fmt, shape):
    with pytest.raises(ValueError, match="as_matrix" if len(shape) != 2 else "empty"):
        fmt.from_dense(np.ones(shape, np.float32))


@pytest.mark.parametrize("X", [np.ones(7), np.ones((2, 7)), np.ones((2, 3, 8)), np.ones(9)])
def test_matmul_operand_shape_is_checked(fmt, X):
    enc = fmt.from_dense(quantized((8, 4), 4, 0.5))
    with pytest.raises(ValueError, match=r"\(8,\) or \(b, 8\)"):
        enc.matmul(X)


def test_truncated_buffers_are_refused(fmt):
    buf = fmt.from_dense(quantized((30, 20), 8, 0.5)).to_bytes()
    for cut in (0, 3, 10, len(buf) // 2, len(buf) - 1):
        with pytest.raises(FormatError):
            load(buf[:cut])
    with pytest.raises(FormatError):
        load(buf + b"\0")


def test_flipped_bits_are_refused(fmt):
    buf = fmt.from_dense(quantized((30, 20), 8, 0.5)).to_bytes()
    rng = np.random.default_rng(3)
    for position in rng.choice(len(buf) * 8, size=40, replace=False):
        corrupt = bytearray(buf)
        corrupt[position // 8] ^= 1 << (position % 8)
        with pytest.raises(FormatError):
            load(bytes(corrupt))


def test_unknown_magic_and_version_are_refused(fmt):
    buf = fmt.from_dense(quantized((6, 5), 4, 0.5)).to_bytes()
    with pytest.raises(FormatError, match="magic"):
        load(b"NOPE" + buf[4:])
    with pytest.raises(FormatError, match="version 9"):
        load(buf[:4] + bytes([9]) + buf[5:])


def test_as_matrix_flattens_conv_kernels():
    kernel = np.arange(3 * 3 * 4 * 8, dtype=np.float32).reshape(3, 3, 4, 8)
    assert as_matrix(kernel).shape == (36, 8)
    np.testing.assert_array_equal(as_matrix(kernel)[:, 5], kernel[..., 5].ravel())
    assert as_matrix(np.ones((4, 2))).shape == (4, 2)
    with pytest.raises(ValueError):
        as_matrix(np.ones(3))


def test_kernels_compile_once_per_entry_point():
    """Stored dtypes are widened on load, so every kernel sees one set of argument types."""
    import importlib
    import pkgutil

    from numba import types
    from numba.core.registry import CPUDispatcher

    import sham_core.kernels as kernels
    for case in ("tall sparse", "2^17+ distinct", "row"):
        for fmt in FORMATS.values():
            enc = load(fmt.from_dense(EDGE[case]).to_bytes())
            enc.matmul(np.ones(enc.shape[0]))
            for rows in (3, 9, 20):  # both small-batch widths, and the matrix kernels
                enc.matmul(np.ones((rows, enc.shape[0])))
            enc.to_dense()
    checked = 0
    for info in pkgutil.iter_modules(kernels.__path__):
        module = importlib.import_module(f"sham_core.kernels.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == module.__name__:
                # A small-batch kernel compiles once per width, the trailing batch token's length.
                data = {sig[:-1] if isinstance(sig[-1], types.UniTuple) else sig for sig in obj.signatures}
                assert len(data) <= 1, f"{module.__name__}.{name}: {obj.signatures}"
                checked += 1
    assert checked >= 10
