"""Encoded bytes are frozen: a change to the layout must be deliberate (and bump VERSION)."""
from pathlib import Path

import numpy as np
import pytest

from sham_core.formats import FORMATS, load

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_matrix():
    """A small deterministic matrix with zeros, -0.0, repeated and rare values."""
    i, j = np.meshgrid(np.arange(24), np.arange(10), indexing="ij")
    W = (((i * 7 + j * 13) % 11) - 5).astype(np.float32) * 0.25
    W[(i * j) % 3 == 0] = 0.0
    W[5, 5] = -0.0
    W[7, 2] = 1e-3
    return W


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_bytes_match_the_frozen_fixture(name):
    frozen = (FIXTURES / f"{name}.bin").read_bytes()
    W = fixture_matrix()
    assert FORMATS[name].from_dense(W).to_bytes() == frozen
    np.testing.assert_array_equal(load(frozen).to_dense().view(np.uint32), W.view(np.uint32))


if __name__ == "__main__":
    FIXTURES.mkdir(exist_ok=True)
    for name, fmt in FORMATS.items():
        (FIXTURES / f"{name}.bin").write_bytes(fmt.from_dense(fixture_matrix()).to_bytes())
