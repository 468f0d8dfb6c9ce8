"""Bit streams packed MSB-first into uint64 words, read through a 64-bit register.

A reader is the triple (buf, nb, h): ``buf`` holds ``nb`` valid bits left-aligned,
``h`` is the index of the next 32-bit half word to load. Refilling keeps ``nb > 32``
so that any code of up to 32 bits can be peeked from the top of ``buf``.

Every stream array ends with one zero padding word, and readers clamp their word
index to it, so a reader never leaves the array, whatever the stream holds. The
hot-loop helpers take scalars only: a helper that takes an array is inlined with
reference counting around it, which costs more than the decoding itself.
"""
import numpy as np
from numba import njit

U64 = np.uint64
MASK32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def consume(buf, nb, h, nbits, word):
    """Drop ``nbits`` from the register and refill it from ``word``.

    Callers pass ``words[min(h >> 1, last)]``, ``last`` being the padding word.
    """
    buf <<= U64(nbits)
    nb -= nbits
    if nb <= 32:
        buf |= ((word >> U64(32 * (1 - (h & 1)))) & MASK32) << U64(32 - nb)
        nb += 32
        h += 1
    return buf, nb, h


@njit(cache=True)
def open_reader(words, bit_pos):
    """A register positioned at ``bit_pos``."""
    last = words.size - 1
    h = bit_pos >> 5
    buf, nb, h = consume(U64(0), 0, h, 0, words[min(h >> 1, last)])
    buf, nb, h = consume(buf, nb, h, 0, words[min(h >> 1, last)])
    skip = bit_pos & 31
    return buf << U64(skip), nb - skip, h


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
    last = words.size - 1
    buf, nb, h = open_reader(words, np.int64(0))
    shift = U64(64 - width)
    for t in range(count):
        out[t] = np.int32(buf >> shift)
        buf, nb, h = consume(buf, nb, h, width, words[min(h >> 1, last)])
    return out
