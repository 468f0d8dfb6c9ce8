"""The model file's byte layout: a JSON manifest and numbered byte sections, under one CRC32.

    magic b"SHAMMODL" | format version u16 | manifest length u64 | manifest (UTF-8 JSON)
    | section count u32 | per section: length u64, bytes | CRC32 u32 of everything before it

All integers are little-endian. The manifest refers to sections by their index.
"""
import json
import struct
import zlib

from ..common.atomic import atomic_path

MAGIC = b"SHAMMODL"
VERSION = 2  # 2: kernels named by path, with the layer (unit) and index that hold them
_HEAD = struct.Struct("<8sHQ")
_COUNT = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


class ArtifactError(ValueError):
    """A file that is not an intact sham_core model file this version can read."""


def framing(count):
    """Bytes of the layout itself (header, lengths, CRC) for ``count`` sections."""
    return _HEAD.size + _COUNT.size + count * _LENGTH.size + _CRC.size


def write(path, manifest, sections):
    """Write the manifest and sections atomically, streaming the CRC32 (no copy of the whole file)."""
    text = json.dumps(manifest, separators=(",", ":")).encode("utf-8")
    parts = [_HEAD.pack(MAGIC, VERSION, len(text)), text, _COUNT.pack(len(sections))]
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        crc = 0
        for part in parts + [piece for section in sections for piece in (_LENGTH.pack(len(section)), section)]:
            f.write(part)
            crc = zlib.crc32(part, crc)
        f.write(_CRC.pack(crc))


def read(path):
    """(manifest dict, [section memoryview]) of a model file; ArtifactError if it is not an intact one."""
    with open(path, "rb") as f:
        return unpack(f.read(), str(path))


def unpack(buf, source="buffer"):
    """Check and split a file's bytes; the errors name ``source``."""
    buf = memoryview(buf)
    if len(buf) < len(MAGIC) or bytes(buf[:len(MAGIC)]) != MAGIC:
        raise ArtifactError(f"{source} is not a sham_core model file (it does not start with {MAGIC!r})")
    if len(buf) < framing(0):
        raise ArtifactError(f"{source} is truncated: {len(buf)} bytes, shorter than any model file")
    _, version, manifest_length = _HEAD.unpack_from(buf)
    if version > VERSION:
        raise ArtifactError(f"{source} was written by format version {version}; this sham_core reads up to "
                            f"{VERSION}: upgrade sham_core")
    if version < 1:
        raise ArtifactError(f"{source} has an invalid format version {version}")
    manifest, sections, end = _split(buf, manifest_length)
    if end > len(buf):
        raise ArtifactError(f"{source} is truncated: {len(buf)} bytes, its lengths declare at least {end}")
    if end < len(buf) or zlib.crc32(buf[:-_CRC.size]) != _CRC.unpack_from(buf, len(buf) - _CRC.size)[0]:
        raise ArtifactError(f"{source} is corrupted: CRC32 mismatch")
    try:
        return json.loads(bytes(manifest)), sections
    except ValueError as error:
        raise ArtifactError(f"{source} has an unreadable manifest: {error}") from None


def _split(buf, manifest_length):
    """(manifest, sections, end) by the declared lengths; ``end`` (CRC included) is a lower bound past the buffer."""
    pos = _HEAD.size + manifest_length
    if pos + _COUNT.size > len(buf):
        return None, [], pos + _COUNT.size + _CRC.size
    manifest = buf[_HEAD.size:pos]
    (count,), pos = _COUNT.unpack_from(buf, pos), pos + _COUNT.size
    sections = []
    for _ in range(count):
        if pos + _LENGTH.size > len(buf):
            return manifest, sections, pos + _LENGTH.size + _CRC.size
        (length,), pos = _LENGTH.unpack_from(buf, pos), pos + _LENGTH.size
        sections.append(buf[pos:pos + length])
        pos += length
    return manifest, sections, pos + _CRC.size
