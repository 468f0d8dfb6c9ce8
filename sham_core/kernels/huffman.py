"""Length-limited canonical Huffman codes and their two-level decoding tables.

Code lengths come from a plain Huffman construction; when that exceeds the length
limit (Fibonacci-like frequencies, or very many symbols) package-merge gives the
optimal code within the limit instead. Codes are canonical: symbols sorted by
(length, key) take consecutive code values, so a code is stored as its symbols in
code order plus the number of codes of each length.

Table entries are int64: bits 0-7 hold the bits consumed (0 marks a pointer to a
second-level table), bits 8-15 a run of zero symbols (or the second-level index
width for a pointer), bit 16 says a symbol follows the run, bits 32-63 hold the
symbol rank (or the second-level offset). A pair entry (bit 17) holds two whole
codes instead: bits 8-15 the first one's length, bits 32-47 and 48-63 the ranks.
"""
import numpy as np
from numba import njit

FIRST_BITS = 11
DEFAULT_LIMIT = 24
MAX_LIMIT = 32
HAS_SYMBOL = 1 << 16
PAIR = 1 << 17
MAX_PAIR_RANK = 1 << 16


@njit(cache=True)
def huffman_lengths(weights):
    """Huffman code lengths for ascending ``weights`` (two-queue method, k >= 2)."""
    k = weights.size
    node_weight = np.empty(2 * k - 1, np.int64)
    parent = np.zeros(2 * k - 1, np.int64)
    node_weight[:k] = weights
    leaf = 0
    inner = k
    for node in range(k, 2 * k - 1):
        total = 0
        for _ in range(2):
            if leaf < k and (inner >= node or weights[leaf] <= node_weight[inner]):
                pick = leaf
                leaf += 1
            else:
                pick = inner
                inner += 1
            total += node_weight[pick]
            parent[pick] = node
        node_weight[node] = total
    depth = np.zeros(2 * k - 1, np.int64)
    for node in range(2 * k - 3, -1, -1):
        depth[node] = depth[parent[node]] + 1
    return depth[:k].copy()


@njit(cache=True)
def _leaves_in_prefix(weights, packages, npackages, take):
    """How many leaves, and how many packages, the first ``take`` merged items hold."""
    a = 0
    b = 0
    for _ in range(take):
        if a < weights.size and (b >= npackages or weights[a] <= packages[b]):
            a += 1
        else:
            b += 1
    return a, b


@njit(cache=True)
def package_merge_lengths(weights, limit):
    """Optimal code lengths of at most ``limit`` bits for ascending ``weights``."""
    k = weights.size
    packages = np.empty((limit + 1, k), np.int64)
    npackages = np.zeros(limit + 1, np.int64)
    items = weights.copy()
    for level in range(limit - 1, 0, -1):
        count = items.size // 2
        for t in range(count):
            packages[level, t] = items[2 * t] + items[2 * t + 1]
        npackages[level] = count
        merged = np.empty(k + count, np.int64)
        a = 0
        b = 0
        for t in range(k + count):
            if a < k and (b >= count or weights[a] <= packages[level, b]):
                merged[t] = weights[a]
                a += 1
            else:
                merged[t] = packages[level, b]
                b += 1
        items = merged
    lengths = np.zeros(k, np.int64)
    take = 2 * k - 2
    for level in range(1, limit + 1):
        if level == limit:
            leaves, used = take, 0
        else:
            leaves, used = _leaves_in_prefix(weights, packages[level], npackages[level], take)
        lengths[:leaves] += 1
        take = 2 * used
    return lengths


def length_limit(nsymbols):
    """The code length limit: 24 bits, or more when there are over 2^24 symbols."""
    needed = int(np.ceil(np.log2(max(nsymbols, 2))))
    return max(DEFAULT_LIMIT, min(needed, MAX_LIMIT))


def code_lengths(counts, limit):
    """Optimal prefix-code lengths (uint8) for symbol ``counts``, none over ``limit``."""
    counts = np.asarray(counts, np.int64)
    if counts.size <= 1:
        return np.ones(counts.size, np.uint8)
    order = np.argsort(counts, kind="stable")
    weights = counts[order]
    lengths = huffman_lengths(weights)
    if lengths.max() > limit:
        lengths = package_merge_lengths(weights, limit)
    out = np.empty(counts.size, np.uint8)
    out[order] = lengths
    return out


