"""Probabilistic weight sharing (PWS): unbiased stochastic rounding to quantile values."""
import numpy as np

from .quantized import Quantization, as_weights


def quantile_values(sorted_values, k):
    """Linear-interpolated quantiles at ``linspace(0, 1, k)``, float32, deduplicated.

    The first is the minimum and the last the maximum; with k = 1 the single value is
    the mean, the one level that keeps the weights' sum unbiased.
    """
    if k == 1:
        return np.array([sorted_values.mean(dtype=np.float64)], np.float32)
    pos = np.linspace(0.0, sorted_values.size - 1, k)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, sorted_values.size - 1)
    a = sorted_values[lo].astype(np.float64)
    b = sorted_values[hi].astype(np.float64)
    return np.unique((a + (pos - lo) * (b - a)).astype(np.float32))


def pws_quantize(values, k, rng):
    """Round each weight up or down to a quantile value at random, unbiased; seeded by ``rng``.

    With a <= w < b the adjacent values around w, w becomes b with probability
    (w - a) / (b - a), else a (w equal to a value keeps it): E[quantized w] = w.
    """
    values = as_weights(values)
    levels = quantile_values(np.sort(values), k)
    below = np.searchsorted(levels, values, side="right") - 1
    np.clip(below, 0, None, out=below)
    above = np.minimum(below + 1, levels.size - 1)
    a = levels[below].astype(np.float64)
    gap = levels[above] - a
    up_prob = np.divide(values - a, gap, out=np.zeros_like(gap), where=gap > 0)
    indices = (below + (rng.random(values.size) < up_prob)).astype(np.int32)
    return Quantization(levels, indices, {})
