"""A canonical Huffman code plus its block-aligned bit stream, shared by HAM and sHAM."""
import numpy as np

from ..kernels.entropy import decode_symbols, encode_blocks
from ..kernels.huffman import (FIRST_BITS, MAX_PAIR_RANK, add_pairs, add_zero_runs,
                               build_tables, canonical_codes, canonical_order, code_lengths,
                               kraft_is_complete, length_limit)
from ..kernels.symbols import symbolize
from .base import FormatError, minimal_uint

BLOCK_ENTRIES = 1 << 16


def columns_per_block(n):
    """Columns in one independently decodable block: about 64K entries."""
    return max(1, BLOCK_ENTRIES // n)


def block_starts(m, cols_per_block):
    """First column of each block, plus m."""
    return np.append(np.arange(0, m, cols_per_block), m)


class CodedStream:
    """Symbols (float32 values) in code order, code-length counts, and packed words.

    ``offsets[b]`` is the word where block b starts; ``words`` carries one zero word of
    padding that is never stored.
    """

    def __init__(self, codebook, length_counts, offsets, words):
        self.codebook = codebook
        self.length_counts = length_counts
        self.offsets = offsets
        self.words = words
        codes, lengths = canonical_codes(length_counts)
        self.table1, self.table2 = build_tables(codes, lengths, FIRST_BITS)
        zero = np.flatnonzero(codebook.view(np.uint32) == 0)
        self.zero_rank = int(zero[0]) if zero.size else -1
        self.zero_is_bit = self.zero_rank == 0 and int(lengths[0]) == 1

    @classmethod
    def encode(cls, bits, bounds):
        """Code the uint32 bit patterns ``bits``; block b is ``bits[bounds[b]:bounds[b+1]]``."""
        ids, keys, counts = symbolize(bits)
        lengths = code_lengths(counts, length_limit(keys.size))
        order = canonical_order(keys, lengths)
        length_counts = np.bincount(lengths, minlength=2)
        codes = np.empty(keys.size, np.uint32)
        codes[order] = canonical_codes(length_counts)[0]
        words, offsets = encode_blocks(ids, bounds, codes, lengths)
        return cls(keys[order].view(np.float32), length_counts, offsets, words)

    def fields(self):
        nwords = self.words.size - 1
        return [self.codebook,
                self.length_counts.astype(minimal_uint(self.length_counts.max())),
                self.offsets.astype(minimal_uint(nwords)),
                self.words[:nwords]]

    @classmethod
    def from_fields(cls, codebook, length_counts, offsets, words, nblocks, nsymbols):
        """Rebuild from stored fields, checking that they describe a decodable stream.

        Every code is at least one bit, so ``nsymbols`` codes need that many bits.
        """
        length_counts = length_counts.astype(np.int64)
        if codebook.dtype != np.float32 or words.dtype != np.uint64:
            raise FormatError("codebook must be float32 and the stream uint64")
        if length_counts.size < 2 or length_counts.sum() != codebook.size:
            raise FormatError("code-length counts do not match the codebook size")
        if length_counts.size - 1 > 32 or not kraft_is_complete(length_counts):
            raise FormatError("code lengths do not form a complete prefix code")
        offsets = offsets.astype(np.int64)
        if (offsets.size != nblocks + 1 or offsets[0] != 0 or offsets[-1] != words.size
                or np.any(np.diff(offsets) < 0)):
            raise FormatError("block offsets do not match the stream")
        if nsymbols > 64 * words.size or (nsymbols > 0) != (codebook.size > 0):
            raise FormatError(f"the stream is too short for {nsymbols} symbols")
        return cls(codebook, length_counts, offsets, np.append(words, np.uint64(0)))

    def run_table(self):
        """First-level table that also decodes runs of zeros (for HAM)."""
        return add_zero_runs(self.table1, self.zero_rank, FIRST_BITS)

    def pair_table(self):
        """First-level table that decodes two short codes per lookup where it can."""
        if self.codebook.size > MAX_PAIR_RANK:
            return self.table1
        return add_pairs(self.table1, FIRST_BITS)

    def decode(self, bounds):
        """float32 values of all symbols, blocks as in ``encode``."""
        ranks = decode_symbols(self.words, self.offsets, bounds, self.table1, self.table2)
        return self.codebook[ranks]
