"""Cluster-based weight sharing (CWS): 1-D k-means on the sorted weights.

Each cluster is an interval of the sorted weights, so a Lloyd round only moves the
k - 1 boundaries (binary searches at the centroid midpoints) and takes the interval
means from prefix sums: O(k log N) a round, one pass over the weights at the end.
"""
import numpy as np

from .quantized import Quantization, as_weights
from .sorted_weights import SortedWeights, assign

SAMPLE = 100_000
MAX_ROUNDS = 10_000
STUDY_RANDOM_STATE = 42  # uCWS.build_clusters' MiniBatchKMeans


def kmeans_pp(sample, k, rng):
    """Up to k ascending float32 seeds chosen by k-means++ (D² sampling) from ``sample``."""
    sample = sample.astype(np.float64)
    seeds = [sample[rng.integers(sample.size)]]
    d2 = (sample - seeds[0]) ** 2
    for _ in range(k - 1):
        total = d2.sum()
        if total == 0.0:
            break
        pick = np.searchsorted(np.cumsum(d2), rng.random() * total, side="right")
        seeds.append(sample[min(pick, sample.size - 1)])
        np.minimum(d2, (sample - seeds[-1]) ** 2, out=d2)
    return np.unique(np.array(seeds, np.float32))


def midpoints(centroids):
    """Float64 midpoints of consecutive ascending centroids: the nearest-centroid thresholds."""
    c = centroids.astype(np.float64)
    return (c[:-1] + c[1:]) / 2


def interval_means(sw, edges):
    """Float32 means of the non-empty intervals ``edges[i]:edges[i+1]``, deduplicated."""
    lo, hi = edges[:-1], edges[1:]
    full = hi > lo
    return np.unique(sw.mean(lo[full], hi[full]).astype(np.float32))


def lloyd(sw, centroids):
    """Lloyd rounds until no boundary moves: (centroids, rounds, converged)."""
    edges = np.concatenate(([0], sw.bounds(midpoints(centroids)), [sw.size]))
    for rounds in range(1, MAX_ROUNDS + 1):
        centroids = interval_means(sw, edges)
        moved = np.concatenate(([0], sw.bounds(midpoints(centroids)), [sw.size]))
        if np.array_equal(moved, edges):
            return centroids, rounds, True
        edges = moved
    return centroids, MAX_ROUNDS, False


def cws_quantize(values, k, rng):
    """k-means++ seeds on a subsample drawn with ``rng``, then Lloyd to convergence.

    Converged, every weight sits at its nearest centroid and every centroid is the
    float64 mean of its members, cast to float32. At most k centroids.
    """
    values = as_weights(values)
    sample = values if values.size <= SAMPLE else rng.choice(values, SAMPLE, replace=False)
    sw = SortedWeights(values)
    centroids, rounds, converged = lloyd(sw, kmeans_pp(sample, k, rng))
    indices = assign(values, midpoints(centroids))
    return Quantization(centroids, indices, {"rounds": rounds, "converged": converged})


def cws_study_quantize(values, k, rng):
    """The study's CWS k-means (uCWS.build_clusters): scikit-learn's MiniBatchKMeans, nearest centroid.

    Batches of 100,000, k-means++ on 3k sampled weights, best of 3 initialisations (the
    library's default when the study ran) and the study's fixed random_state 42, so ``rng``
    is unused: the result is the study's. Used by the study's pruning + quantization, where
    most weights are pruned zeros and this k-means, unlike Lloyd to convergence, leaves
    several centroids on or near 0 (with other random states, a few more or fewer).
    """
    from sklearn.cluster import MiniBatchKMeans
    values = as_weights(values)
    kmeans = MiniBatchKMeans(n_clusters=k, batch_size=100_000, init_size=3 * k, n_init=3,
                             random_state=STUDY_RANDOM_STATE)
    kmeans.fit(values.reshape(-1, 1))
    centroids = np.unique(kmeans.cluster_centers_.astype(np.float32).ravel())
    return Quantization(centroids, assign(values, midpoints(centroids)), {"kmeans": "minibatch"})
