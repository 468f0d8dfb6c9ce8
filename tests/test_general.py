"""The general-purpose baselines store the compressor's plain output and refuse corrupt payloads."""
import lzma
import zlib

import numpy as np
import pytest
import zstandard

from sham_core.formats import BASELINES, DIRECT, FORMATS, FormatError, load
from sham_core.formats.container import pack, packed_size, unpack
from matrices import assert_matmul_close, quantized

W = quantized((40, 30), 8, 0.6)
COMPRESS = {"gzip": lambda raw: zlib.compress(raw, 6),
            "xz": lambda raw: lzma.compress(raw, preset=6),
            "zstd3": zstandard.ZstdCompressor(level=3).compress,
            "zstd19": zstandard.ZstdCompressor(level=19).compress}


def repacked(name, change):
    """The encoding of W with its fields edited by ``change`` and a fresh CRC."""
    _, shape, fields = unpack(FORMATS[name].from_dense(W).to_bytes())
    counts, payload = (field.copy() for field in fields)
    counts, payload = change(counts, payload)
    return pack(name, shape, [counts, payload])


def test_registry_splits_into_direct_formats_and_baselines():
    assert {"dense", "csc", "csr", "im", "ham", "sham"} <= set(DIRECT)
    assert set(BASELINES) == {*COMPRESS, *(f"im_{codec}" for codec in COMPRESS)}
    assert not set(DIRECT) & set(BASELINES) and set(DIRECT) | set(BASELINES) == set(FORMATS)


@pytest.mark.parametrize("codec", sorted(COMPRESS))
def test_payload_is_the_plain_compressor_output(codec):
    """ψ is what the user gets from the compressor, plus the container's fixed overhead."""
    im = FORMATS["im"].from_dense(W)
    im_raw = b"".join(field.tobytes() for field in im._fields())
    for name, raw in ((codec, W.tobytes()), (f"im_{codec}", im_raw)):
        enc = FORMATS[name].from_dense(W)
        payload = COMPRESS[codec](raw)
        assert enc.payload.tobytes() == payload
        assert enc.nbytes == packed_size(name, [np.zeros(len(enc.dtypes), np.uint64), enc.payload])


@pytest.mark.parametrize("name", BASELINES)
def test_matmul_decodes_to_dense_first(name):
    enc = FORMATS[name].from_dense(W)
    X = np.random.default_rng(0).normal(size=(3, 40)).astype(np.float32)
    assert_matmul_close(enc.matmul(X), X, W)
    assert "decode" in type(enc).matmul.__doc__.lower()


CORRUPT = {
    "payload truncated": lambda c, p: (c, p[:-3]),
    "payload empty": lambda c, p: (c, p[:0]),
    "trailing bytes": lambda c, p: (c, np.append(p, np.uint8(7))),
    "random payload": lambda c, p: (c, np.random.default_rng(1).integers(0, 256, p.size, np.uint8)),
    "two streams": lambda c, p: (c, np.concatenate([p, p])),
    "count one short": lambda c, p: (np.append(c[:-1], c[-1] - np.uint64(1)), p),
    "count one long": lambda c, p: (c + np.uint64(1), p),
    "huge count": lambda c, p: (np.full_like(c, 2**40), p),
    "missing count": lambda c, p: (c[:0], p),
    "counts as uint32": lambda c, p: (c.astype(np.uint32), p),
    "payload as uint16": lambda c, p: (c, p[:p.size // 2 * 2].view(np.uint16)),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
@pytest.mark.parametrize("name", BASELINES)
def test_inconsistent_fields_with_a_valid_crc_are_refused(name, case):
    with pytest.raises(FormatError):
        load(repacked(name, CORRUPT[case]))


@pytest.mark.parametrize("name", [name for name in BASELINES if name.startswith("im_")])
def test_counts_that_keep_the_size_but_split_it_wrongly_are_refused(name):
    """Two more codebook entries, one less index word: the same bytes, refused by the index map."""
    with pytest.raises(FormatError, match="index map"):
        load(repacked(name, lambda c, p: (np.array([c[0] + 2, c[1] - 1], np.uint64), p)))


@pytest.mark.parametrize("name", ["gzip", "xz", "zstd3", "im_gzip", "im_xz", "im_zstd19"])
def test_another_codecs_payload_is_refused(name):
    other = "xz" if "gzip" in name else "gzip"
    foreign = FORMATS[name.replace(name.split("_")[-1], other)].from_dense(W).payload
    with pytest.raises(FormatError):
        load(repacked(name, lambda c, p: (c, foreign)))


@pytest.mark.parametrize("name", BASELINES)
def test_flipped_payload_bytes_give_format_error_or_a_matrix(name):
    """Past the CRC, a damaged stream is refused by the codec or decodes to some matrix."""
    size = FORMATS[name].from_dense(W).payload.size
    for position in np.random.default_rng(4).choice(size, size=min(size, 60), replace=False):
        def flip(c, p, position=position):
            p[position] ^= 0x5A
            return c, p
        try:
            decoded = load(repacked(name, flip)).to_dense()
        except FormatError:
            continue
        assert decoded.shape == W.shape and decoded.dtype == np.float32
