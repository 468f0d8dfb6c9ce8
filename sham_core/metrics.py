"""Performance measures beyond Keras' own: the concordance index that the DeepDTA literature reports."""
import numpy as np
from numba import njit


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
