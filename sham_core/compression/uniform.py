"""Uniform quantization (UQ): weights rounded to multiples of the finest step giving <= k values.

Multiples are ``delta * np.rint(w / delta)``, with w / delta computed in float64;
np.rint rounds halves to the even multiple, as np.round does.
"""
import numpy as np
from numba import njit

from .quantized import Quantization, as_weights

STEPS_PER_OCTAVE = 256
OCTAVES = 24


@njit(cache=True)
def occupied_multiples(sorted_values, delta, limit):
    """Ascending distinct ``rint(w / delta)`` of ascending float32 weights, at most limit + 1.

    Jumps from one occupied multiple to the next by binary search and stops once past
    ``limit``: O(limit log N) whatever N.
    """
    n = sorted_values.size
    found = np.empty(limit + 1, np.float64)
    count = 0
    start = 0
    while start < n and count <= limit:
        level = np.rint(sorted_values[start] / delta)
        found[count] = level
        count += 1
        lo, hi = start + 1, n
        while lo < hi:
            mid = (lo + hi) >> 1
            if np.rint(sorted_values[mid] / delta) > level:
                hi = mid
            else:
                lo = mid + 1
        start = lo
    return found[:count].copy()


def step_grid(values):
    """Candidate steps, coarsest first: 4 max|w| times 2^(-i/256) down to 2^-24 of it."""
    top = 4.0 * float(np.abs(values).max()) or 1.0
    return top * 2.0 ** (-np.arange(STEPS_PER_OCTAVE * OCTAVES + 1) / STEPS_PER_OCTAVE)


def uq_quantize(values, k):
    """Uniform quantization with the smallest grid step leaving at most k distinct multiples.

    The number of multiples is not monotone in the step, so the whole grid is scanned;
    the coarsest step (4 max|w|) always qualifies, rounding everything to 0.
    """
    values = as_weights(values)
    ascending = np.sort(values)
    limit = np.int64(k)
    delta = min(d for d in step_grid(values)
                if occupied_multiples(ascending, np.float64(d), limit).size <= k)
    used = occupied_multiples(ascending, np.float64(delta), limit)
    indices = np.searchsorted(used, np.rint(values.astype(np.float64) / delta))
    centroids = (delta * used).astype(np.float32) + np.float32(0.0)  # -0.0 becomes +0.0
    return Quantization(centroids, indices.astype(np.int32),
                        {"delta": float(delta)})
