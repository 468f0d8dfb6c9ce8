"""Entropy-constrained scalar quantization (ECSQ), after uECSQ.py of the study.

A weight w goes to the centroid minimising |w - c| - λ log p(c), p being the share
of weights in the cluster; centroids are then their members' means. For c_i < c_j
the cost difference is nondecreasing in w, so every cluster wins an interval of the
sorted weights: a round is the lower envelope of the V-shaped costs (a stack, in
O(3k)) and binary searches for its breakpoints, never a pass over the weights.
"""
from typing import NamedTuple

import numpy as np
from numba import njit

from .quantized import Quantization, as_weights
from .sorted_weights import SortedWeights, assign

DEFAULT_LAMBDAS = [1e-13, 2.5e-13, 5e-13, 7.5e-13, 1e-12, 2.5e-12, 5e-12, 7.5e-12, 1e-11, 2.5e-11,
                   5e-11, 7.5e-11, 1e-10, 2.5e-9, 5e-9, 7.5e-9, 1e-9, 5e-8]
START_FACTOR = 3
MAX_ROUNDS = 50


@njit(cache=True, inline="always")
def breakpoint(ci, bi, cj, bj):
    """Largest w where cost i (c_i <= c_j) is <= cost j: +inf if always, -inf if never."""
    if cj - ci + bi - bj <= 0.0:
        return np.inf
    if ci - cj + bi - bj > 0.0:
        return -np.inf
    return (ci + cj - bi + bj) / 2


@njit(cache=True)
def envelope(centroids, offsets):
    """Lower envelope of w -> |w - c_i| + b_i over ascending c_i, ties to the lower i.

    Returns the winners, ascending, and the float64 breakpoints between consecutive
    winners: winner a takes the w in (breakpoint[a - 1], breakpoint[a]].
    """
    stack = np.empty(centroids.size, np.int64)
    left = np.empty(centroids.size, np.float64)
    top = -1
    for j in range(centroids.size):
        x = -np.inf
        while top >= 0:
            i = stack[top]
            x = breakpoint(centroids[i], offsets[i], centroids[j], offsets[j])
            if x == np.inf or x > left[top]:
                break
            top -= 1
        if x == np.inf:
            continue
        top += 1
        stack[top] = j
        left[top] = x if top > 0 else -np.inf
    return stack[:top + 1].copy(), left[1:top + 1].copy()


class Clusters(NamedTuple):
    """An ECSQ result before the weights are mapped: the non-empty clusters and the breakpoints.

    Weight w goes to envelope winner ``assign(w, thresholds)``; ``full`` says which
    winners got weights, the clusters returned being those, in order.
    """

    centroids: np.ndarray
    probabilities: np.ndarray
    thresholds: np.ndarray
    full: np.ndarray


def interval_stats(sw, edges):
    """Float32 means and float64 shares of the intervals between ascending distinct edges."""
    lo, hi = edges[:-1], edges[1:]
    return sw.mean(lo, hi).astype(np.float32), sw.count(lo, hi) / sw.size


def equal_count_edges(size, count):
    """Edges of ``count`` bins of sizes as np.array_split gives them, empty bins dropped."""
    sizes = np.full(count, size // count, np.int64)
    sizes[:size % count] += 1
    return np.unique(np.concatenate(([0], np.cumsum(sizes))))


def assignment(sw, centroids, probabilities, lam):
    """(winners, breakpoints, edges of each winner's interval in the sorted weights)."""
    winners, thresholds = envelope(centroids.astype(np.float64), -lam * np.log(probabilities))
    return winners, thresholds, np.concatenate(([0], sw.bounds(thresholds), [sw.size]))


def ecsq_clusters(sw, count, lam):
    """ECSQ from ``count`` equal-count bins until the assignment stops changing (<= 50 rounds)."""
    centroids, probabilities = interval_stats(sw, equal_count_edges(sw.size, count))
    partition = None
    for _ in range(MAX_ROUNDS):
        winners, thresholds, edges = assignment(sw, centroids, probabilities, lam)
        if np.array_equal(np.unique(edges), partition):
            break
        partition = np.unique(edges)
        centroids, probabilities = interval_stats(sw, partition)
    else:
        winners, thresholds, edges = assignment(sw, centroids, probabilities, lam)
    full = edges[1:] > edges[:-1]
    return Clusters(centroids[winners[full]], probabilities[winners[full]], thresholds, full)


def select_lambda(sw, k, lambdas):
    """(λ, clusters) by the study's rule, scanning λ from largest (fewest clusters) down.

    The first λ giving at least k clusters wins, unless the previous λ came strictly
    closer to k; when none reaches k, the smallest λ.
    """
    if len(lambdas) == 0:
        raise ValueError("ECSQ needs at least one lambda")
    previous = None
    for lam in sorted(lambdas, reverse=True):
        current = (float(lam), ecsq_clusters(sw, START_FACTOR * k, lam))
        found = current[1].centroids.size
        if found >= k:
            if previous is not None and abs(previous[1].centroids.size - k) < found - k:
                return previous
            return current
        previous = current
    return previous


def ecsq_quantize(values, k, lambdas=DEFAULT_LAMBDAS):
    """ECSQ with 3k starting clusters and λ chosen from ``lambdas`` to give about k clusters.

    The indices are the cost minimisers for the returned centroids and probabilities.
    """
    values = as_weights(values)
    lam, clusters = select_lambda(SortedWeights(values), k, lambdas)
    rank = (np.cumsum(clusters.full) - 1).astype(np.int32)
    return Quantization(clusters.centroids, rank[assign(values, clusters.thresholds)],
                        {"lambda": lam, "probabilities": clusters.probabilities,
                         "clusters": int(clusters.centroids.size)})
