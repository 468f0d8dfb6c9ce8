"""shamx kernels: CSC nonzeros as pair-rANS tokens, and ``x @ W`` fused with decoding.

Per nonzero one pair (see ``pair_rans``) codes the gap to the previous nonzero of its
column (see ``gaps``) and its value; a gap of 2**10 or more adds its high raw bits and a
value outside the modelled ones its raw index, on the same lane. Consecutive nonzeros
take turns over the four lanes of a block, so decoding runs four independent chains.
How many nonzeros each column has is stored beside. As in ``hamx``, the kernels repeat
their decoding lines rather than share a helper that takes the arrays.
"""
import numpy as np
from numba import njit, prange

from .gaps import gap_symbol
from .small_batch import acc_buffer, acc_madd, acc_store, acc_zero
from .pair_rans import (FOLD, LANES, LOW, SCALE, SLOT_MASK, encode_lanes, gap_in, pair_step,
                        pair_token, rare_tail, raw_token)
from .rans import append_block, lanes_ended, open_lanes


@njit(cache=True)
def column_gaps(ids, n, zero_id):
    """Per nonzero (column-major): the gap since the previous nonzero of its column and its
    symbol id; the column pointers; and how often each gap symbol occurs."""
    m = ids.size // n
    gaps = np.empty(ids.size, np.int32)
    nonzero_ids = np.empty(ids.size, np.int32)
    colptr = np.zeros(m + 1, np.int64)
    symbol_counts = np.zeros(gap_symbol(n)[0] + 1, np.int64)
    k = 0
    for j in range(m):
        previous = -1
        for i in range(n):
            s = ids[j * n + i]
            if s != zero_id:
                gap = i - previous - 1
                gaps[k] = gap
                symbol_counts[gap_symbol(gap)[0]] += 1
                nonzero_ids[k] = s
                previous = i
                k += 1
        colptr[j + 1] = k
    return gaps[:k], nonzero_ids[:k], colptr, symbol_counts


@njit(cache=True)
def _block_tokens(colptr, gaps, ids, first, stop, gfreq, gcum, vfreq, vcum, rare, rare_bits,
                  tokens):
    """Tokens of the nonzeros of columns first:stop (counting on past the array's end)."""
    room = tokens.size - 1
    t = 0
    lane = 0
    for k in range(colptr[first], colptr[stop]):
        symbol, raw, left = gap_symbol(gaps[k])
        fold = min(left, FOLD)
        s = ids[k]
        tokens[min(t, room)] = pair_token(gfreq[symbol], gcum[symbol], vfreq[s], vcum[s],
                                          raw & ((1 << fold) - 1), fold, lane)
        t += 1
        left -= fold
        while left > 0:
            tokens[min(t, room)], left = raw_token(raw >> fold, left, lane)
            t += 1
        left = rare_bits if rare[s] >= 0 else 0
        while left > 0:
            tokens[min(t, room)], left = raw_token(rare[s], left, lane)
            t += 1
        lane = (lane + 1) % LANES
    return t


