"""Property tests: every format is lossless and computes X @ W for arbitrary matrices."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sham_core.formats import FORMATS, load
from matrices import assert_matmul_close, bits

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, np.finfo(np.float32).smallest_subnormal, 1e-30, 3e5],
                   np.float32)


@st.composite
def matrices(draw):
    n = draw(st.integers(1, 70))
    m = draw(st.integers(1, 70))
    seed = draw(st.integers(0, 2**32 - 1))
    k = draw(st.sampled_from([1, 2, 3, 16, 255, 5000]))
    sparsity = draw(st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]))
    kind = draw(st.sampled_from(["normal", "laplace", "special", "integers"]))
    rng = np.random.default_rng(seed)
    if kind == "special":
        values = SPECIAL
    elif kind == "integers":
        values = rng.integers(-3, 4, size=k).astype(np.float32)
    else:
        values = getattr(rng, kind)(size=k).astype(np.float32)
    W = values[rng.integers(0, values.size, size=(n, m))]
    W[rng.random((n, m)) < sparsity] = 0.0
    if draw(st.booleans()):
        W = np.asfortranarray(W)
    return W


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(W=matrices(), name=st.sampled_from(sorted(FORMATS)), batch=st.integers(1, 9))
def test_any_matrix_round_trips_and_multiplies(W, name, batch):
    enc = FORMATS[name].from_dense(W)
    buf = enc.to_bytes()
    assert len(buf) == enc.nbytes
    decoded = load(buf)
    np.testing.assert_array_equal(bits(decoded.to_dense()), bits(W))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(batch, W.shape[0])).astype(np.float32)
    assert_matmul_close(decoded.matmul(X), X, W)
    assert_matmul_close(enc.matmul(X[0]), X[0], W)
