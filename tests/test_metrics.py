"""The concordance index against an O(N^2) brute force, with ties in targets and predictions."""
import numpy as np
import pytest

from sham_core.metrics import concordance_index


def brute_force_ci(y, p):
    """CI by definition: every pair with y_i > y_j, prediction agreement 1, prediction tie 1/2."""
    y, p = np.ravel(y), np.ravel(p)
    pairs = y[:, None] > y[None, :]
    score = (p[:, None] > p[None, :]) + 0.5 * (p[:, None] == p[None, :])
    return score[pairs].sum() / pairs.sum()


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    y = rng.integers(0, 12, n).astype(float)  # many ties in the targets (like DAVIS' pKd = 5)
    p = np.round(y + rng.normal(0, 3, n))  # and in the predictions
    if np.unique(y).size < 2:
        y[0] += 1
    assert concordance_index(y, p) == pytest.approx(brute_force_ci(y, p), abs=1e-12)


def test_continuous_values_and_column_predictions():
    rng = np.random.default_rng(1)
    y = rng.normal(size=1000)
    p = (y + rng.normal(size=1000))[:, None]  # Keras' (N, 1) predictions
    assert concordance_index(y, p) == pytest.approx(brute_force_ci(y, p), abs=1e-12)


def test_known_values():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert concordance_index(y, y) == 1.0
    assert concordance_index(y, -y) == 0.0
    assert concordance_index(y, np.zeros(4)) == 0.5


def test_large_input_is_fast():
    rng = np.random.default_rng(2)
    y = rng.normal(size=200_000)
    assert 0.6 < concordance_index(y, y + rng.normal(size=y.size)) < 0.9


@pytest.mark.parametrize("y, p, message", [
    ([1.0, 2.0], [1.0], "one prediction per target"),
    ([1.0, np.nan], [1.0, 2.0], "finite"),
    ([3.0, 3.0], [1.0, 2.0], "two different y_true"),
])
def test_errors(y, p, message):
    with pytest.raises(ValueError, match=message):
        concordance_index(y, p)
