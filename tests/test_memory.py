"""Compressed formats multiply without ever building the dense matrix."""
import tracemalloc

import numpy as np
import pytest

from sham_core.formats import FORMATS
from matrices import quantized

DENSE_BYTES = 2048 * 2048 * 4


@pytest.mark.parametrize("name", ["ham", "sham", "im"])
def test_matvec_peak_allocation_is_far_below_dense(name):
    W = quantized((2048, 2048), 32, 0.9)
    enc = FORMATS[name].from_dense(W)
    x = np.ones(2048, np.float32)
    enc.matmul(x)
    tracemalloc.start()
    try:
        enc.matmul(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < DENSE_BYTES / 20, f"{name} matmul peaked at {peak} bytes"
