"""pr_X in the study's mode (prune_quantize="study") against the study's own code, and the survivors mode.

The oracle is ``<shared>/reference/study_oracle``: what the study's code
(giosumarin/compare_dnn_compression, ``sHAM_package/sHAM/pruning_u*.py``, adapted only in its
imports) gives on ``W_laplace.npy`` at p = 90: the number of distinct nonzero values each
pruning + quantization method keeps, the pruned matrix, and pr_cws's whole matrix at k = 32.
"""
import json

import numpy as np
import pytest

from invariants import check_result, weights
from keras_models import classification_data, small_cnn
from requirements import shared_or_skip
from sham_core.compression import METHODS, compress
from sham_core.compression.group import compress_group
from sham_core.compression.pruning import prune_mask

PR_X = ("pr_cws", "pr_pws", "pr_uq", "pr_ecsq")


@pytest.fixture(scope="module")
def oracle():
    folder = shared_or_skip().parent / "reference" / "study_oracle"
    matrices = {name: np.load(folder / f"{name}.npy") for name in ("W_laplace", "W_pr90", "W_pr_cws32_study")}
    return json.loads((folder / "oracle.json").read_text()), matrices


def _group(method, params, kernels, mode, seed=0):
    named = [(f"fc{i}", "dense", kernel) for i, kernel in enumerate(kernels)]
    return compress_group(METHODS[method], params, named, np.random.default_rng(seed), mode)


def _values(layers):
    kernels = np.concatenate([layer.kernel.ravel() for layer in layers])
    return np.unique(kernels[kernels != 0]).size


@pytest.mark.parametrize("method", PR_X)
@pytest.mark.parametrize("k", [8, 32])
def test_study_mode_keeps_as_many_values_as_the_study_code(oracle, method, k):
    counts, matrices = oracle
    expected = counts["nonzero_values_after_prune_quantize_study_code"][f"{method} k={k}"]
    layers = _group(method, {"p": 90, "k": k}, [matrices["W_laplace"]], "study")
    tolerance = 1 if method == "pr_cws" else 0  # the study's k-means is random
    assert abs(_values(layers) - expected) <= tolerance
    assert layers[0].info["values"] == _values(layers) and layers[0].info["prune_quantize"] == "study"


def test_study_mode_prunes_and_clusters_as_the_study_code(oracle):
    _, matrices = oracle
    layer, = _group("pr_cws", {"p": 90, "k": 32}, [matrices["W_laplace"]], "study")
    np.testing.assert_array_equal(np.where(layer.mask, matrices["W_laplace"], 0), matrices["W_pr90"])
    np.testing.assert_array_equal(layer.kernel, matrices["W_pr_cws32_study"])


def _study_reference(method, params, kernels, seed):
    """The study's recipe written out: prune each kernel, quantize all entries together, mask."""
    meth = METHODS[method]
    masks = [prune_mask(kernel, params["p"]) for kernel in kernels]
    values = np.concatenate([np.where(mask, kernel, 0).ravel() for kernel, mask in zip(kernels, masks)])
    result = (meth.study_quantize or meth.quantize)(values.astype(np.float32), params, np.random.default_rng(seed))
    quantized = result.centroids[result.indices]
    out, start = [], 0
    for kernel, mask in zip(kernels, masks):
        out.append(quantized[start:start + kernel.size].reshape(kernel.shape) * mask)
        start += kernel.size
    return out


@pytest.mark.parametrize("method", PR_X)
@pytest.mark.parametrize("p", [50, 75, 95])
def test_study_mode_is_the_quantizer_on_the_whole_pruned_matrices(method, p):
    rng = np.random.default_rng(p)
    kernels = [rng.normal(0, 0.1, (120, 40)).astype(np.float32), rng.laplace(0, 0.05, (40, 10)).astype(np.float32)]
    params = {"p": p, "k": 16}
    layers = _group(method, params, kernels, "study", seed=3)
    for layer, expected in zip(layers, _study_reference(method, params, kernels, seed=3)):
        np.testing.assert_array_equal(layer.kernel, expected.astype(np.float32) + np.float32(0))
        np.testing.assert_array_equal(layer.codebook[layer.indices], layer.kernel)
        assert np.all(layer.kernel[~layer.mask] == 0)
    assert layers[0].codebook is layers[1].codebook