def canonical_codes(length_counts):
    """Code of each symbol rank, given how many codes have each length (index = length)."""
    length_counts = np.asarray(length_counts, np.int64)
    lengths = np.repeat(np.arange(length_counts.size), length_counts)
    first = np.zeros(length_counts.size, np.int64)
    code = 0
    for length in range(1, length_counts.size):
        code = (code + length_counts[length - 1]) << 1
        first[length] = code
    start = np.concatenate(([0], np.cumsum(length_counts)[:-1]))
    ranks = np.arange(lengths.size)
    return (first[lengths] + ranks - start[lengths]).astype(np.uint32), lengths.astype(np.uint8)


def canonical_order(keys, lengths):
    """Symbol ids sorted into code order: by length, then by key."""
    return np.lexsort((keys, lengths))


def kraft_is_complete(length_counts):
    """True when the lengths describe a complete prefix code, a single 1-bit code, or none."""
    length_counts = np.asarray(length_counts, np.int64)
    total = int(length_counts.sum())
    if total == 0:
        return True
    if total == 1:
        return length_counts.size > 1 and length_counts[1] == 1
    limit = length_counts.size - 1
    kraft = sum(int(c) << (limit - length) for length, c in enumerate(length_counts) if length)
    return length_counts[0] == 0 and kraft == (1 << limit)


@njit(cache=True)
def build_tables(codes, lengths, first_bits):
    """First-level table over ``first_bits`` bits and second-level tables for long codes.

    ``codes``/``lengths`` are per symbol rank, in canonical order. Entries that no code
    reaches (only with a single 1-bit code) decode as rank 0, so no entry is empty.
    """
    size1 = 1 << first_bits
    table1 = np.full(size1, HAS_SYMBOL | 1, np.int64)
    region_bits = np.zeros(size1, np.int64)
    for r in range(codes.size):
        length = np.int64(lengths[r])
        if length > first_bits:
            prefix = np.int64(codes[r]) >> (length - first_bits)
            region_bits[prefix] = max(region_bits[prefix], length - first_bits)
    offsets = np.zeros(size1, np.int64)
    total = 0
    for prefix in range(size1):
        if region_bits[prefix] > 0:
            offsets[prefix] = total
            total += 1 << region_bits[prefix]
            table1[prefix] = (offsets[prefix] << 32) | (region_bits[prefix] << 8)
    table2 = np.full(max(total, 1), HAS_SYMBOL | 1, np.int64)
    for r in range(codes.size):
        length = np.int64(lengths[r])
        code = np.int64(codes[r])
        entry = (np.int64(r) << 32) | HAS_SYMBOL | length
        if length <= first_bits:
            start = code << (first_bits - length)
            table1[start:start + (1 << (first_bits - length))] = entry
        else:
            prefix = code >> (length - first_bits)
            sub_bits = region_bits[prefix]
            low = code & ((1 << (length - first_bits)) - 1)
            start = offsets[prefix] + (low << (sub_bits - (length - first_bits)))
            table2[start:start + (1 << (sub_bits - (length - first_bits)))] = entry
    return table1, table2


@njit(cache=True)
def add_zero_runs(table1, zero_rank, first_bits):
    """Let each first-level entry decode a run of zero symbols plus one more symbol.

    Zero-heavy HAM streams then advance many entries per lookup.
    """
    out = table1.copy()
    if zero_rank < 0:
        return out
    mask = (1 << first_bits) - 1
    for idx in range(1 << first_bits):
        used = 0
        run = 0
        done = False
        while used < first_bits and not done:
            e = table1[(idx << used) & mask]
            length = e & 0xFF
            if length == 0 or length > first_bits - used:
                break
            used += length
            if (e >> 32) == zero_rank:
                run += 1
            else:
                out[idx] = ((e >> 32) << 32) | HAS_SYMBOL | (run << 8) | used
                done = True
        if run > 0 and not done:
            out[idx] = (run << 8) | used
    return out


@njit(cache=True)
def add_pairs(table1, first_bits):
    """Let first-level entries decode two codes at once when both fit in the index bits.

    Only for codes with fewer than 2^16 symbols, so that two ranks fit in one entry.
    """
    out = table1.copy()
    mask = (1 << first_bits) - 1
    for idx in range(1 << first_bits):
        e1 = table1[idx]
        len1 = e1 & 0xFF
        if len1 == 0 or len1 >= first_bits:
            continue
        e2 = table1[(idx << len1) & mask]
        len2 = e2 & 0xFF
        if len2 == 0 or len1 + len2 > first_bits:
            continue
        out[idx] = ((e2 >> 32) << 48) | ((e1 >> 32) << 32) | PAIR | HAS_SYMBOL | (len1 << 8) | (len1 + len2)
    return out
