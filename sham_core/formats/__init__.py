"""Lossless storage formats for weight matrices, all behind one interface.

    enc = FORMATS["sham"].from_dense(W); enc.nbytes; enc.matmul(X); load(enc.to_bytes())
"""
from .base import Format, as_matrix
from .container import FormatError, unpack
from .dense import Dense
from .entropy_bound import entropy_bits
from .ham import HAM
from .index_map import IndexMap
from .sham import SHAM
from .sparse import CSC, CSR

FORMATS = {cls.name: cls for cls in (Dense, CSC, CSR, IndexMap, HAM, SHAM)}


def load(buf):
    """Rebuild an encoding from ``to_bytes()`` output; raises FormatError if it is not one."""
    name, shape, fields = unpack(buf)
    if name not in FORMATS:
        raise FormatError(f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    if min(shape) < 1:
        raise FormatError(f"invalid shape {shape}")
    return FORMATS[name]._from_fields(shape, fields)


__all__ = ["FORMATS", "Format", "FormatError", "as_matrix", "entropy_bits", "load"]
