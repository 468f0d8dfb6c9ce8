"""The concordance index against an O(N^2) brute force, with ties in targets and predictions;
which way a metric is better, from its name."""
import numpy as np
import pytest

from sham_core.common.metrics import concordance_index, higher_is_better, metric_short_name


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


@pytest.mark.parametrize("name,higher", [
    ("accuracy", True), ("sparse_categorical_accuracy", True), ("auc", True), ("out_accuracy", True),
    ("ci", True), ("loss", False), ("mse", False), ("mean_squared_error", False), ("MeanAbsoluteError", False),
    ("huber_loss", False), ("sparse_categorical_crossentropy", False), ("val_loss", False)])
def test_a_metrics_direction_comes_from_its_name(name, higher):
    assert higher_is_better(name) is higher


def test_an_unknown_metric_needs_the_configured_direction_and_a_known_one_must_agree():
    with pytest.raises(ValueError, match="'my_score'.*set higher_is_better: true or false"):
        higher_is_better("my_score")
    assert higher_is_better("my_score", True) is True and higher_is_better("my_score", False) is False
    with pytest.raises(ValueError, match="higher_is_better: true contradicts metric 'mse'"):
        higher_is_better("mse", True)
    assert higher_is_better("accuracy", True) is True


def test_metric_short_names():
    assert [metric_short_name(n) for n in ("mean_squared_error", "MeanAbsoluteError", "huber_loss", "acc")] == \
        ["mse", "mae", "huber", "accuracy"]
