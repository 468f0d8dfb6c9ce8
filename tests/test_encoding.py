"""The encode stage: exact sizes, psi, the format choice, slr factors, and compressed inference."""
import json
import time

import numpy as np
import pytest

from keras_models import classification_data, regression_data, small_cnn, two_input_regressor
from sham_core.compression import compress
from sham_core.encoding import EncodedDense, encode_baseline, encode_run, load_split
from sham_core.encoding.inference import encoded_model, inference_metric_name, outputs, score
from sham_core.encoding.sizes import encode_parts
from sham_core.formats import DIRECT, FORMATS, as_matrix, entropy_bits, study_bytes
from sham_core.formats.ham import HAM
from sham_core.formats.sham import SHAM

CNN_RUNS = {"pr_cws": ("dense", "pr_cws", {"p": 50, "k": 4}),
            "slr": ("dense", "slr", {"q": 2, "sr": 0.5, "rr": 0.5}),
            "conv": ("conv", "cws", {"k": 4}),
            "both": ("both", {"conv": "cws", "dense": "pr_cws"}, {"conv": {"k": 4}, "dense": {"p": 50, "k": 4}})}


def write_run(folder, model, data, layers, method, params, task):
    """Compress model and store it as the compress job does; return the paths and metrics dict."""
    x, y = data
    res = compress(model, method, layers, params, test=data, seed=1)
    folder.mkdir()
    res.model.save(folder / "compressed.keras")
    arrays = {f"{r.name}:kernel": r.kernel for r in res.layers}
    arrays.update({f"{r.name}:{key}": f for r in res.layers if r.factors for key, f in zip(("us", "v"), r.factors)})
    np.savez(folder / "compressed.npz", **arrays)
    xs = {f"x_test_{i}": a for i, a in enumerate(x)} if isinstance(x, list) else {"x_test": x}
    np.savez(folder / "data.npz", **xs, y_test=y)
    metrics = {"status": "ok", "error": None, "task": task, "metric": res.metric, "after_retrain": res.after_retrain,
               "experiment": "tiny", "method": method, "params": params, "param_path": "p~1",
               "layers": [{"name": r.name, "kind": r.kind, "method": r.method, "shape": list(r.shape)}
                          for r in res.layers]}
    return res, [folder / "compressed.keras", folder / "compressed.npz", metrics, folder / "data.npz"]


@pytest.fixture(scope="module")
def cnn_runs(tmp_path_factory):
    """name -> (CompressionResult, encode_run arguments, encoding dict) for the small CNN."""
    runs = {}
    for name, (layers, method, params) in CNN_RUNS.items():
        res, args = write_run(tmp_path_factory.mktemp("runs") / name, small_cnn(), classification_data(),
                              layers, method, params, "classification")
        runs[name] = res, args, encode_run(*args, repeats=3, budget_s=0.005)
    return runs


def by_name(encoding):
    return {layer["name"]: layer for layer in encoding["layers"]}


def test_bytes_are_the_exact_encoded_sizes(cnn_runs):
    res, _, enc = cnn_runs["both"]
    for record in res.layers:
        layer = by_name(enc)[record.name]
        matrix = as_matrix(record.kernel)
        assert layer["matrices"] == [list(matrix.shape)] and layer["weights"] == record.kernel.size
        assert layer["bytes"] == {f: len(FORMATS[f].from_dense(matrix).to_bytes()) for f in DIRECT}
        assert layer["entropy_bytes"] == layer["entropy_bits"] / 8 > 0


def test_choice_is_im_for_conv_and_the_smaller_coded_format_for_dense(cnn_runs):
    for layer in cnn_runs["both"][2]["layers"]:
        smaller = min(("ham", "sham"), key=layer["bytes"].get)
        assert layer["choice"] == ("im" if layer["kind"] == "conv" else smaller)
        assert layer["choice_bytes"] == layer["bytes"][layer["choice"]]


def test_psi_per_group_and_for_the_network(cnn_runs):
    res, _, enc = cnn_runs["both"]
    layers = enc["layers"]
    for kind in ("dense", "conv"):
        group = [layer for layer in layers if layer["kind"] == kind]
        assert enc["weights"][kind] == sum(layer["weights"] for layer in group)
        assert enc["bytes"][kind]["sham"] == sum(layer["bytes"]["sham"] for layer in group)
        assert enc["psi"][kind]["choice"] == sum(layer["choice_bytes"] for layer in group) / (4 * enc["weights"][kind])
    total = sum(w.size for w in res.model.get_weights())
    other = total - sum(layer["weights"] for layer in layers)
    assert enc["weights"]["network"] == total
    assert enc["bytes"]["network"]["choice"] == sum(layer["choice_bytes"] for layer in layers) + 4 * other
    assert enc["psi"]["network"]["entropy"] == pytest.approx(
        (sum(layer["entropy_bytes"] for layer in layers) + 4 * other) / (4 * total))


