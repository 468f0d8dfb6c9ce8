"""Encoded bytes are frozen: a change to the layout must be deliberate (and bump VERSION)."""
from pathlib import Path

import numpy as np
import pytest

from sham_core.formats import BASELINES, FORMATS, load

FIXTURES = Path(__file__).parent / "fixtures"
# Every direct format, and one baseline per codec and per inner layout: the others differ
# only in the codec's setting. A compressor upgrade that changes its output shows up here.
FROZEN = sorted(set(FORMATS) - set(BASELINES)) + ["gzip", "im_xz", "zstd3"]


def fixture_matrix():
    """A small deterministic matrix with zeros, -0.0, repeated and rare values."""
    i, j = np.meshgrid(np.arange(24), np.arange(10), indexing="ij")
    W = (((i * 7 + j * 13) % 11) - 5).astype(np.float32) * 0.25
    W[(i * j) % 3 == 0] = 0.0
    W[5, 5] = -0.0
    W[7, 2] = 1e-3
    return W


@pytest.mark.parametrize("name", FROZEN)
def test_bytes_match_the_frozen_fixture(name):
    frozen = (FIXTURES / f"{name}.bin").read_bytes()
    W = fixture_matrix()
    assert FORMATS[name].from_dense(W).to_bytes() == frozen
    np.testing.assert_array_equal(load(frozen).to_dense().view(np.uint32), W.view(np.uint32))


if __name__ == "__main__":
    FIXTURES.mkdir(exist_ok=True)
    for name in FROZEN:
        encoded = FORMATS[name].from_dense(fixture_matrix()).to_bytes()
        (FIXTURES / f"{name}.bin").write_bytes(encoded)
