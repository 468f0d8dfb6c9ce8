"""Bit streams packed MSB-first into uint64 words, read through a 64-bit register.

A reader is the triple (buf, nb, h): ``buf`` holds ``nb`` valid bits left-aligned,
``h`` is the index of the next 32-bit half word to load. Refilling keeps ``nb > 32``
so that any code of up to 32 bits can be peeked from the top of ``buf``.
"""
import numpy as np
from numba import njit

U64 = np.uint64
MASK32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def read_half(words, h, h_end):
    """32-bit half word ``h`` of the stream (0 past ``h_end``, so reads stay in bounds)."""
    if h >= h_end:
        return U64(0)
    w = words[h >> 1]
    return (w >> U64(32 * (1 - (h & 1)))) & MASK32


@njit(cache=True, inline="always")
def refill(words, buf, nb, h, h_end):
    """Top up the register so that it holds more than 32 valid bits."""
    if nb <= 32:
        buf |= read_half(words, h, h_end) << U64(32 - nb)
        nb += 32
        h += 1
    return buf, nb, h


@njit(cache=True, inline="always")
def open_reader(words, bit_pos, h_end):
    """A register positioned at ``bit_pos``."""
    h = bit_pos >> 5
    skip = bit_pos & 31
    buf = read_half(words, h, h_end) << U64(32)
    buf |= read_half(words, h + 1, h_end)
    buf <<= U64(skip)
    return buf, 64 - skip, h + 2


@njit(cache=True)
def pack_fixed(values, width):
    """Pack non-negative ints of ``width`` bits (1..32) back to back; one padding word."""
    nbits = values.size * width
    words = np.zeros((nbits + 63) // 64 + 1, np.uint64)
    w = 0
    acc = U64(0)
    filled = 0
    for t in range(values.size):
        v = U64(values[t])
        if filled + width < 64:
            acc |= v << U64(64 - filled - width)
            filled += width
        else:
            over = filled + width - 64
            words[w] = acc | (v >> U64(over))
            w += 1
            acc = (v << U64(64 - over)) if over > 0 else U64(0)
            filled = over
    if filled > 0:
        words[w] = acc
    return words


@njit(cache=True)
def unpack_fixed(words, width, count):
    """Inverse of ``pack_fixed``: ``count`` ints of ``width`` bits, as int32."""
    out = np.empty(count, np.int32)
    h_end = 2 * words.size
    buf, nb, h = open_reader(words, 0, h_end)
    shift = U64(64 - width)
    for t in range(count):
        out[t] = np.int32(buf >> shift)
        buf <<= U64(width)
        nb -= width
        buf, nb, h = refill(words, buf, nb, h, h_end)
    return out
