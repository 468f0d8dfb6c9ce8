"""Lossless storage formats for weight matrices, all behind one interface.

    enc = FORMATS["sham"].from_dense(W); enc.nbytes; enc.matmul(X); load(enc.to_bytes())

DIRECT formats compute X @ W on the stored form; BASELINES (gzip, xz, zstd over the dense
or index-map bytes) decode to dense first. study_bytes(kernels, "ham" | "sham" | "im") is the
study's own size estimate, which its published psi use, beside our exact bytes.
"""
from .base import Format, as_matrix
from .container import FormatError, unpack
from .dense import Dense
from .entropy_bound import entropy_bits
from .general import Compressed, Gzip, IMGzip, IMXz, IMZstd3, IMZstd19, Xz, Zstd3, Zstd19
from .ham import HAM
from .hamx import HAMX
from .index_map import IndexMap
from .sham import SHAM
from .shamx import SHAMX
from .sparse import CSC, CSR
from .study_bytes import STUDY_FORMATS, study_bytes

FORMATS = {cls.name: cls for cls in (
    Dense,
    CSC,
    CSR,
    IndexMap,
    HAM,
    SHAM,
    HAMX,
    SHAMX,
    Gzip,
    Xz,
    Zstd3,
    Zstd19,
    IMGzip,
    IMXz,
    IMZstd3,
    IMZstd19,
)}
# General-purpose compressors that decode before multiplying, and the formats that do not.
BASELINES = tuple(name for name, cls in FORMATS.items() if issubclass(cls, Compressed))
DIRECT = tuple(name for name in FORMATS if name not in BASELINES)


def load(buf):
    """Rebuild an encoding from ``to_bytes()`` output; raises FormatError if it is not one."""
    name, shape, fields = unpack(buf)
    if name not in FORMATS:
        raise FormatError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    if min(shape) < 1:
        raise FormatError(f"invalid shape {shape}")
    return FORMATS[name]._from_fields(shape, fields)


__all__ = ["BASELINES", "DIRECT", "FORMATS", "Format", "FormatError", "STUDY_FORMATS", "as_matrix",
           "entropy_bits", "load", "study_bytes"]


def smallest(encodings, names):
    """(label, bytes) of the smallest of ``names`` per part ("a+b" when the parts differ), or (None, None)."""
    names = [name for name in names if name in encodings]
    if not names:
        return None, None
    picks = [min(names, key=lambda name: encodings[name][i].nbytes) for i in range(len(encodings[names[0]]))]
    label = picks[0] if len(set(picks)) == 1 else "+".join(picks)
    return label, sum(encodings[name][i].nbytes for i, name in enumerate(picks))
