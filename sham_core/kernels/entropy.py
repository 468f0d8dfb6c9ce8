"""Writing and reading blocks of canonical Huffman codes (tables from ``huffman``)."""
import numpy as np
from numba import njit, prange

from .bitstream import U64, consume, open_reader
from .huffman import FIRST_BITS, HAS_SYMBOL

SHIFT1 = U64(64 - FIRST_BITS)


@njit(cache=True, inline="always")
def second_index(buf, e):
    """Index into the second-level table for the pointer entry ``e``."""
    return (e >> 32) + np.int64((buf << U64(FIRST_BITS)) >> U64(64 - ((e >> 8) & 0xFF)))


@njit(cache=True, inline="always")
def entry_fields(e):
    """(zero run, symbol rank or -1, bits used) of a leaf table entry."""
    symbol = (e >> 32) if e & HAS_SYMBOL else np.int64(-1)
    return (e >> 8) & 0xFF, symbol, e & 0xFF


@njit(cache=True, parallel=True)
def decode_symbols(words, offsets, bounds, table1, table2):
    """Symbol ranks of every block b, ``bounds[b]:bounds[b+1]``, decoded in parallel."""
    ranks = np.empty(bounds[-1], np.int32)
    last = words.size - 1
    for b in prange(bounds.size - 1):
        buf, nb, h = open_reader(words, 64 * offsets[b])
        for t in range(bounds[b], bounds[b + 1]):
            e = table1[buf >> SHIFT1]
            if e & 0xFF == 0:
                e = table2[second_index(buf, e)]
            ranks[t] = e >> 32
            buf, nb, h = consume(buf, nb, h, e & 0xFF, words[min(h >> 1, last)])
    return ranks


@njit(cache=True, parallel=True)
def encode_blocks(symbols, bounds, codes, lengths):
    """Pack the codes of ``symbols[bounds[b]:bounds[b+1]]`` for every block b.

    Each block starts on a fresh uint64 word, so blocks are written (and later read)
    in parallel. Returns the words, with one zero word of padding at the end, and the
    word offset of each block (length nblocks + 1).
    """
    nblocks = bounds.size - 1
    block_words = np.zeros(nblocks + 1, np.int64)
    for b in prange(nblocks):
        bits = 0
        for t in range(bounds[b], bounds[b + 1]):
            bits += lengths[symbols[t]]
        block_words[b + 1] = (bits + 63) // 64
    offsets = np.cumsum(block_words)
    words = np.zeros(offsets[-1] + 1, np.uint64)
    for b in prange(nblocks):
        w = offsets[b]
        acc = U64(0)
        filled = 0
        for t in range(bounds[b], bounds[b + 1]):
            s = symbols[t]
            length = np.int64(lengths[s])
            code = U64(codes[s])
            if filled + length < 64:
                acc |= code << U64(64 - filled - length)
                filled += length
            else:
                over = filled + length - 64
                words[w] = acc | (code >> U64(over))
                w += 1
                acc = (code << U64(64 - over)) if over > 0 else U64(0)
                filled = over
        if filled > 0:
            words[w] = acc
    return words, offsets


