"""The weights sorted once, so that 1-D clusters are intervals moved in O(k log N).

A cluster owns the sorted weights in (t_lo, t_hi] between two thresholds: ``bounds``
finds the interval ends and ``assign`` maps the original positions, once, at the end.
Thresholds may be float64; both round them down to float32 first, which keeps the
comparisons exact and the searches free of a float64 copy of the weights.

Prefix sums carry their rounding errors (TwoSum), so an interval's sum is accurate to
its own magnitude: a cluster of tiny weights next to large ones still gets its mean.
"""
import numpy as np
from numba import njit

from .quantized import as_weights


def _floor32(thresholds):
    """The largest float32 <= each threshold, so that ``w <= t`` iff ``w <= _floor32(t)``."""
    thresholds = np.asarray(thresholds, dtype=np.float64)
    down = thresholds.astype(np.float32)
    over = down.astype(np.float64) > thresholds
    down[over] = np.nextafter(down[over], np.float32(-np.inf))
    return down


@njit(cache=True)
def prefix_sums(ascending):
    """Float64 prefix sums of float32 weights with a leading 0, and their accumulated errors."""
    total = np.zeros(ascending.size + 1, np.float64)
    error = np.zeros(ascending.size + 1, np.float64)
    s = 0.0
    e = 0.0
    for i in range(ascending.size):
        x = np.float64(ascending[i])
        t = s + x
        part = t - s
        e += (s - (t - part)) + (x - part)
        s = t
        total[i + 1] = s
        error[i + 1] = e
    return total, error


class SortedWeights:
    """Sorted float32 weights with compensated prefix sums: interval count, sum, mean in O(1)."""

    def __init__(self, values):
        self.sorted = np.sort(as_weights(values))
        self.prefix, self.prefix_error = prefix_sums(self.sorted)

    @property
    def size(self):
        """Number of weights."""
        return self.sorted.size

    def count(self, lo, hi):
        """Number of sorted weights in [lo, hi) (arrays of interval ends work too)."""
        return np.asarray(hi) - np.asarray(lo)

    def sum(self, lo, hi):
        """Float64 sum of the sorted weights in [lo, hi)."""
        return (self.prefix[hi] - self.prefix[lo]) + (self.prefix_error[hi] - self.prefix_error[lo])

    def mean(self, lo, hi):
        """Float64 mean of the sorted weights in [lo, hi); intervals must be non-empty."""
        return self.sum(lo, hi) / self.count(lo, hi)

    def bounds(self, thresholds):
        """Number of sorted weights <= each threshold: where each cluster interval ends."""
        return np.searchsorted(self.sorted, _floor32(thresholds), side="right")


def assign(values, thresholds):
    """Cluster of every weight: the number of ascending thresholds strictly below it (int32).

    A weight equal to a threshold goes to the lower cluster, as in ``SortedWeights.bounds``.
    """
    return np.searchsorted(_floor32(thresholds), values, side="left").astype(np.int32)