def test_study_estimate_per_group_over_the_kernels_together(cnn_runs):
    res, _, enc = cnn_runs["both"]
    parts = {kind: [as_matrix(r.kernel) for r in res.layers if r.kind == kind] for kind in ("dense", "conv")}
    dense = {fmt: study_bytes(parts["dense"], fmt) for fmt in ("ham", "sham")}
    assert enc["study_estimate"] == {"dense": {**dense, "choice": min(dense.values())},
                                     "conv": {"im": study_bytes(parts["conv"], "im"),
                                              "choice": study_bytes(parts["conv"], "im")}}
    assert set(cnn_runs["conv"][2]["study_estimate"]) == {"conv"}


def test_study_estimate_of_slr_takes_the_factors(cnn_runs):
    res, _, enc = cnn_runs["slr"]
    parts = [part for r in res.layers for part in (r.factors or [as_matrix(r.kernel)])]
    assert enc["study_estimate"]["dense"]["sham"] == study_bytes(parts, "sham")


def test_groups_only_name_the_kinds_compressed(cnn_runs):
    enc = cnn_runs["conv"][2]
    assert set(enc["psi"]) == {"conv", "network"}
    assert enc["matmul"] == [] and enc["inference"] == []


def test_slr_encodes_the_two_factors_not_their_product(cnn_runs):
    res, _, enc = cnn_runs["slr"]
    record = next(r for r in res.layers if r.name == "fc1")
    layer = by_name(enc)["fc1"]
    us, v = record.factors
    assert layer["matrices"] == [[128, 2], [2, 24]]
    assert layer["bytes"] == {f: sum(FORMATS[f].from_dense(part).nbytes for part in (us, v)) for f in DIRECT}
    assert layer["choice_bytes"] == sum(min(FORMATS[f].from_dense(part).nbytes for f in ("ham", "sham"))
                                        for part in (us, v))
    assert layer["choice_bytes"] / (4 * layer["weights"]) < 0.25
    assert layer["entropy_bits"] == pytest.approx(entropy_bits(us) + entropy_bits(v))
    timed = {row["name"]: row for row in enc["matmul"]}
    assert timed["fc1"]["factored"] and timed["fc1"]["shape"] == [128, 24]


def test_matmul_ratios_and_machine_are_recorded(cnn_runs):
    enc = cnn_runs["pr_cws"][2]
    assert [row["name"] for row in enc["matmul"]] == ["fc1", "out"]
    row = enc["matmul"][0]
    assert 0.4 < row["zero_fraction"] < 0.6
    assert set(row["formats"]) == set(DIRECT)
    sham = row["formats"]["sham"]
    assert sham["ratio_b64_scipy"] == pytest.approx(sham["b64_s"] / row["scipy_b64_s"])
    assert enc["machine"]["numba_threads"] >= 1 and enc["machine"]["cpu"]


@pytest.mark.parametrize("run", ["pr_cws", "slr", "both"])
def test_encoded_inference_matches_the_decoded_model(cnn_runs, run):
    enc = cnn_runs[run][2]
    assert [r["format"] for r in enc["inference"]] == ["sham", "ham", "shamx", "hamx"]
    assert all(r["equal"] and r["metric"] == r["decoded_metric"] for r in enc["inference"])
    assert enc["status"] == "ok" and enc["experiment"] == "tiny" and enc["seconds"] > 0
    assert json.loads(json.dumps(enc)) == enc


def test_the_wait_before_the_timings_is_not_counted_in_seconds(cnn_runs):
    """A job's wait for the machine (jobenv.JobSlot.exclusive) runs in before_timing: not encoding work."""
    args = cnn_runs["pr_cws"][1]
    called = []
    enc = encode_run(*args, repeats=3, budget_s=0.005, before_timing=lambda: called.append(time.sleep(3)))
    assert called == [None] and 0 < enc["seconds"] < cnn_runs["pr_cws"][2]["seconds"] + 2.5


def test_two_input_regression_inference_is_equal(tmp_path):
    _, args = write_run(tmp_path / "dta", two_input_regressor(), regression_data(), "dense", "pr_cws",
                        {"p": 50, "k": 4}, "regression")
    enc = encode_run(*args, repeats=3, budget_s=0.005)
    assert {r["metric_name"] for r in enc["inference"]} == {"mse"}
    assert all(r["equal"] for r in enc["inference"])
    args[2] = dict(args[2], metric="mean_absolute_error")  # a run scored on MAE is checked on MAE
    by_mae = encode_run(*args, repeats=3, budget_s=0.005)["inference"]
    assert {r["metric_name"] for r in by_mae} == {"mae"} and all(r["equal"] for r in by_mae)
    assert by_mae[0]["metric"] != enc["inference"][0]["metric"]