@pytest.mark.parametrize("method", ["pr_cws", "pr_pws", "pr_uq"])
@pytest.mark.parametrize("k", [8, 32])
def test_survivors_mode_keeps_k_values(oracle, method, k):
    _, matrices = oracle
    assert _values(_group(method, {"p": 90, "k": k}, [matrices["W_laplace"]], "survivors")) == k


def test_survivors_mode_ecsq_keeps_what_its_lambda_rule_gives(oracle):
    _, matrices = oracle
    layers = _group("pr_ecsq", {"p": 90, "k": 8}, [matrices["W_laplace"]], "survivors")
    assert _values(layers) == layers[0].info["clusters"] > 8


def test_study_mode_keeps_fewer_values_than_survivors_mode(oracle):
    _, matrices = oracle
    for method in PR_X:
        study = _values(_group(method, {"p": 90, "k": 32}, [matrices["W_laplace"]], "study"))
        survivors = _values(_group(method, {"p": 90, "k": 32}, [matrices["W_laplace"]], "survivors"))
        assert study < survivors, method


@pytest.fixture(scope="module")
def cnn():
    return small_cnn()


def test_compress_in_study_mode_retrains_with_mask_and_shared_values(cnn):
    data = classification_data()
    before = weights(cnn)
    res = compress(cnn, "pr_pws", "dense", {"p": 80, "k": 8}, train=data, test=data, epochs=1, batch_size=32,
                   prune_quantize="study")
    check_result(cnn, before, res, {"dense": "pr_pws"}, {"dense": {"p": 80, "k": 8}})
    assert all(record.info["prune_quantize"] == "study" for record in res.layers)


def test_both_takes_a_mode_per_kind(cnn):
    res = compress(cnn, {"conv": "cws", "dense": "pr_uq"}, "both", {"conv": {"k": 4}, "dense": {"p": 80, "k": 8}},
                   prune_quantize={"dense": "study"})
    assert {record.info.get("prune_quantize") for record in res.layers if record.kind == "dense"} == {"study"}
    assert all("prune_quantize" not in record.info for record in res.layers if record.kind == "conv")


@pytest.mark.parametrize("method,layers,params,mode,message", [
    ("pr_cws", "dense", {"p": 90, "k": 4}, "zeros", "prune_quantize must be one of survivors, study, got 'zeros'"),
    ("cws", "dense", {"k": 4}, "study", "applies to pruning \\+ quantization .* not to 'cws'"),
    ("pr", "dense", {"p": 90}, "study", "not to 'pr'"),
    ({"conv": "cws", "dense": "pr_cws"}, "both", {"conv": {"k": 4}, "dense": {"p": 90, "k": 4}}, "study",
     "not to 'cws'"),
    ({"conv": "cws", "dense": "pr_cws"}, "both", {"conv": {"k": 4}, "dense": {"p": 90, "k": 4}}, {"fc": "study"},
     r"prune_quantize keys must be kinds \(dense, conv, embedding, recurrent\)"),
])
def test_bad_prune_quantize_is_refused_naming_what_to_change(cnn, method, layers, params, mode, message):
    with pytest.raises(ValueError, match=message):
        compress(cnn, method, layers, params, prune_quantize=mode)


def test_the_study_benchmark_gives_the_oracle_counts_on_the_oracle_matrix(oracle):
    from sham_core.bench.study import kmeans_rows, laplace_matrix, values_rows
    counts, matrices = oracle
    np.testing.assert_array_equal(laplace_matrix(0), matrices["W_laplace"])
    rows = {row["method"]: row for row in values_rows([0], [90], [8])}
    expected = counts["nonzero_values_after_prune_quantize_study_code"]
    assert {method: rows[method]["study_mean"] for method in PR_X} == {m: expected[f"{m} k=8"] for m in PR_X}
    assert rows["pr_cws"]["survivors_mean"] == 8
    ratio, = kmeans_rows([0], [32])
    assert 0 < ratio["error_ratio_max"] < 1, "Lloyd to convergence beats the study's MiniBatchKMeans"


def test_exact_bytes_over_the_study_estimate_on_the_oracle_matrices():
    from sham_core.bench.study import bytes_rows
    ratios = {(row["matrix"], row["format"]): row["ratio_max"] for row in bytes_rows([0])}
    assert ratios[("pruned p=90, unquantized", "ham")] < 0.3, "the study pays ~28 B per distinct value"
    assert 0.98 < ratios[("pr_cws p=90 k=32, study mode", "sham")] <= 1.0
    assert ratios[("pr_cws p=90 k=32, study mode, first 256 rows", "sham")] < 0.65, "uint8 rows, not 2 B"
