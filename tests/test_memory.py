"""Compressed formats multiply without ever building the dense matrix: the peak resident memory of a
fresh process that multiplies a large, very sparse matrix stays far below the dense matrix's size.

Peak RSS is read from outside (sham_core.encoding.latency.peak_memory_mb), so numba's allocations count,
which tracemalloc would not see.
"""
import pytest

from matrices import quantized
from sham_core.formats import DIRECT, FORMATS
from sham_core.encoding.latency import peak_memory_mb

SHAPE = (8192, 4096)
DENSE_MIB = SHAPE[0] * SHAPE[1] * 4 / 2**20  # 128 MiB
# Loads an encoding (argv[1]) and multiplies a small one of the same format first, so that both
# runs load the same compiled kernels; with argv[2] == "multiply", multiplies the large one by x (n,)
# and by batches of 1, 16 and 64 rows too.
CHILD = """import sys
import numpy as np
from sham_core.formats import FORMATS, load
encoding = load(open(sys.argv[1], "rb").read())
small = FORMATS[encoding.name].from_dense(np.eye(40, 24, dtype=np.float32))
for rows in (None, 1, 16, 64):
    small.matmul(np.ones(40 if rows is None else (rows, 40), np.float32))
if sys.argv[2] == "multiply":
    n = encoding.shape[0]
    for rows in (None, 1, 16, 64):
        encoding.matmul(np.ones(n if rows is None else (rows, n), np.float32))
"""


@pytest.fixture(scope="module")
def sparse_matrix():
    return quantized(SHAPE, 32, 0.99)


@pytest.mark.parametrize("name", DIRECT)
def test_matmul_never_builds_the_dense_matrix(name, sparse_matrix, tmp_path):
    path = tmp_path / f"{name}.bin"
    path.write_bytes(FORMATS[name].from_dense(sparse_matrix).to_bytes())
    loaded = peak_memory_mb(["-c", CHILD, path, "load"])
    multiplied = peak_memory_mb(["-c", CHILD, path, "multiply"])
    assert multiplied - loaded < DENSE_MIB / 4, f"{name}: {loaded:.0f} MiB loaded, {multiplied:.0f} multiplied"
