"""hamx kernels: every entry, column-major, as rANS tokens, and ``x @ W`` fused with decoding.

A block of entries becomes tokens on two lanes. Lane 0 holds the length of the zero run
before each nonzero (a gap symbol plus raw bits, see ``gaps``); lane 1 the nonzero value
(a value outside the modelled ones is an escape plus its raw index). A matrix without
zeros has no run tokens, and its values alternate between the lanes, so that decoding
still runs two independent chains. A run that ends a block has no value after it.
"""
import numpy as np
from numba import njit, prange

from .gaps import gap_base, gap_symbol
from .rans import (MASK, RAW_CHUNK, append_block, lanes_ended, open_state, raw_token, step, take_bits,
                   take_raw, token)


@njit(cache=True)
def _block_tokens(ids, start, end, zero_id, rfreq, rcum, vfreq, vcum, rare, rare_bits, tokens):
    """Tokens of entries ids[start:end] into ``tokens`` (counting on past its end); their count.

    ``tokens`` has one spare last slot that overflowing writes land in.
    """
    room = tokens.size - 1
    t = 0
    run = 0
    value_lane = 1
    for e in range(start, end + 1):  # e == end: a nonzero past the block closes the last run
        s = ids[e] if e < end else zero_id
        if s == zero_id and e < end:
            run += 1
            continue
        if zero_id >= 0 and (e < end or run > 0):
            symbol, raw, left = gap_symbol(run)
            tokens[min(t, room)] = token(rfreq[symbol], rcum[symbol], 0)
            t += 1
            while left > 0:
                tokens[min(t, room)], left = raw_token(raw, left, 0)
                t += 1
            run = 0
        if e < end:
            tokens[min(t, room)] = token(vfreq[s], vcum[s], value_lane)
            t += 1
            left = rare_bits if rare[s] >= 0 else 0
            while left > 0:
                tokens[min(t, room)], left = raw_token(rare[s], left, value_lane)
                t += 1
            if zero_id < 0:
                value_lane = 1 - value_lane
    return t


@njit(cache=True)
def hamx_encode(ids, bounds, zero_id, rfreq, rcum, vfreq, vcum, rare, rare_bits):
    """(words uint16, block offsets) coding ids block by block; block b is bounds[b]:bounds[b+1]."""
    tokens = np.empty((1 << 16) + 1, np.int64)
    words = np.empty(1 << 16, np.uint16)
    offsets = np.zeros(2 * bounds.size - 1, np.int64)
    for b in range(bounds.size - 1):
        args = (ids, bounds[b], bounds[b + 1], zero_id, rfreq, rcum, vfreq, vcum, rare, rare_bits)
        ntokens = _block_tokens(*args, tokens)
        if ntokens >= tokens.size:
            tokens = np.empty(ntokens + 1, np.int64)
            ntokens = _block_tokens(*args, tokens)
        words = append_block(words, offsets, b, tokens, ntokens)
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
    bad = np.zeros(offsets.size // 2, np.bool_)
    for b in prange(offsets.size // 2):
        p0, p1 = offsets[2 * b], offsets[2 * b + 1]
        pos = b * cols_per_block * n
        end = min(m, (b + 1) * cols_per_block) * n
        x0 = open_state(words[min(p0, last)], words[min(p0 + 1, last)])
        x1 = open_state(words[min(p1, last)], words[min(p1 + 1, last)])
        p0 += 2
        p1 += 2
        while pos < end:
            if runs:
                e = rtable[x0 & MASK]
                run, x0, p0 = take_gap(x0, e, p0, words[min(p0, last)], words[min(p0 + 1, last)])
                if run < 0:
                    run, x0, p0 = take_long(x0, e, p0, words)
                pos += min(run, end - pos)
                if pos == end:
                    break
            e = vtable[x1 & MASK]
            x1, p1 = step(x1, e, p1, words[min(p1, last)])
            v = e & 0xFFFF
            if v == escape:
                v, x1, p1 = escaped_value(x1, words, p1, escape, rare_bits, max(nvalues, 1))
            codes[pos] = v
            pos += 1
            if not runs:
                x0, x1, p0, p1 = x1, x0, p1, p0
        bad[b] = not lanes_ended(p0, p1, offsets[2 * b + 1], offsets[2 * b + 2], x0, x1)
    return codes, not bad.any()


@njit(cache=True, parallel=True)
def hamx_matvec(words, offsets, rtable, vtable, values, runs, escape, rare_bits, n, m,
                cols_per_block, x):
    y = np.zeros(m, np.float32)
    last = words.size - 1
    for b in prange(offsets.size // 2):
        p0, p1 = offsets[2 * b], offsets[2 * b + 1]
        j = b * cols_per_block
        left = (min(m, j + cols_per_block) - j) * n
        x0 = open_state(words[min(p0, last)], words[min(p0 + 1, last)])
        x1 = open_state(words[min(p1, last)], words[min(p1 + 1, last)])
        p0 += 2
        p1 += 2
        i = 0
        acc = 0.0
        while left > 0:
            if runs:
                e = rtable[x0 & MASK]
                run, x0, p0 = take_gap(x0, e, p0, words[min(p0, last)], words[min(p0 + 1, last)])
                if run < 0:
                    run, x0, p0 = take_long(x0, e, p0, words)
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
            e = vtable[x1 & MASK]
            x1, p1 = step(x1, e, p1, words[min(p1, last)])
            v = e & 0xFFFF
            if v == escape:
                v, x1, p1 = escaped_value(x1, words, p1, escape, rare_bits, values.size)
            acc += x[i] * values[v]
            if not runs:
                x0, x1, p0, p1 = x1, x0, p1, p0
            left -= 1
            i += 1
            if i == n:
                y[j] = acc
                acc = 0.0
                j += 1
                i = 0
    return y


@njit(cache=True, parallel=True)
def hamx_matmat(words, offsets, rtable, vtable, values, runs, escape, rare_bits, n, m,
                cols_per_block, XT):
    batch = XT.shape[1]
    YT = np.zeros((m, batch), np.float32)
    last = words.size - 1
    for b in prange(offsets.size // 2):
        p0, p1 = offsets[2 * b], offsets[2 * b + 1]
        j = b * cols_per_block
        left = (min(m, j + cols_per_block) - j) * n
        x0 = open_state(words[min(p0, last)], words[min(p0 + 1, last)])
        x1 = open_state(words[min(p1, last)], words[min(p1 + 1, last)])
        p0 += 2
        p1 += 2
        i = 0
        acc = np.zeros(batch, np.float64)
        while left > 0:
            if runs:
                e = rtable[x0 & MASK]
                run, x0, p0 = take_gap(x0, e, p0, words[min(p0, last)], words[min(p0 + 1, last)])
                if run < 0:
                    run, x0, p0 = take_long(x0, e, p0, words)
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
            e = vtable[x1 & MASK]
            x1, p1 = step(x1, e, p1, words[min(p1, last)])
            v = e & 0xFFFF
            if v == escape:
                v, x1, p1 = escaped_value(x1, words, p1, escape, rare_bits, values.size)
            value = values[v]
            row = XT[i]
            for c in range(batch):
                acc[c] += value * row[c]
            if not runs:
                x0, x1, p0, p1 = x1, x0, p1, p0
            left -= 1
            i += 1
            if i == n:
                YT[j] = acc
                acc[:] = 0.0
                j += 1
                i = 0
    return YT
