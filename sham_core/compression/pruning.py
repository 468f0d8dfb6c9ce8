"""Magnitude pruning: the per-layer mask of the weights that survive."""
import numpy as np


def prune_mask(kernel, p):
    """True where |w| lies above the layer's p-th percentile of |w|; p = 0 keeps every weight."""
    magnitude = np.abs(kernel)
    if p == 0:
        return np.ones(kernel.shape, dtype=bool)
    return magnitude > np.percentile(magnitude, p)