def test_encoded_dense_never_decodes(cnn_runs, monkeypatch):
    res, args, _ = cnn_runs["pr_cws"]
    encodings = {r.name: encode_parts([r.kernel]) for r in res.layers}

    def refuse(self):
        raise AssertionError("EncodedDense decoded a kernel")
    for fmt in (SHAM, HAM):
        monkeypatch.setattr(fmt, "to_dense", refuse)
    x, _ = load_split(args[3], "test")
    expected = outputs(res.model, x)
    for fmt in ("sham", "ham"):
        clone = encoded_model(res.model, encodings, fmt)
        assert sum(isinstance(layer, EncodedDense) for layer in clone.layers) == 2
        np.testing.assert_allclose(outputs(clone, x), expected, rtol=1e-5, atol=1e-5)


def test_failed_runs_pass_through(tmp_path):
    metrics = {"status": "failed", "error": "no weight survives pruning", "experiment": "tiny", "method": "pr",
               "layers": []}
    assert encode_run(tmp_path / "missing.keras", None, metrics, None) == {
        "experiment": "tiny", "method": "pr", "status": "failed", "error": "no weight survives pruning"}


def test_baseline_encodes_every_kernel(cnn_runs, tmp_path):
    path = tmp_path / "baseline.keras"
    small_cnn().save(path)
    enc = encode_baseline(path, cnn_runs["pr_cws"][1][3], repeats=3, budget_s=0.005)
    assert [(layer["name"], layer["method"]) for layer in enc["layers"]] == [
        ("conv1", "none"), ("conv2", "none"), ("fc1", "none"), ("out", "none")]
    assert enc["task"] == "classification" and all(r["equal"] for r in enc["inference"])


def test_load_split_reads_single_and_multi_input_layouts(tmp_path):
    np.savez(tmp_path / "one.npz", x_test=np.zeros((2, 3)), y_test=np.ones(2), y_train=np.ones(2))
    np.savez(tmp_path / "two.npz", x_test_0=np.zeros((2, 3)), x_test_1=np.ones((2, 4)), y_test=np.ones(2))
    assert load_split(tmp_path / "one.npz", "test")[0].shape == (2, 3)
    assert [a.shape for a in load_split(tmp_path / "two.npz", "test")[0]] == [(2, 3), (2, 4)]
    with pytest.raises(ValueError, match="neither x_train nor x_train_0"):
        load_split(tmp_path / "one.npz", "train")


def test_a_missing_factor_is_refused(cnn_runs, tmp_path):
    model, npz, metrics, data = cnn_runs["slr"][1]
    stored = dict(np.load(npz))
    del stored["fc1:v"]
    np.savez(tmp_path / "c.npz", **stored)
    with pytest.raises(ValueError, match="fc1:v"):
        encode_run(model, tmp_path / "c.npz", metrics, data)


def test_accuracy_handles_one_hot_labels_and_a_sigmoid_unit():
    out = np.array([[0.1, 0.9], [0.8, 0.2]], np.float32)
    assert score("classification", out, np.array([[0, 1], [0, 1]])) == 0.5
    assert score("classification", np.array([[0.7], [0.2]]), np.array([1, 1])) == 0.5
    assert score("regression", np.array([[1.0], [3.0]]), np.array([1.0, 1.0])) == 2.0


def test_named_baselines_are_measured_beside_the_direct_formats(cnn_runs):
    args = cnn_runs["pr_cws"][1]
    enc = encode_run(*args, repeats=3, budget_s=0.005, baselines=("gzip", "im_zstd3"))
    layer = enc["layers"][0]
    assert set(layer["bytes"]) == {*DIRECT, "gzip", "im_zstd3"}
    assert layer["baseline_bytes"] == min(layer["bytes"]["gzip"], layer["bytes"]["im_zstd3"])
    assert layer["direct_bytes"] == min(layer["bytes"][f] for f in DIRECT)
    assert enc["psi"]["dense"]["baseline"] > 0 and enc["psi"]["dense"]["direct"] <= enc["psi"]["dense"]["choice"]


def test_a_regression_run_scored_on_mae_is_checked_on_mae():
    out, y = np.array([[1.0], [4.0]]), np.array([1.0, 1.0])
    assert score("regression", out, y, "mae") == 1.5 and score("regression", out, y, "mse") == 4.5
    assert [inference_metric_name("regression", name) for name in ("mae", "mean_absolute_error", "huber", None)] \
        == ["mae", "mae", "mse", "mse"]
    assert inference_metric_name("classification", "loss") == "accuracy"
