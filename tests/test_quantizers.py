"""Weight quantizers: each keeps the promise of its method, checked against brute force."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sham_core.compression import ecsq
from sham_core.compression.ecsq import DEFAULT_LAMBDAS, ecsq_quantize, envelope
from sham_core.compression.kmeans import cws_quantize
from sham_core.compression.pws import pws_quantize
from sham_core.compression.sorted_weights import SortedWeights, assign
from sham_core.compression.uniform import occupied_multiples, step_grid, uq_quantize

QUANTIZERS = {
    "cws": lambda values, k: cws_quantize(values, k, np.random.default_rng(0)),
    "pws": lambda values, k: pws_quantize(values, k, np.random.default_rng(0)),
    "uq": uq_quantize,
    "ecsq": lambda values, k: ecsq_quantize(values, k, [0.0, 0.1]),
}

weight_arrays = st.one_of(
    arrays(np.float32, st.integers(1, 120), elements=st.floats(-4, 4, width=32)),
    arrays(np.float32, st.integers(1, 120), elements=st.sampled_from([-1.5, 0.0, 0.25, 2.0])),
)


def normal(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def distances(values, centroids):
    return np.abs(values.astype(np.float64)[:, None] - centroids.astype(np.float64)[None, :])


def check_shape(result, values, k):
    assert result.centroids.dtype == np.float32 and result.indices.dtype == np.int32
    assert result.indices.shape == values.shape
    assert 1 <= result.centroids.size <= k
    assert np.all(np.diff(result.centroids) > 0)
    assert result.indices.min() >= 0 and result.indices.max() < result.centroids.size


@settings(deadline=None)
@given(values=weight_arrays, thresholds=arrays(np.float64, st.integers(0, 10),
                                                 elements=st.floats(-5, 5)))
def test_sorted_weights_intervals_and_assignment_agree(values, thresholds):
    thresholds = np.sort(thresholds)
    sw = SortedWeights(values)
    np.testing.assert_array_equal(sw.bounds(thresholds),
                                  [(values.astype(np.float64) <= t).sum() for t in thresholds])
    expected = (values.astype(np.float64)[:, None] > thresholds[None, :]).sum(axis=1)
    np.testing.assert_array_equal(assign(values, thresholds), expected)
    lo, hi = 0, values.size
    assert sw.count(lo, hi) == values.size
    assert sw.mean(lo, hi) == pytest.approx(values.astype(np.float64).mean(), abs=1e-12)


def test_interval_means_stay_accurate_next_to_large_weights():
    sw = SortedWeights(np.float32([-3e6, -3.0, 7.5e-12, 7.5e-12, 4e6]))
    assert sw.mean(2, 4) == np.float64(np.float32(7.5e-12))
    assert sw.sum(1, 3) == np.float64(np.float32(-3.0)) + np.float64(np.float32(7.5e-12))


@pytest.mark.parametrize("name", QUANTIZERS)
def test_empty_input_is_refused(name):
    with pytest.raises(ValueError):
        QUANTIZERS[name](np.zeros(0, np.float32), 4)


@pytest.mark.parametrize("name", QUANTIZERS)
@pytest.mark.parametrize("k", [1, 4])
def test_constant_input_keeps_its_value(name, k):
    values = np.full(50, 0.75, np.float32)
    result = QUANTIZERS[name](values, k)
    check_shape(result, values, k)
    quantized = result.centroids[result.indices]
    if name == "uq":
        assert np.all(quantized == quantized[0])
    else:
        np.testing.assert_array_equal(quantized, values)


def check_kmeans_fixed_point(values, result):
    """Every weight at a nearest centroid, every centroid the mean of its members."""
    d = distances(values, result.centroids)
    assert np.all(d[np.arange(values.size), result.indices] <= d.min(axis=1) + 1e-12)
    for i, c in enumerate(result.centroids):
        members = values[result.indices == i].astype(np.float64)
        assert members.size > 0
        np.testing.assert_allclose(c, np.float32(members.mean()), rtol=2e-7, atol=1e-30)


@settings(max_examples=60, deadline=None)
@given(values=weight_arrays, k=st.integers(1, 12), seed=st.integers(0, 1000))
def test_cws_converges_to_a_kmeans_fixed_point(values, k, seed):
    result = cws_quantize(values, k, np.random.default_rng(seed))
    check_shape(result, values, k)
    assert result.info["converged"]
    check_kmeans_fixed_point(values, result)


def test_cws_on_many_weights_and_seeds():
    values = normal(20_000)
    first = cws_quantize(values, 16, np.random.default_rng(5))
    check_shape(first, values, 16)
    assert first.centroids.size == 16
    check_kmeans_fixed_point(values, first)
    again = cws_quantize(values, 16, np.random.default_rng(5))
    np.testing.assert_array_equal(first.centroids, again.centroids)
    np.testing.assert_array_equal(first.indices, again.indices)


def test_cws_with_fewer_distinct_values_than_k_is_lossless():
    values = np.repeat(np.float32([-2.0, 0.5, 3.0]), [5, 40, 7])
    result = cws_quantize(values, 8, np.random.default_rng(0))
    np.testing.assert_array_equal(result.centroids, [-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(result.centroids[result.indices], values)


def test_cws_with_one_cluster_is_the_mean():
    values = normal(1001)
    result = cws_quantize(values, 1, np.random.default_rng(0))
    np.testing.assert_allclose(result.centroids, [values.astype(np.float64).mean()], rtol=1e-6)


def brackets(values, levels):
    """For each weight, the adjacent levels a <= w <= b (a == b when w is a level)."""
    hi = np.searchsorted(levels, values, side="left")
    exact = levels[np.minimum(hi, levels.size - 1)] == values
    lo = np.where(exact, hi, hi - 1)
    return levels[lo], levels[hi]


def test_pws_rounds_to_a_bracketing_value():
    values = normal(5000)
    result = pws_quantize(values, 9, np.random.default_rng(0))
    check_shape(result, values, 9)
    assert result.centroids[0] == values.min() and result.centroids[-1] == values.max()
    np.testing.assert_allclose(result.centroids, np.quantile(values, np.linspace(0, 1, 9)),
                               rtol=1e-6)
    a, b = brackets(values, result.centroids)
    quantized = result.centroids[result.indices]
    assert np.all((quantized == a) | (quantized == b))
    levels_hit = np.isin(values, result.centroids)
    assert levels_hit.sum() >= 2
    np.testing.assert_array_equal(quantized[levels_hit], values[levels_hit])


def test_pws_is_unbiased():
    values = normal(200, seed=1)
    runs = [pws_quantize(values, 5, np.random.default_rng(seed)) for seed in range(400)]
    mean = np.mean([r.centroids[r.indices] for r in runs], axis=0, dtype=np.float64)
    a, b = brackets(values, runs[0].centroids)
    sd = np.sqrt((values - a.astype(np.float64)) * (b - values) / len(runs))
    assert np.all(np.abs(mean - values) <= 5 * sd + 1e-6)


def test_pws_is_seeded():
    values = normal(1000)
    same = [pws_quantize(values, 8, np.random.default_rng(3)).indices for _ in range(2)]
    np.testing.assert_array_equal(*same)
    other = pws_quantize(values, 8, np.random.default_rng(4)).indices
    assert np.any(other != same[0])


def test_pws_with_duplicate_quantiles_has_fewer_values():
    values = np.repeat(np.float32([0.0, 1.0]), [90, 10])
    result = pws_quantize(values, 6, np.random.default_rng(0))
    np.testing.assert_array_equal(result.centroids, [0.0, 1.0])
    np.testing.assert_array_equal(result.centroids[result.indices], values)


@pytest.mark.parametrize("limit", [1, 3, 50])
@pytest.mark.parametrize("seed", range(4))
def test_occupied_multiples_match_unique(seed, limit):
    rng = np.random.default_rng(seed)
    ascending = np.sort(rng.standard_normal(rng.integers(1, 3000)).astype(np.float32))
    for delta in [1e-3, 0.037, 0.5, 3.0]:
        expected = np.unique(np.rint(ascending.astype(np.float64) / delta))[:limit + 1]
        np.testing.assert_array_equal(
            occupied_multiples(ascending, np.float64(delta), np.int64(limit)), expected)


@pytest.mark.parametrize("k", [1, 2, 7, 16])
def test_uq_step_is_the_finest_on_the_grid(k):
    values = normal(300, seed=k)
    result = uq_quantize(values, k)
    check_shape(result, values, k)
    delta = result.info["delta"]
    quantized = result.centroids[result.indices].astype(np.float64)
    np.testing.assert_allclose(quantized / delta, np.rint(values.astype(np.float64) / delta),
                               atol=1e-4)
    grid = step_grid(values)
    finer = grid[grid < delta]
    assert grid.size == 24 * 256 + 1 and delta in grid
    counts = [np.unique(np.rint(values.astype(np.float64) / d)).size for d in finer]
    assert min(counts, default=k + 1) > k


def test_uq_keeps_few_distinct_values_exactly():
    values = np.repeat(np.float32([-0.5, 0.25, 1.0]), 10)
    result = uq_quantize(values, 3)
    np.testing.assert_allclose(result.centroids[result.indices], values, rtol=1e-6)


def test_uq_zero_level_is_positive_zero():
    result = uq_quantize(np.float32([-0.01, 0.01, 1.0, -1.0]), 3)
    assert not np.any(np.signbit(result.centroids[result.centroids == 0]))


@settings(max_examples=200, deadline=None)
@given(centroids=arrays(np.float32, st.integers(1, 12), elements=st.floats(-3, 3, width=32)),
       shares=st.lists(st.floats(1e-3, 1.0), min_size=12, max_size=12),
       lam=st.sampled_from([0.0, 0.01, 0.3, 2.0]))
def test_envelope_matches_brute_force_argmin(centroids, shares, lam):
    c = np.sort(centroids).astype(np.float64)
    b = -lam * np.log(np.array(shares[:c.size]))
    winners, thresholds = envelope(c, b)
    w = np.concatenate((np.linspace(-5, 5, 401), thresholds[np.isfinite(thresholds)]))
    cost = np.abs(w[:, None] - c[None, :]) + b[None, :]
    chosen = winners[np.searchsorted(thresholds, w, side="left")]
    best = cost.min(axis=1)
    assert np.all(cost[np.arange(w.size), chosen] <= best + 1e-9)
    clear = np.sort(cost, axis=1)[:, 1] - best > 1e-9 if c.size > 1 else np.ones(w.size, bool)
    np.testing.assert_array_equal(chosen[clear], cost.argmin(axis=1)[clear])


@pytest.mark.parametrize("lam", [0.0, 0.05, 0.3, 1.0])
@pytest.mark.parametrize("k", [1, 4, 40])
def test_ecsq_assignment_minimises_the_cost(k, lam):
    values = np.random.default_rng(k).laplace(size=700).astype(np.float32)
    result = ecsq_quantize(values, k, [lam])
    assert result.info["lambda"] == lam
    p = result.info["probabilities"]
    assert p.dtype == np.float64 and p.shape == result.centroids.shape and np.all(p > 0)
    assert result.info["clusters"] == result.centroids.size == np.unique(result.indices).size
    assert result.centroids.size <= 3 * k
    assert np.all(np.diff(result.centroids) > 0)
    cost = distances(values, result.centroids) - lam * np.log(p)[None, :]
    assert np.all(cost[np.arange(values.size), result.indices] <= cost.min(axis=1) + 1e-9)


def test_ecsq_fixed_point_centroids_are_member_means():
    rng = np.random.default_rng(0)
    values = np.concatenate([c + 0.01 * rng.standard_normal(300) for c in (-2.0, 0.5, 3.0)])
    values = values.astype(np.float32)
    result = ecsq_quantize(values, 1, [0.2])
    assert result.centroids.size == 3
    for i, c in enumerate(result.centroids):
        members = values[result.indices == i].astype(np.float64)
        np.testing.assert_allclose(c, members.mean(), rtol=1e-6)
        assert result.info["probabilities"][i] == members.size / values.size


def expected_lambda(values, k, lambdas):
    """The study's rule, applied to each λ's own result."""
    ordered = sorted(lambdas, reverse=True)
    counts = [ecsq_quantize(values, k, [lam]).info["clusters"] for lam in ordered]
    reached = [i for i, count in enumerate(counts) if count >= k]
    if not reached:
        return ordered[-1], "none"
    i = reached[0]
    if i > 0 and abs(counts[i - 1] - k) < abs(counts[i] - k):
        return ordered[i - 1], "previous"
    return ordered[i], "first"


SCAN = [0.3, 2.0, 0.0, 0.5, 0.1, 1.0, 0.2]


@pytest.mark.parametrize("k, lambdas, case", [(7, SCAN, "previous"), (5, SCAN, "first"),
                                              (1, SCAN, "first"), (5, [1.0, 2.0], "none")])
def test_ecsq_lambda_selection_rule(k, lambdas, case):
    values = np.random.default_rng(3).laplace(size=2000).astype(np.float32)
    lam, kind = expected_lambda(values, k, lambdas)
    assert kind == case
    result = ecsq_quantize(values, k, lambdas)
    assert result.info["lambda"] == lam
    alone = ecsq_quantize(values, k, [lam])
    np.testing.assert_array_equal(result.centroids, alone.centroids)
    np.testing.assert_array_equal(result.indices, alone.indices)


def test_ecsq_default_lambdas_are_the_studys():
    assert len(DEFAULT_LAMBDAS) == 18 and max(DEFAULT_LAMBDAS) == 5e-8
    result = ecsq_quantize(normal(5000), 8)
    assert result.info["lambda"] == 5e-8 and result.info["clusters"] == 24


@pytest.mark.parametrize("counts, chosen", [({5.0: 2, 4.0: 6, 3.0: 10}, 3.0),
                                            ({5.0: 2, 4.0: 7, 3.0: 10}, 4.0),
                                            ({5.0: 9, 4.0: 12}, 5.0),
                                            ({5.0: 1, 4.0: 3}, 4.0)])
def test_ecsq_lambda_rule_on_ties(monkeypatch, counts, chosen):
    def fake(sw, count, lam):
        found = counts[lam]
        return ecsq.Clusters(np.arange(found, dtype=np.float32), np.full(found, 1 / found),
                             np.arange(found - 1, dtype=np.float64) + 0.5, np.ones(found, bool))

    monkeypatch.setattr(ecsq, "ecsq_clusters", fake)
    result = ecsq_quantize(normal(10), 8, list(counts)[::-1])
    assert result.info["lambda"] == chosen
