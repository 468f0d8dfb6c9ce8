"""hamx kernels: every entry, column-major, as rANS tokens, and ``x @ W`` fused with decoding.

Per nonzero, a gap lane holds the length of the zero run before it (a gap symbol plus raw
bits, see ``gaps``) and a value lane its value (a value outside the modelled ones is an
escape plus its raw index). Consecutive nonzeros take turns between lanes 0/1 and 2/3,
so decoding runs four independent chains. A matrix without zeros has no gap tokens; a
run that ends a block has no value after it.

The decoding kernels repeat their few lines of decoding on purpose: a shared helper
would take the arrays, and that costs reference counting in the hot loop (``bitstream``).
"""
import numpy as np
from numba import njit, prange

from .gaps import gap_base, gap_symbol
from .small_batch import acc_buffer, acc_madd, acc_store, acc_zero
from .rans import (LANES, LOW, MASK, RAW_CHUNK, append_block, encode_lanes, lanes_ended, open_lanes,
                   raw_token, step, take_bits, take_raw, token)


@njit(cache=True)
def _block_tokens(ids, start, end, zero_id, rfreq, rcum, vfreq, vcum, rare, rare_bits, tokens):
    """Tokens of entries ids[start:end] into ``tokens`` (counting on past its end); their count.

    ``tokens`` has one spare last slot that overflowing writes land in.
    """
    room = tokens.size - 1
    t = 0
    run = 0
    turn = 0  # 0: lanes 0 and 1, 2: lanes 2 and 3
    for e in range(start, end + 1):  # e == end: a nonzero past the block closes the last run
        s = ids[e] if e < end else zero_id
        if s == zero_id and e < end:
            run += 1
            continue
        if zero_id >= 0 and (e < end or run > 0):
            symbol, raw, left = gap_symbol(run)
            tokens[min(t, room)] = token(rfreq[symbol], rcum[symbol], turn)
            t += 1
            while left > 0:
                tokens[min(t, room)], left = raw_token(raw, left, turn)
                t += 1
            run = 0
        if e < end:
            tokens[min(t, room)] = token(vfreq[s], vcum[s], turn + 1)
            t += 1
            left = rare_bits if rare[s] >= 0 else 0
            while left > 0:
                tokens[min(t, room)], left = raw_token(rare[s], left, turn + 1)
                t += 1
            turn = 2 - turn
    return t


@njit(cache=True)
def hamx_encode(ids, bounds, zero_id, rfreq, rcum, vfreq, vcum, rare, rare_bits):
    """(words uint16, block offsets) coding ids block by block; block b is bounds[b]:bounds[b+1]."""
    tokens = np.empty((1 << 16) + 1, np.int64)
    words = np.empty(1 << 16, np.uint16)
    offsets = np.zeros(LANES * (bounds.size - 1) + 1, np.int64)
    for b in range(bounds.size - 1):
        args = (ids, bounds[b], bounds[b + 1], zero_id, rfreq, rcum, vfreq, vcum, rare, rare_bits)
        ntokens = _block_tokens(*args, tokens)
        if ntokens >= tokens.size:
            tokens = np.empty(ntokens + 1, np.int64)
            ntokens = _block_tokens(*args, tokens)
        out, starts = encode_lanes(tokens, ntokens)
        words = append_block(words, offsets, b, out, starts)
    return words[:offsets[-1]].copy(), offsets


@njit(cache=True)
def zero_runs(ids, bounds, zero_id):
    """Lengths of the zero runs before each nonzero, and of the runs ending each block."""
    before = np.empty(ids.size, np.int64)
    trailing = np.empty(bounds.size - 1, np.int64)
    k = 0
    for b in range(bounds.size - 1):
        run = 0
        for e in range(bounds[b], bounds[b + 1]):
            if ids[e] == zero_id:
                run += 1
            else:
                before[k] = run
                k += 1
                run = 0
        trailing[b] = run
    return before[:k].copy(), trailing


@njit(cache=True, inline="always")
def take_gap(x0, entry, p, word, next_word):
    """Length coded by the gap symbol with table entry ``entry``; returns (length, x0, p).

    ``word`` and ``next_word`` are the stream words at p and p + 1; a gap needs more than
    those two only for lengths of 2**14 and more, read by ``take_long``.
    """
    start = p
    x0, p = step(x0, entry, p, word)
    base, nbits = gap_base(entry & 0xFFFF)
    if nbits == 0:
        return base, x0, p
    if nbits > RAW_CHUNK:
        return -nbits, x0, p
    raw, x0, p = take_bits(x0, nbits, p, next_word if p > start else word)
    return base + raw, x0, p


@njit(cache=True)
def take_long(x0, entry, p, words):
    """A gap whose raw bits span several chunks (after ``take_gap`` returned minus their count)."""
    base, nbits = gap_base(entry & 0xFFFF)
    raw, x0, p = take_raw(x0, nbits, words, p)
    return base + raw, x0, p


@njit(cache=True)
def escaped_value(x1, words, p, escape, rare_bits, nvalues):
    """Codebook index after an escape: the raw index among the escaped values."""
    index, x1, p = take_raw(x1, rare_bits, words, p)
    return min(escape + index, nvalues - 1), x1, p


