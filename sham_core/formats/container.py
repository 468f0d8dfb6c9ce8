"""The self-describing byte layout shared by every format.

    magic "SHAM" | version u8 | name length u8 | name | rows u64 | cols u64
    | field count u8 | per field: dtype code u8, length u64, raw little-endian bytes
    | CRC32 u32 of everything before it
"""
import struct
import zlib

import numpy as np

MAGIC = b"SHAM"
VERSION = 2
_DTYPES = [np.dtype(t).newbyteorder("<") for t in
           ("uint8", "uint16", "uint32", "uint64", "float32", "int64")]
_FIELD_HEAD = struct.Struct("<BQ")
_SHAPE = struct.Struct("<QQ")


class FormatError(ValueError):
    """A buffer that is not a valid, intact encoding."""


def dtype_code(dtype):
    for code, known in enumerate(_DTYPES):
        if np.dtype(dtype).newbyteorder("<") == known:
            return code
    raise TypeError(f"dtype {dtype} cannot be stored")


def packed_size(name, fields):
    """Exact length of ``pack(name, shape, fields)`` without building it."""
    head = len(MAGIC) + 2 + len(name) + _SHAPE.size + 1
    return head + sum(_FIELD_HEAD.size + a.nbytes for a in fields) + 4


def pack(name, shape, fields):
    """Serialize a format's name, shape and ordered 1-D array fields."""
    name_bytes = name.encode("ascii")
    parts = [MAGIC, bytes([VERSION, len(name_bytes)]), name_bytes, _SHAPE.pack(*shape),
             bytes([len(fields)])]
    for array in fields:
        array = np.ascontiguousarray(array)
        parts.append(_FIELD_HEAD.pack(dtype_code(array.dtype), array.size))
        parts.append(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    body = b"".join(parts)
    return body + struct.pack("<I", zlib.crc32(body))


def unpack(buf):
    """Check and split a buffer into ``(name, shape, fields)``; raises FormatError."""
    try:
        buf = memoryview(buf).cast("B")
    except TypeError as error:
        raise FormatError(f"expected a bytes-like buffer: {error}") from None
    if len(buf) < len(MAGIC) or bytes(buf[:len(MAGIC)]) != MAGIC:
        raise FormatError("not a sham_core encoding: unknown magic bytes")
    if len(buf) < len(MAGIC) + 2 + _SHAPE.size + 5:
        raise FormatError(f"buffer truncated: only {len(buf)} bytes")
    version = buf[len(MAGIC)]
    if version != VERSION:
        raise FormatError(f"format version {version} is not supported "
                          f"(this sham_core reads version {VERSION})")
    stored_crc = struct.unpack("<I", buf[-4:])[0]
    if zlib.crc32(buf[:-4]) != stored_crc:
        raise FormatError("CRC32 mismatch: the buffer is truncated or corrupted")
    reader = _Reader(buf[:-4], len(MAGIC) + 1)
    name = bytes(reader.take(reader.take(1)[0])).decode("ascii", "replace")
    shape = _SHAPE.unpack(reader.take(_SHAPE.size))
    fields = [reader.array() for _ in range(reader.take(1)[0])]
    if reader.pos != len(reader.buf):
        raise FormatError(f"{len(reader.buf) - reader.pos} unexpected trailing bytes")
    return name, shape, fields


class _Reader:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos

    def take(self, nbytes):
        if self.pos + nbytes > len(self.buf):
            raise FormatError("buffer truncated inside its fields")
        chunk = self.buf[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return chunk

    def array(self):
        code, length = _FIELD_HEAD.unpack(self.take(_FIELD_HEAD.size))
        if code >= len(_DTYPES):
            raise FormatError(f"unknown dtype code {code}")
        dtype = _DTYPES[code]
        return np.frombuffer(self.take(length * dtype.itemsize), dtype).astype(dtype.newbyteorder("="))
