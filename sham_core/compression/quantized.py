"""The result every weight quantizer returns, and the input check they share."""
from typing import NamedTuple

import numpy as np


class Quantization(NamedTuple):
    """Ascending float32 ``centroids``, an int32 centroid index per weight, method details.

    ``centroids[indices]`` are the quantized weights, in the order of the input.
    """

    centroids: np.ndarray
    indices: np.ndarray
    info: dict


def as_weights(values):
    """``values`` as a contiguous 1-D float32 array; ValueError if it is empty or not 1-D."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"expected a non-empty 1-D array of weights, got shape {values.shape}")
    return values
