"""shamx kernels: CSC nonzeros as rANS tokens, and ``x @ W`` fused with decoding.

Per nonzero, a gap lane holds the gap to the previous nonzero of its column (see
``gaps``) and a value lane its value (escape plus raw index for a value outside the
modelled ones); consecutive nonzeros take turns between lanes 0/1 and 2/3, so decoding
runs four independent chains. How many nonzeros each column has is stored beside.
As in ``hamx``, the kernels repeat their decoding lines rather than share a helper.
"""
import numpy as np
from numba import njit, prange

from .gaps import gap_symbol
from .hamx import escaped_value, take_gap, take_long
from .rans import LANES, MASK, append_block, lanes_ended, open_lanes, raw_token, step, token


@njit(cache=True)
def column_gaps(ids, n, zero_id):
    """Per nonzero (column-major): the gap since the previous nonzero of its column and its
    symbol id; and the column pointers."""
    m = ids.size // n
    gaps = np.empty(ids.size, np.int32)
    nonzero_ids = np.empty(ids.size, np.int32)
    colptr = np.zeros(m + 1, np.int64)
    k = 0
    for j in range(m):
        previous = -1
        for i in range(n):
            s = ids[j * n + i]
            if s != zero_id:
                gaps[k] = i - previous - 1
                nonzero_ids[k] = s
                previous = i
                k += 1
        colptr[j + 1] = k
    return gaps[:k].copy(), nonzero_ids[:k].copy(), colptr


@njit(cache=True)
def _block_tokens(colptr, gaps, ids, first, stop, rfreq, rcum, vfreq, vcum, rare, rare_bits,
                  tokens):
    """Tokens of the nonzeros of columns first:stop (counting on past the array's end)."""
    room = tokens.size - 1
    t = 0
    turn = 0  # 0: lanes 0 and 1, 2: lanes 2 and 3
    for j in range(first, stop):
        for k in range(colptr[j], colptr[j + 1]):
            symbol, raw, left = gap_symbol(gaps[k])
            tokens[min(t, room)] = token(rfreq[symbol], rcum[symbol], turn)
            t += 1
            while left > 0:
                tokens[min(t, room)], left = raw_token(raw, left, turn)
                t += 1
            s = ids[k]
            tokens[min(t, room)] = token(vfreq[s], vcum[s], turn + 1)
            t += 1
            left = rare_bits if rare[s] >= 0 else 0
            while left > 0:
                tokens[min(t, room)], left = raw_token(rare[s], left, turn + 1)
                t += 1
            turn = 2 - turn
    return t


@njit(cache=True)
def shamx_encode(colptr, gaps, ids, cols_per_block, rfreq, rcum, vfreq, vcum, rare, rare_bits):
    """(words uint16, block offsets) coding the nonzeros of each block of columns."""
    m = colptr.size - 1
    nblocks = -(-m // cols_per_block)
    tokens = np.empty((1 << 16) + 1, np.int64)
    words = np.empty(1 << 16, np.uint16)
    offsets = np.zeros(LANES * nblocks + 1, np.int64)
    for b in range(nblocks):
        args = (colptr, gaps, ids, b * cols_per_block, min(m, (b + 1) * cols_per_block),
                rfreq, rcum, vfreq, vcum, rare, rare_bits)
        ntokens = _block_tokens(*args, tokens)
        if ntokens >= tokens.size:
            tokens = np.empty(ntokens + 1, np.int64)
            ntokens = _block_tokens(*args, tokens)
        words = append_block(words, offsets, b, tokens, ntokens)
    return words[:offsets[-1]].copy(), offsets


@njit(cache=True, parallel=True)
def shamx_decode(words, offsets, rtable, vtable, escape, rare_bits, nvalues, colptr, n,
                 cols_per_block):
    """(row, codebook index) of every nonzero in CSC order, and whether the stream checked out."""
    rows = np.empty(colptr[-1], np.int32)
    codes = np.empty(colptr[-1], np.int32)
    m = colptr.size - 1
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            row = -1
            for k in range(colptr[j], colptr[j + 1]):
                e = rtable[g & MASK]
                gap, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if gap < 0:
                    gap, g, pg = take_long(g, e, pg, words)
                row += gap + 1
                bad[b] |= row >= n
                rows[k] = min(row, n - 1)
                e = vtable[v & MASK]
                v, pv = step(v, e, pv, words[min(pv, last)])
                code = e & 0xFFFF
                if code == escape:
                    code, v, pv = escaped_value(v, words, pv, escape, rare_bits, max(nvalues, 1))
                codes[k] = code
                g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
        bad[b] |= not lanes_ended(offsets, b, g, pg, v, pv, g2, pg2, v2, pv2)
    return rows, codes, not bad.any()


@njit(cache=True, parallel=True)
def shamx_matvec(words, offsets, rtable, vtable, values, escape, rare_bits, colptr, n,
                 cols_per_block, x):
    m = colptr.size - 1
    y = np.empty(m, np.float32)
    last = words.size - 1
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc = 0.0
            row = -1
            for _ in range(colptr[j], colptr[j + 1]):
                e = rtable[g & MASK]
                gap, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if gap < 0:
                    gap, g, pg = take_long(g, e, pg, words)
                row = min(row + gap + 1, n - 1)
                e = vtable[v & MASK]
                v, pv = step(v, e, pv, words[min(pv, last)])
                code = e & 0xFFFF
                if code == escape:
                    code, v, pv = escaped_value(v, words, pv, escape, rare_bits, values.size)
                acc += x[row] * values[code]
                g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
            y[j] = acc
    return y


@njit(cache=True, parallel=True)
def shamx_matmat(words, offsets, rtable, vtable, values, escape, rare_bits, colptr, n,
                 cols_per_block, XT):
    m = colptr.size - 1
    batch = XT.shape[1]
    YT = np.empty((m, batch), np.float32)
    last = words.size - 1
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b)
        acc = np.empty(batch, np.float64)
        for j in range(b * cols_per_block, min(m, (b + 1) * cols_per_block)):
            acc[:] = 0.0
            row = -1
            for _ in range(colptr[j], colptr[j + 1]):
                e = rtable[g & MASK]
                gap, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if gap < 0:
                    gap, g, pg = take_long(g, e, pg, words)
                row = min(row + gap + 1, n - 1)
                e = vtable[v & MASK]
                v, pv = step(v, e, pv, words[min(pv, last)])
                code = e & 0xFFFF
                if code == escape:
                    code, v, pv = escaped_value(v, words, pv, escape, rare_bits, values.size)
                value = values[code]
                xrow = XT[row]
                for c in range(batch):
                    acc[c] += value * xrow[c]
                g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
            YT[j] = acc
    return YT
