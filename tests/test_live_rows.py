"""hamx and shamx skip rows that are entirely zero (dead inputs) where that is smaller."""
import numpy as np
import pytest

from sham_core.formats import FORMATS, FormatError, load
from sham_core.formats.container import pack, unpack
from sham_core.formats.live_rows import LiveRows

SKIPPING = ("hamx", "shamx")


def dead_rows_matrix(n=512, m=256, dead=0.9, seed=0):
    """Laplace values on k = 16 levels; a fraction ``dead`` of the rows entirely +0.0."""
    rng = np.random.default_rng(seed)
    W = rng.laplace(size=16).astype(np.float32)[rng.integers(0, 16, (n, m))]
    W[rng.random(n) < dead] = 0.0
    return W


@pytest.mark.parametrize("name", SKIPPING)
def test_dead_rows_are_skipped_and_everything_round_trips(name):
    W = dead_rows_matrix()
    enc = load(FORMATS[name].from_dense(W).to_bytes())
    every_row = FORMATS[name]._encode(W.shape, W, LiveRows(W.shape[0]))
    assert enc.rows.count == int(W.any(axis=1).sum()) < W.shape[0]
    assert enc.nbytes < 0.6 * every_row.nbytes
    np.testing.assert_array_equal(enc.to_dense().view(np.uint32), W.view(np.uint32))
    X = np.random.default_rng(1).standard_normal((3, W.shape[0])).astype(np.float32)
    np.testing.assert_allclose(enc.matmul(X), X @ W, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(enc.matmul(X[0]), X[0] @ W, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", SKIPPING)
def test_skipping_is_kept_only_where_it_is_smaller(name):
    W = dead_rows_matrix(n=4096, m=1, dead=0.05)  # one column: a bitmap costs more than runs
    enc = FORMATS[name].from_dense(W)
    assert enc.rows.mask is None
    assert enc.nbytes <= FORMATS[name]._encode(W.shape, *LiveRows.of(W).split(W)).nbytes


def test_a_row_of_negative_zeros_is_live():
    W = dead_rows_matrix(n=64, m=64)
    W[np.flatnonzero(~W.any(axis=1))[0]] = -0.0
    for name in SKIPPING:
        back = load(FORMATS[name].from_dense(W).to_bytes()).to_dense()
        np.testing.assert_array_equal(back.view(np.uint32), W.view(np.uint32))


def crafted_bitmap(name, change):
    fmt, shape, fields = unpack(FORMATS[name].from_dense(dead_rows_matrix(n=64, m=64)).to_bytes())
    fields[-1] = change(fields[-1].copy())
    return pack(fmt, shape, fields)


@pytest.mark.parametrize("name", SKIPPING)
@pytest.mark.parametrize("change, message", [
    (lambda bitmap: bitmap[:-1], "must be empty or"),
    (lambda bitmap: np.zeros_like(bitmap), "names no row"),
    (lambda bitmap: bitmap.astype(np.uint16), "must be empty or"),
])
def test_damaged_bitmaps_are_refused(name, change, message):
    with pytest.raises(FormatError, match=message):
        load(crafted_bitmap(name, change))


def test_shamx_refuses_a_bitmap_with_fewer_rows_than_its_columns_hold():
    def one_row(bitmap):
        bitmap[:] = 0
        bitmap[0] = 0x80
        return bitmap
    with pytest.raises(FormatError, match="column counts"):
        load(crafted_bitmap("shamx", one_row))


def test_bitmap_padding_past_the_last_row_is_refused():
    fmt, shape, fields = unpack(FORMATS["hamx"].from_dense(dead_rows_matrix(n=60, m=64)).to_bytes())
    fields[-1][-1] |= 1  # row 63 of a 60-row matrix
    with pytest.raises(FormatError, match="past row"):
        load(pack(fmt, shape, fields))
