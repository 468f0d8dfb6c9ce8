"""Map float32 bit patterns to dense symbol ids with an open-addressing hash table.

Hashing the raw bits is about ten times faster than ``np.unique(return_inverse=True)``
and keeps -0.0 and +0.0 apart, which a lossless format must do.
"""
import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = -1


@njit(cache=True, inline="always")
def _slot(key, shift):
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(shift))


@njit(cache=True)
def _rehash(keys, nkeys, log_cap):
    cap = 1 << log_cap
    table = np.full(cap, _EMPTY, np.int64)
    shift = 64 - log_cap
    mask = cap - 1
    for s in range(nkeys):
        i = _slot(keys[s], shift)
        while table[i] != _EMPTY:
            i = (i + 1) & mask
        table[i] = s
    return table


@njit(cache=True)
def _assign(bits, start, ids, keys, counts, table, log_cap, nkeys):
    """Ids of bits[start:] until the table is half full; returns (where it stopped, nkeys).

    Growing happens in ``symbolize``: with no array reassigned here, the loop stays tight.
    """
    shift = 64 - log_cap
    mask = (1 << log_cap) - 1
    last_key = np.uint32(0)
    last_id = -1
    for t in range(start, bits.size):
        key = bits[t]
        if key != last_key or last_id < 0:
            i = _slot(key, shift)
            while True:
                s = table[i]
                if s == _EMPTY:
                    if 2 * (nkeys + 1) > (1 << log_cap):
                        return t, nkeys
                    s = nkeys
                    table[i] = s
                    keys[s] = key
                    nkeys += 1
                    break
                if keys[s] == key:
                    break
                i = (i + 1) & mask
            last_key = key
            last_id = s
        ids[t] = last_id
        counts[last_id] += 1
    return bits.size, nkeys


@njit(cache=True)
def symbolize(bits):
    """Symbol id of every entry of ``bits`` (uint32), in order of first appearance.

    Returns ``(ids int32, keys uint32 per symbol, counts int64 per symbol)``.
    """
    ids = np.empty(bits.size, np.int32)
    log_cap = np.int64(10)
    keys = np.empty(1 << log_cap, np.uint32)
    counts = np.zeros(1 << log_cap, np.int64)
    table = np.full(1 << log_cap, _EMPTY, np.int64)
    t = nkeys = np.int64(0)  # not literal zeros: _assign compiles once
    while True:
        t, nkeys = _assign(bits, t, ids, keys, counts, table, log_cap, nkeys)
        if t == bits.size:
            break
        log_cap += 1
        keys = np.concatenate((keys, np.empty(keys.size, np.uint32)))
        counts = np.concatenate((counts, np.zeros(counts.size, np.int64)))
        table = _rehash(keys, nkeys, log_cap)
    return ids, keys[:nkeys].copy(), counts[:nkeys].copy()


@njit(cache=True)
def column_major(bits):
    """The entries of a 2-D uint32 array in column-major order, flat.

    Copies tile by tile, so that both sides stay in cache; numpy's transposed copy of a
    large matrix is several times slower.
    """
    n, m = bits.shape
    out = np.empty(n * m, np.uint32)
    tile = 64
    for i0 in range(0, n, tile):
        for j0 in range(0, m, tile):
            for j in range(j0, min(j0 + tile, m)):
                for i in range(i0, min(i0 + tile, n)):
                    out[j * n + i] = bits[i, j]
    return out
