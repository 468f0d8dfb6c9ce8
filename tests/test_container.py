"""Buffers with a valid checksum but inconsistent contents are refused, never decoded."""
import numpy as np
import pytest

from sham_core.formats import FORMATS, FormatError, load
from sham_core.formats.container import pack, unpack
from matrices import quantized

W = quantized((40, 30), 8, 0.6)


def repacked(name, change):
    """The encoding of W with its fields edited by ``change`` and a fresh CRC."""
    _, shape, fields = unpack(FORMATS[name].from_dense(W).to_bytes())
    fields = [f.copy() for f in fields]
    shape = change(shape, fields) or shape
    return pack(name, shape, fields)


def set_item(index, position, value):
    def change(shape, fields):
        fields[index][position] = value
    return change


CASES = {
    "dense too short": ("dense", lambda s, f: f.__setitem__(0, f[0][:-1])),
    "csc index out of range": ("csc", set_item(1, 0, 200)),
    "csc pointers decreasing": ("csc", set_item(0, 3, 0)),
    "csr wrong shape": ("csr", lambda s, f: (41, 30)),
    "im stream too short": ("im", lambda s, f: f.__setitem__(1, f[1][:-1])),
    "ham incomplete code": ("ham", set_item(2, 1, 0)),
    "ham zero block size": ("ham", set_item(0, 0, 0)),
    "ham offsets past the stream": ("ham", set_item(3, -1, 200)),
    "ham huge shape": ("ham", lambda s, f: (2**40, 30)),
    "sham row out of range": ("sham", set_item(2, 0, 40)),
    "sham missing field": ("sham", lambda s, f: f.__delitem__(-1)),
    "sham codebook dtype": ("sham", lambda s, f: f.__setitem__(3, f[3].view(np.uint32))),
    "csc repeated row index": ("csc", lambda s, f: f[1].__setitem__(1, f[1][0])),
    "csr column indices out of order": ("csr", lambda s, f: f[1].__setitem__(slice(0, 2), f[1][1::-1])),
    "csc more rows than the indices can name": ("csc", lambda s, f: (300, 30)),
    "csr pointers past the end": ("csr", set_item(0, 1, 250)),
    "sham repeated row index": ("sham", lambda s, f: f[2].__setitem__(1, f[2][0])),
    "sham more rows than the indices can name": ("sham", lambda s, f: (70000, 30)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_inconsistent_fields_are_refused(case):
    name, change = CASES[case]
    with pytest.raises(FormatError):
        load(repacked(name, change))


def test_unknown_format_name_is_refused():
    _, shape, fields = unpack(FORMATS["csc"].from_dense(W).to_bytes())
    with pytest.raises(FormatError, match="unknown format 'zip'"):
        load(pack("zip", shape, fields))


def test_non_bytes_input_is_refused():
    with pytest.raises(FormatError):
        load(b"")
    with pytest.raises(FormatError):
        load(np.zeros(3, np.uint8))
    with pytest.raises(FormatError, match="bytes-like"):
        load("SHAM")
