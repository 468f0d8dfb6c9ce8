"""What hamx and shamx share: symbol models (quantized frequencies and what the encoder
needs), gap counts and the checks of stored models and lane offsets.

A value model codes the most frequent nonzero values with their own frequencies and the
rest as one escape symbol followed by the raw index among them, so any number of
distinct values is lossless while common codebooks (k up to MAX_MODELED) need no escape.
"""
import numpy as np

from ..kernels.gaps import gap_symbol, gap_symbols
from ..kernels.rans import TOTAL, check_frequencies, cumulative, decode_table, quantize
from ..kernels.symbols import column_major, symbolize
from .base import FormatError
from .coded_stream import BLOCK_ENTRIES

MAX_MODELED = 1024
BLOCK_BYTES = 1 << 13  # blocks code to at least this much, so lane states stay < 0.2 %


def entries_per_block(counts):
    """Entries in one block: 64K, or more when they code to less than BLOCK_BYTES."""
    counts = np.asarray(counts, np.float64)
    p = counts[counts > 0] / counts.sum()
    bits_per_entry = max(float(-(p * np.log2(p)).sum()), 1e-3)
    return max(BLOCK_ENTRIES, int(8 * BLOCK_BYTES / bits_per_entry))


class ValueModel:
    """Codebook (modelled values first, then the escaped ones) and its frequencies."""

    def __init__(self, codebook, freqs):
        self.codebook, self.freqs = codebook, freqs
        self.escape = freqs.size - 1  # the escape symbol; also the number of modelled values
        rare = codebook.size - self.escape
        self.rare_bits = int(rare - 1).bit_length() if rare > 1 else 0
        self.table = decode_table(freqs)

    @classmethod
    def fit(cls, keys, counts):
        """Model for symbols ``keys`` (uint32 bit patterns) seen ``counts`` times.

        Returns the model and, per symbol, (freq, cum, raw index or -1) for the encoder.
        """
        order = np.lexsort((keys, -counts))
        modeled = order[:MAX_MODELED]
        escaped = counts[order[MAX_MODELED:]].sum()
        freqs = quantize(np.append(counts[modeled], escaped))
        model = cls(keys[order].view(np.float32), freqs.astype(np.uint16))
        rank = np.empty(keys.size, np.int64)
        rank[order] = np.arange(keys.size)
        symbol = np.minimum(rank, model.escape)
        raw = np.where(rank >= model.escape, rank - model.escape, -1)
        return model, freqs[symbol], cumulative(freqs)[symbol], raw

    @classmethod
    def from_fields(cls, codebook, freqs):
        if codebook.dtype != np.float32 or not check_frequencies(freqs):
            raise FormatError("value model: codebook must be float32 and frequencies sum to "
                              f"{TOTAL}")
        if freqs.size - 1 > codebook.size or (freqs[-1] > 0) != (freqs.size - 1 < codebook.size):
            raise FormatError("value model does not match its codebook")
        return cls(codebook, freqs.astype(np.uint16))

    @property
    def nbytes(self):
        """Stored bytes of the codebook and frequencies."""
        return self.codebook.nbytes + self.freqs.nbytes

    def kernel_values(self):
        """The codebook for kernels: never empty, so a crafted stream cannot read past it."""
        return self.codebook if self.codebook.size else np.zeros(1, np.float32)


def entry_symbols(W):
    """Symbol ids of W's entries, column-major, and the value model of the nonzero ones.

    Returns (ids, zero id or -1, counts per id, model, (freq, cum, raw index) per id).
    """
    ids, keys, counts = symbolize(column_major(W.view(np.uint32)))
    nonzero = keys != 0
    model, *encoder = ValueModel.fit(keys[nonzero], counts[nonzero])
    per_id = [np.full(keys.size, -1, np.int64) for _ in range(3)]
    for array, part in zip(per_id, encoder):
        array[nonzero] = part
    zero_id = int(np.flatnonzero(~nonzero)[0]) if not nonzero.all() else -1
    return ids, zero_id, counts, model, per_id


def symbol_model(counts):
    """(freqs uint16, decode table, cum) of a small alphabet such as zero runs or gaps."""
    freqs = quantize(counts)
    return freqs.astype(np.uint16), decode_table(freqs), cumulative(freqs)


def checked_gap_model(freqs, longest, what):
    """Decode table of stored gap frequencies, or FormatError.

    No symbol may stand for lengths beyond ``longest``: a crafted table could otherwise
    decode lengths that overflow, and a kernel would index outside its arrays.
    """
    if not check_frequencies(freqs):
        raise FormatError(f"{what} frequencies must sum to {TOTAL}")
    if freqs.size > gap_symbol(max(longest, 0))[0] + 1:
        raise FormatError(f"{what} frequencies name lengths beyond {longest}")
    return decode_table(freqs)


def gap_counts(lengths):
    """How often each gap symbol codes these run or gap lengths."""
    return np.bincount(gap_symbols(lengths.astype(np.int64)), minlength=1)


def check_offsets(offsets, nlanes, nwords, least):
    """Lane offsets as int64, or FormatError: from 0 to nwords, each lane >= least words."""
    offsets = offsets.astype(np.int64)
    if (offsets.size != nlanes + 1 or offsets[0] != 0 or offsets[-1] != nwords
            or np.any(np.diff(offsets) < least)):
        raise FormatError("block offsets do not match the stream")
    return offsets

