"""General-purpose baselines: gzip, xz and zstd over the dense bytes or the index map's payload.

They answer "does this beat just compressing the file?". Each stores, in the container,
the element count of every field of its inner format (``dense`` or ``im``) and the
compressed concatenation of those fields' little-endian bytes. ``matmul`` decodes to
dense and then multiplies: the cost that computing directly on a compressed form must beat.
"""
import lzma
import zlib
from functools import partial

import numpy as np
import zstandard

from .base import Format, FormatError, check_operand, expect_fields
from .dense import Dense
from .index_map import IndexMap

CODEC_ERRORS = (zlib.error, lzma.LZMAError, zstandard.ZstdError)


class Codec:
    """A compressor at one setting and its inverse, which must give back exactly ``size`` bytes."""

    def __init__(self, compress, decompress):
        self.compress, self.decompress = compress, decompress


def check_output(decompressor, out, size):
    """``out`` if it is all of a single stream of exactly ``size`` bytes, else FormatError."""
    if len(out) != size or not decompressor.eof or decompressor.unused_data:
        raise FormatError(f"compressed payload does not decode to exactly {size} bytes")
    return out


def stream_decompress(make, data, size):
    """Decompress with a zlib- or lzma-style object, never producing more than size + 1 bytes."""
    decompressor = make()
    return check_output(decompressor, decompressor.decompress(data, size + 1), size)


def zstd_compress(data, level):
    """One zstd frame at ``level``; it records the content size, which decoding checks first."""
    return zstandard.ZstdCompressor(level=level).compress(data)


def zstd_decompress(data, size):
    """Decompress one zstd frame, refusing a frame that declares any size but ``size``."""
    if zstandard.frame_content_size(data) != size:
        raise FormatError(f"zstd frame does not declare {size} bytes")
    decompressor = zstandard.ZstdDecompressor().decompressobj()
    return check_output(decompressor, decompressor.decompress(data), size)


ZLIB6 = Codec(partial(zlib.compress, level=6), partial(stream_decompress, zlib.decompressobj))
XZ6 = Codec(partial(lzma.compress, preset=6), partial(stream_decompress, lzma.LZMADecompressor))
ZSTD3 = Codec(partial(zstd_compress, level=3), zstd_decompress)
ZSTD19 = Codec(partial(zstd_compress, level=19), zstd_decompress)


class Compressed(Format):
    """An inner format's fields, compressed by a codec; subclasses set inner, dtypes and codec."""

    inner = None
    dtypes = ()
    codec = None

    def __init__(self, shape, counts, payload):
        super().__init__(shape)
        self.counts = counts
        self.payload = payload

    @classmethod
    def from_dense(cls, W):
        """Encode W with the inner format, then compress its fields' bytes."""
        inner = cls.inner.from_dense(W)
        fields = inner._fields()
        raw = b"".join(f.astype(f.dtype.newbyteorder("<"), copy=False).tobytes() for f in fields)
        counts = np.array([f.size for f in fields], np.uint64)
        payload = np.frombuffer(cls.codec.compress(raw), np.uint8)
        return cls(inner.shape, counts, payload)

    def to_dense(self):
        """Decompress, then decode the inner format: the decode time a user of the file pays."""
        return self.decode().to_dense()

    def matmul(self, X):
        """Decode to dense, then X @ W: what computing directly on a compressed form must beat."""
        X = check_operand(X, self.shape[0])
        return X @ self.to_dense()

    def decode(self):
        """Decompress the payload and rebuild the inner format; FormatError if it is corrupt."""
        sizes = [int(count) * np.dtype(dtype).itemsize
                 for count, dtype in zip(self.counts, self.dtypes)]
        try:
            raw = self.codec.decompress(self.payload.tobytes(), sum(sizes))
        except CODEC_ERRORS as error:
            raise FormatError(f"{self.name}: corrupt compressed payload ({error})") from None
        starts = np.cumsum([0, *sizes])
        fields = [np.frombuffer(raw, np.dtype(dtype).newbyteorder("<"), int(count), int(start))
                  .astype(dtype, copy=False)
                  for count, dtype, start in zip(self.counts, self.dtypes, starts)]
        return self.inner._from_fields(self.shape, fields)

    def _fields(self):
        return [self.counts, self.payload]

    @classmethod
    def _from_fields(cls, shape, fields):
        counts, payload = expect_fields(fields, 2, cls.name)
        if counts.dtype != np.uint64 or counts.size != len(cls.dtypes) or payload.dtype != np.uint8:
            raise FormatError(f"{cls.name} needs {len(cls.dtypes)} uint64 counts "
                              "and a uint8 payload")
        if int(counts.max()) > shape[0] * shape[1]:
            raise FormatError(f"{cls.name} field counts exceed one per weight")
        enc = cls(shape, counts, payload)
        enc.decode()
        return enc


class CompressedDense(Compressed):
    """The dense float32 bytes, row-major, as a user would compress the raw file."""

    inner, dtypes = Dense, (np.float32,)


class CompressedIM(Compressed):
    """The index map's codebook and packed indices, exactly as ``im`` stores them."""

    inner, dtypes = IndexMap, (np.float32, np.uint64)


class Gzip(CompressedDense):
    name, codec = "gzip", ZLIB6


class Xz(CompressedDense):
    name, codec = "xz", XZ6


class Zstd3(CompressedDense):
    name, codec = "zstd3", ZSTD3


class Zstd19(CompressedDense):
    name, codec = "zstd19", ZSTD19


class IMGzip(CompressedIM):
    name, codec = "im_gzip", ZLIB6


class IMXz(CompressedIM):
    name, codec = "im_xz", XZ6


class IMZstd3(CompressedIM):
    name, codec = "im_zstd3", ZSTD3


class IMZstd19(CompressedIM):
    name, codec = "im_zstd19", ZSTD19