@njit(cache=True)
def shamx_encode(colptr, gaps, ids, cols_per_block, gfreq, gcum, vfreq, vcum, rare, rare_bits):
    """(words uint32, block offsets) coding the nonzeros of each block of columns."""
    m = colptr.size - 1
    nblocks = -(-m // cols_per_block)
    tokens = np.empty((1 << 16) + 1, np.int64)
    words = np.empty(1 << 16, np.uint32)
    offsets = np.zeros(LANES * nblocks + 1, np.int64)
    for b in range(nblocks):
        args = (colptr, gaps, ids, b * cols_per_block, min(m, (b + 1) * cols_per_block),
                gfreq, gcum, vfreq, vcum, rare, rare_bits)
        ntokens = _block_tokens(*args, tokens)
        if ntokens >= tokens.size:
            tokens = np.empty(ntokens + 1, np.int64)
            ntokens = _block_tokens(*args, tokens)
        out, starts = encode_lanes(tokens, ntokens)
        words = append_block(words, offsets, b, out, starts)
    return words[:offsets[-1]].copy(), offsets


@njit(cache=True, parallel=True)
def shamx_decode(words, offsets, gtable, vtable, slot_codes, escape, rare_bits, nvalues, colptr,
                 n, cols_per_block):
    """(row, codebook index) of every nonzero in CSC order, and whether the stream checked out."""
    rows = np.empty(colptr[-1], np.int32)
    codes = np.empty(colptr[-1], np.int32)
    m = colptr.size - 1
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        x, p, x1, p1, x2, p2, x3, p3 = open_lanes(words, offsets, b, 32)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            row = -1
            for k in range(colptr[j], colptr[j + 1]):
                g, slot = gtable[np.uint64(x & SLOT_MASK)], np.uint64((x >> SCALE) & SLOT_MASK)
                v = vtable[slot]
                gap = gap_in(x, g)
                x, p = pair_step(x, g, v, p, words[np.uint64(min(p, last))])
                code = slot_codes[slot]
                if (g | v) < 0:
                    gap, escaped, x, p = rare_tail(x, p, words, g, v, gap, escape, rare_bits,
                                                   max(nvalues, 1))
                    code = escaped if escaped >= 0 else code
                row += gap + 1
                bad[b] |= row >= n
                rows[k] = min(row, n - 1)
                codes[k] = code
                x, p, x1, p1, x2, p2, x3, p3 = x1, p1, x2, p2, x3, p3, x, p
        bad[b] |= not lanes_ended(offsets, b, LOW, x, p, x1, p1, x2, p2, x3, p3)
    return rows, codes, not bad.any()


@njit(cache=True, parallel=True)
def shamx_matvec(words, offsets, gtable, vtable, slot_values, values, escape, rare_bits, colptr,
                 n, cols_per_block, x_in):
    """(x @ W, whether the stream checked out as in ``shamx_decode``: rows below n, lanes ended)."""
    m = colptr.size - 1
    y = np.empty(m, np.float32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        x, p, x1, p1, x2, p2, x3, p3 = open_lanes(words, offsets, b, 32)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc = 0.0
            row = -1
            for _ in range(colptr[j], colptr[j + 1]):
                g, slot = gtable[np.uint64(x & SLOT_MASK)], np.uint64((x >> SCALE) & SLOT_MASK)
                v = vtable[slot]
                gap = gap_in(x, g)
                x, p = pair_step(x, g, v, p, words[np.uint64(min(p, last))])
                value = slot_values[slot]
                if (g | v) < 0:
                    gap, code, x, p = rare_tail(x, p, words, g, v, gap, escape, rare_bits,
                                                values.size)
                    value = values[code] if code >= 0 else value
                row += gap + 1  # rows rise within a column: the last one is checked below
                acc += x_in[np.uint64(min(row, n - 1))] * value
                x, p, x1, p1, x2, p2, x3, p3 = x1, p1, x2, p2, x3, p3, x, p
            y[j] = acc
            bad[b] |= row >= n
        bad[b] |= not lanes_ended(offsets, b, LOW, x, p, x1, p1, x2, p2, x3, p3)
    return y, not bad.any()


@njit(cache=True, parallel=True)
def shamx_matmat(words, offsets, gtable, vtable, slot_values, values, escape, rare_bits, colptr,
                 n, cols_per_block, XT):
    """((X @ W)^T, intact) for X^T of shape (n, b), as ``shamx_matvec``."""
    m = colptr.size - 1
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        x, p, x1, p1, x2, p2, x3, p3 = open_lanes(words, offsets, b, 32)
        acc = np.empty(batch, np.float64)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc[:] = 0.0
            row = -1
            for _ in range(colptr[j], colptr[j + 1]):
                g, slot = gtable[np.uint64(x & SLOT_MASK)], np.uint64((x >> SCALE) & SLOT_MASK)
                v = vtable[slot]
                gap = gap_in(x, g)
                x, p = pair_step(x, g, v, p, words[np.uint64(min(p, last))])
                value = slot_values[slot]
                if (g | v) < 0:
                    gap, code, x, p = rare_tail(x, p, words, g, v, gap, escape, rare_bits,
                                                values.size)
                    value = values[code] if code >= 0 else value
                row += gap + 1
                xrow = XT[np.uint64(min(row, n - 1))]
                for c in range(batch):
                    acc[c] += value * xrow[c]
                x, p, x1, p1, x2, p2, x3, p3 = x1, p1, x2, p2, x3, p3, x, p
            YT[j] = acc
            bad[b] |= row >= n
        bad[b] |= not lanes_ended(offsets, b, LOW, x, p, x1, p1, x2, p2, x3, p3)
    return YT, not bad.any()


@njit(cache=True, parallel=True)
def shamx_small(words, offsets, gtable, vtable, slot_values, values, escape, rare_bits, colptr,
                n, cols_per_block, XT, batch):
    """``shamx_matmat`` for X^T of shape (n, len(batch)) (see ``small_batch``): its sums, which are
    ``shamx_matvec``'s, so each row of X gets the bits ``shamx_matvec`` gives it; with intact."""
    m = colptr.size - 1
    YT = np.empty((m, len(batch)), np.float32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        x, p, x1, p1, x2, p2, x3, p3 = open_lanes(words, offsets, b, 32)
        acc = acc_buffer(batch)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc_zero(acc, 0, batch)
            row = -1
            for _ in range(colptr[j], colptr[j + 1]):
                g, slot = gtable[np.uint64(x & SLOT_MASK)], np.uint64((x >> SCALE) & SLOT_MASK)
                v = vtable[slot]
                gap = gap_in(x, g)
                x, p = pair_step(x, g, v, p, words[np.uint64(min(p, last))])
                value = slot_values[slot]
                if (g | v) < 0:
                    gap, code, x, p = rare_tail(x, p, words, g, v, gap, escape, rare_bits,
                                                values.size)
                    value = values[code] if code >= 0 else value
                row += gap + 1
                acc_madd(acc, 0, XT, min(row, n - 1), value, batch)
                x, p, x1, p1, x2, p2, x3, p3 = x1, p1, x2, p2, x3, p3, x, p
            acc_store(YT, j, acc, 0, batch)
            bad[b] |= row >= n
        bad[b] |= not lanes_ended(offsets, b, LOW, x, p, x1, p1, x2, p2, x3, p3)
    return YT, not bad.any()