@njit(cache=True, parallel=True)
def hamx_decode(words, offsets, rtable, vtable, runs, escape, rare_bits, nvalues, n, m,
                cols_per_block):
    """Codebook index of every entry, column-major (``nvalues`` for zeros), and whether it checked out."""
    codes = np.full(n * m, nvalues, np.int32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b, 16)
        pos = b * cols_per_block * n
        end = min(m, (b + 1) * cols_per_block) * n
        while pos < end:
            if runs:
                e = rtable[g & MASK]
                run, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if run < 0:
                    run, g, pg = take_long(g, e, pg, words)
                pos += min(run, end - pos)
                if pos == end:
                    break
            e = vtable[v & MASK]
            v, pv = step(v, e, pv, words[min(pv, last)])
            code = e & 0xFFFF
            if code == escape:
                code, v, pv = escaped_value(v, words, pv, escape, rare_bits, max(nvalues, 1))
            codes[pos] = code
            pos += 1
            g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
        bad[b] = not lanes_ended(offsets, b, LOW, g, pg, v, pv, g2, pg2, v2, pv2)
    return codes, not bad.any()


@njit(cache=True, parallel=True)
def hamx_matvec(words, offsets, rtable, vtable, values, runs, escape, rare_bits, n, m,
                cols_per_block, x):
    """(x @ W, whether every block's lanes ended where the stream says: see ``hamx_decode``)."""
    y = np.zeros(m, np.float32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b, 16)
        j = b * cols_per_block
        left = (min(m, j + cols_per_block) - j) * n
        i = 0
        acc = 0.0
        while left > 0:
            if runs:
                e = rtable[g & MASK]
                run, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if run < 0:
                    run, g, pg = take_long(g, e, pg, words)
                run = min(run, left)
                left -= run
                i += run
                while i >= n:
                    y[j] = acc
                    acc = 0.0
                    j += 1
                    i -= n
                if left == 0:
                    break
            e = vtable[v & MASK]
            v, pv = step(v, e, pv, words[min(pv, last)])
            code = e & 0xFFFF
            if code == escape:
                code, v, pv = escaped_value(v, words, pv, escape, rare_bits, values.size)
            acc += x[i] * values[code]
            g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
            left -= 1
            i += 1
            if i == n:
                y[j] = acc
                acc = 0.0
                j += 1
                i = 0
        bad[b] = not lanes_ended(offsets, b, LOW, g, pg, v, pv, g2, pg2, v2, pv2)
    return y, not bad.any()


@njit(cache=True, parallel=True)
def hamx_matmat(words, offsets, rtable, vtable, values, runs, escape, rare_bits, n, m,
                cols_per_block, XT):
    """((X @ W)^T, intact) for X^T of shape (n, b), as ``hamx_matvec``."""
    batch = XT.shape[1]
    YT = np.zeros((m, batch), np.float32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b, 16)
        j = b * cols_per_block
        left = (min(m, j + cols_per_block) - j) * n
        i = 0
        acc = np.zeros(batch, np.float64)
        while left > 0:
            if runs:
                e = rtable[g & MASK]
                run, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if run < 0:
                    run, g, pg = take_long(g, e, pg, words)
                run = min(run, left)
                left -= run
                i += run
                while i >= n:
                    YT[j] = acc
                    acc[:] = 0.0
                    j += 1
                    i -= n
                if left == 0:
                    break
            e = vtable[v & MASK]
            v, pv = step(v, e, pv, words[min(pv, last)])
            code = e & 0xFFFF
            if code == escape:
                code, v, pv = escaped_value(v, words, pv, escape, rare_bits, values.size)
            value = values[code]
            row = XT[i]
            for c in range(batch):
                acc[c] += value * row[c]
            g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
            left -= 1
            i += 1
            if i == n:
                YT[j] = acc
                acc[:] = 0.0
                j += 1
                i = 0
        bad[b] = not lanes_ended(offsets, b, LOW, g, pg, v, pv, g2, pg2, v2, pv2)
    return YT, not bad.any()


@njit(cache=True, parallel=True)
def hamx_small(words, offsets, rtable, vtable, values, runs, escape, rare_bits, n, m,
               cols_per_block, XT, batch):
    """``hamx_matmat`` for X^T of shape (n, len(batch)) (see ``small_batch``): its sums, which are
    ``hamx_matvec``'s, so each row of X gets the bits ``hamx_matvec`` gives it; with intact."""
    YT = np.zeros((m, len(batch)), np.float32)
    last = words.size - 1
    bad = np.zeros(offsets.size // LANES, np.bool_)
    for b in prange(offsets.size // LANES):
        g, pg, v, pv, g2, pg2, v2, pv2 = open_lanes(words, offsets, b, 16)
        j = b * cols_per_block
        left = (min(m, j + cols_per_block) - j) * n
        i = 0
        acc = acc_buffer(batch)
        acc_zero(acc, 0, batch)
        while left > 0:
            if runs:
                e = rtable[g & MASK]
                run, g, pg = take_gap(g, e, pg, words[min(pg, last)], words[min(pg + 1, last)])
                if run < 0:
                    run, g, pg = take_long(g, e, pg, words)
                run = min(run, left)
                left -= run
                i += run
                while i >= n:
                    acc_store(YT, j, acc, 0, batch)
                    acc_zero(acc, 0, batch)
                    j += 1
                    i -= n
                if left == 0:
                    break
            e = vtable[v & MASK]
            v, pv = step(v, e, pv, words[min(pv, last)])
            code = e & 0xFFFF
            if code == escape:
                code, v, pv = escaped_value(v, words, pv, escape, rare_bits, values.size)
            acc_madd(acc, 0, XT, i, values[code], batch)
            g, pg, v, pv, g2, pg2, v2, pv2 = g2, pg2, v2, pv2, g, pg, v, pv
            left -= 1
            i += 1
            if i == n:
                acc_store(YT, j, acc, 0, batch)
                acc_zero(acc, 0, batch)
                j += 1
                i = 0
        bad[b] = not lanes_ended(offsets, b, LOW, g, pg, v, pv, g2, pg2, v2, pv2)
    return YT, not bad.any()
