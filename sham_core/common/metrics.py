"""Performance measures beyond Keras' own (the concordance index that the DeepDTA literature reports),
and which way each metric is better, by its name.
"""
import re

import numpy as np
from numba import njit

HIGHER_IS_BETTER = frozenset({
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "auc", "precision", "recall",
    "f1_score", "fbeta_score", "r2_score", "ci", "concordance_index", "iou", "mean_iou", "binary_iou",
    "one_hot_iou", "one_hot_mean_iou"})
LOWER_IS_BETTER = frozenset({
    "loss", "mse", "mae", "rmse", "mape", "msle", "huber", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "poisson"})
ALIASES = {"acc": "accuracy", "mean_squared_error": "mse", "mean_absolute_error": "mae",
           "root_mean_squared_error": "rmse", "mean_absolute_percentage_error": "mape",
           "mean_squared_logarithmic_error": "msle", "huber_loss": "huber", "logcosh": "log_cosh",
           "kullback_leibler_divergence": "kl_divergence", "kld": "kl_divergence", "r2": "r2_score"}


def metric_short_name(name):
    """A metric's or loss's name in the tables: snake_case, common aliases shortened (mean_squared_error: mse)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name)).lower()
    return ALIASES.get(snake, snake)


def higher_is_better(name, configured=None):
    """Whether a larger value of the metric ``name`` is better, from the known lists.

    ``configured`` is the experiment's ``higher_is_better:`` (None when unset): it names the
    direction of a metric that is not in the lists, and must agree with a known one.
    A name with an output's prefix (``out_accuracy``) takes the direction of its known suffix.
    """
    short = metric_short_name(name)
    known = _known_direction(short)
    if known is None and configured is None:
        raise ValueError(f"metric {name!r} is not one whose direction is known (higher is better: "
                         f"{', '.join(sorted(HIGHER_IS_BETTER))}; lower: {', '.join(sorted(LOWER_IS_BETTER))}); "
                         f"set higher_is_better: true or false in the experiment's config")
    if known is not None and configured is not None and bool(configured) != known:
        raise ValueError(f"higher_is_better: {str(bool(configured)).lower()} contradicts metric {name!r}, for which "
                         f"{'higher' if known else 'lower'} is better; remove higher_is_better from the experiment")
    return known if known is not None else bool(configured)


def _known_direction(short):
    """True, False, or None for a metric name (its longest known ``_``-suffix counts, for prefixed outputs)."""
    parts = short.split("_")
    for start in range(len(parts)):
        suffix = ALIASES.get("_".join(parts[start:]), "_".join(parts[start:]))
        if suffix in HIGHER_IS_BETTER:
            return True
        if suffix in LOWER_IS_BETTER:
            return False
    return None


def concordance_index(y_true, y_pred):
    """The fraction of pairs with y_i > y_j that the predictions order the same way (ties count 1/2).

    CI = sum over y_i > y_j of [p_i > p_j] + 0.5 [p_i = p_j], divided by the number of such
    pairs (Pahikkala et al. 2015, as in DeepDTA). O(N log N): a sort and a Fenwick tree.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if y.size != p.size:
        raise ValueError(f"y_true has {y.size} values but y_pred has {p.size}; give one prediction per target")
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise ValueError("the concordance index needs finite y_true and y_pred (found NaN or inf)")
    order = np.argsort(y, kind="stable")
    ranks = np.unique(p, return_inverse=True)[1].reshape(-1)[order]
    twice_score, pairs = _ordered_pairs(y[order], ranks.astype(np.int64), int(ranks.max(initial=0)) + 1)
    if pairs == 0:
        raise ValueError("the concordance index needs at least two different y_true values")
    return twice_score / (2 * pairs)


@njit(cache=True)
def _ordered_pairs(y_sorted, ranks, n_ranks):
    """Twice the CI's numerator and the number of pairs y_i > y_j, for y sorted ascending and prediction ranks."""
    tree = np.zeros(n_ranks + 1, np.int64)
    twice_score, pairs, start, n = 0, 0, 0, y_sorted.size
    while start < n:
        end = start
        while end < n and y_sorted[end] == y_sorted[start]:
            end += 1
        for i in range(start, end):
            below = _count_below(tree, ranks[i])
            twice_score += 2 * below + _count_below(tree, ranks[i] + 1) - below
        pairs += start * (end - start)
        for i in range(start, end):
            _insert(tree, ranks[i])
        start = end
    return twice_score, pairs


@njit(cache=True)
def _count_below(tree, rank):
    """How many inserted ranks are < ``rank`` (Fenwick prefix sum)."""
    total = 0
    while rank > 0:
        total += tree[rank]
        rank -= rank & -rank
    return total


@njit(cache=True)
def _insert(tree, rank):
    """Insert ``rank`` (Fenwick point update at rank + 1)."""
    rank += 1
    while rank < tree.size:
        tree[rank] += 1
        rank += rank & -rank
