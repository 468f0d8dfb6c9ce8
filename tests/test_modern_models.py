"""Issue 19: every kernel-bearing layer is found wherever it sits, compressed, retrained and stored."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from modern_models import FAMILIES, compiled, data, round_trip, transformer, wrappers
from requirements import skip_unless
from sham_core.artifact import load, save
from sham_core.compression import compress
from sham_core.models.selection import kernel_slots

TESTS = Path(__file__).parent


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_family_compresses_all_its_kernels_and_runs_from_its_file_as_compressed(name, tmp_path):
    res, expected, loaded = round_trip(name, tmp_path)
    assert res.coverage["kernel_fraction"] >= 0.95 and res.coverage["skipped_layers"] == []
    np.testing.assert_allclose(loaded, expected, atol=1e-4)
    names = [record.name for record in res.layers]
    assert len(set(names)) == len(names)
    slots = {slot.name: slot for slot in kernel_slots(res.model)}
    for record in res.layers:  # the baked model holds each record's kernel: pruned and on its kind's codebook
        kernel = ops.convert_to_numpy(getattr(slots[record.name].layer, slots[record.name].attribute))
        np.testing.assert_array_equal(kernel, record.kernel)
        assert (kernel[~record.mask] == 0).all() and len(np.unique(kernel[kernel != 0])) <= 8


def test_kernels_are_named_by_path_and_two_kernel_layers_by_attribute():
    names = [slot.name for slot in kernel_slots(transformer())]
    assert {"attention/query", "attention/key", "attention/value", "attention/attention_output", "token"} <= set(names)
    assert any(name.startswith("position/embedding") for name in names)
    names = [slot.name for slot in kernel_slots(wrappers())]
    assert "bi/forward_lstm/lstm_cell/recurrent_kernel" in names and "td/proj" in names


@pytest.mark.parametrize("layers,kinds", [("embedding", {"embedding"}), ("recurrent", {"recurrent"}),
                                          ("dense", {"dense"}), ({"include": "lstm", "exclude": "backward"},
                                                                 {"recurrent"})])
def test_selections_take_their_kinds(layers, kinds):
    model = wrappers()
    res = compress(model, "pr", layers, {"p": 50})
    assert {record.kind for record in res.layers} == kinds
    if isinstance(layers, dict):
        assert all("forward_lstm" in record.name for record in res.layers) and len(res.layers) == 2


def test_a_method_per_kind_and_clear_errors_for_bad_selections():
    model = transformer()
    res = compress(model, {"dense": "pr_uq", "embedding": "uq"}, "all",
                   {"dense": {"p": 50, "k": 4}, "embedding": {"k": 4}})
    assert {record.kind: record.method for record in res.layers} == {"dense": "pr_uq", "embedding": "uq"}
    with pytest.raises(ValueError, match="method has no entry for the embedding kernels"):
        compress(model, {"dense": "pr"}, "all", {"dense": {"p": 50}})
    with pytest.raises(ValueError, match="not a regular expression"):
        compress(model, "pr", {"include": "("}, {"p": 50})
    with pytest.raises(ValueError, match="no kernel that layers='recurrent' selects; it has: 2 embedding, 7 dense"):
        compress(model, "pr", "recurrent", {"p": 50})
    with pytest.raises(ValueError, match="slr factorizes 2-D kernels; attention/query has shape"):
        compress(model, "slr", "dense", {"q": 2, "sr": 0, "rr": 0})


def test_a_loaded_file_names_where_each_kernel_lives(tmp_path):
    res, _, _ = round_trip("custom_transformer", tmp_path, epochs=0)
    entries = load(tmp_path / "custom_transformer.sham").manifest["compressed"]
    by_name = {entry["layer"]: entry for entry in entries}
    head = [entry for entry in entries if entry["from_bytes"]]
    assert by_name["token"]["from_bytes"] is False and len(head) == 1 and head[0]["unit"] == head[0]["layer"]
    assert by_name["block1/attention/query"]["unit"] == "block1" and by_name["block2/up"]["unit"] == "block2"
    assert not by_name["block1/attention/query"]["from_bytes"]


def test_every_family_on_torch():
    skip_unless(importlib.util.find_spec("torch") is not None, "torch", "torch is not installed")
    env = dict(os.environ, KERAS_BACKEND="torch", PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent)]))
    run = subprocess.run([sys.executable, str(TESTS / "modern_models.py")], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert run.stdout.count("torch ") == len(FAMILIES), run.stdout


def test_an_einsum_dense_runs_from_its_stored_matrix(tmp_path):
    res, expected, loaded = round_trip("einsum_stack", tmp_path, epochs=0)
    artifact = load(tmp_path / "einsum_stack.sham")
    entries = artifact.manifest["compressed"]
    assert all(entry["from_bytes"] for entry in entries)
    assert [entry.get("permutation") for entry in entries][:2] == [[0, 1, 2], [0, 1, 2]]
    assert sum(type(layer).__name__ == "EncodedEinsumDense" for layer in artifact.model.layers) == 3


def big_einsum_file(path, rows):
    """A .sham of one EinsumDense (rows x 64 x 64 kernel, as attention's query projection), pruned at p = 99."""
    x = keras.Input((2, rows))
    model = keras.Model(x, keras.layers.EinsumDense("abc,cde->abde", (2, 64, 64), name="query")(x))
    model.compile("sgd", "mse")
    res = compress(model, "pr", "dense", {"p": 99})
    save(res, path, formats={"dense": "csc"})
    np.save(path.with_suffix(".npy"), np.ones((4, 2, rows), np.float32))


def test_an_einsum_dense_from_bytes_never_holds_its_dense_kernel(tmp_path):
    """Peak RSS of a fresh process that loads and predicts (tracemalloc does not see numba's allocations)."""
    from sham_core.encoding.latency import model_peak_memory_mb
    big_einsum_file(tmp_path / "big.sham", 8192)
    big_einsum_file(tmp_path / "small.sham", 64)
    dense_mb = 8192 * 64 * 64 * 4 / 2**20  # 128 MiB
    big = model_peak_memory_mb("artifact", tmp_path / "big.sham", tmp_path / "big.npy")
    small = model_peak_memory_mb("artifact", tmp_path / "small.sham", tmp_path / "small.npy")
    assert big - small < dense_mb / 4, (big, small)


def test_names_narrow_any_selection_and_the_cli_takes_them(tmp_path, capsys):
    from sham_core.__main__ import main
    model = transformer()
    res = compress(model, "pr", "dense", {"p": 50}, names={"include": "attention", "exclude": "output"})
    assert sorted(record.name for record in res.layers) == ["attention/key", "attention/query", "attention/value"]
    assert {layer["path"] for layer in res.coverage["skipped_layers"]} >= {"token", "position"}
    with pytest.raises(ValueError, match="selects with names"):
        compress(model, "pr", "embedding", {"p": 50}, names={"include": "attention"})
    model.save(tmp_path / "t.keras")
    main(["compress", str(tmp_path / "t.keras"), "--method", "pr", "--p", "50", "--layers", "all",
          "--exclude", "^(token|position)", "-o", str(tmp_path / "t.sham")])
    kinds = {entry["kind"] for entry in load(tmp_path / "t.sham").manifest["compressed"]}
    assert kinds == {"dense"} and "left uncompressed: token (Embedding" in capsys.readouterr().out


def test_attention_projections_run_from_their_stored_matrices(tmp_path):
    from sham_core.artifact.attention import STORED, projections
    from sham_core.artifact.einsum import EncodedEinsumDense
    res, expected, loaded = round_trip("transformer", tmp_path, epochs=0)
    np.testing.assert_allclose(loaded, expected, atol=1e-4)
    artifact = load(tmp_path / "transformer.sham")
    layer = next(layer for layer in artifact.model.layers if layer.name == "attention")
    assert isinstance(layer, STORED["MultiHeadAttention"]) and layer.weights == []  # no kernel; biases in the bytes
    assert all(isinstance(sub, EncodedEinsumDense) for sub in projections(layer).values())
    entries = [entry for entry in artifact.manifest["compressed"] if entry.get("sublayer")]
    assert sorted(entry["sublayer"] for entry in entries) == ["attention_output", "key", "query", "value"]


def test_grouped_query_attention_runs_from_its_stored_matrices(tmp_path):
    from sham_core.artifact.attention import STORED, projections
    keras.utils.set_random_seed(0)
    x = keras.Input((6, 16))
    h = keras.layers.GroupQueryAttention(8, 4, 2, name="gqa")(x, x)
    model = compiled(keras.Model(x, keras.layers.Dense(3)(keras.layers.Flatten()(h))))
    inputs, labels = data(model)
    res = compress(model, "pr_uq", "all", {"p": 50, "k": 8}, train=(inputs, labels), epochs=1, batch_size=16)
    save(res, tmp_path / "gqa.sham")
    artifact = load(tmp_path / "gqa.sham")
    layer = next(layer for layer in artifact.model.layers if layer.name == "gqa")
    assert isinstance(layer, STORED["GroupQueryAttention"]) and layer.weights == []
    assert sorted(projections(layer)) == ["attention_output", "key", "query", "value"]
    np.testing.assert_allclose(artifact.predict(inputs), ops.convert_to_numpy(res.model(inputs)), atol=1e-4)


def big_attention_file(path, width):
    """A .sham of one self-attention layer (16 heads of 64) over ``width`` features, pruned at p = 99."""
    x = keras.Input((2, width))
    model = keras.Model(x, keras.layers.MultiHeadAttention(16, 64, name="attention")(x, x))
    model.compile("sgd", "mse")
    save(compress(model, "pr", "dense", {"p": 99}), path, formats={"dense": "csc"})
    np.save(path.with_suffix(".npy"), np.ones((4, 2, width), np.float32))


def test_attention_from_bytes_never_holds_its_dense_kernels(tmp_path):
    from sham_core.encoding.latency import model_peak_memory_mb
    big_attention_file(tmp_path / "big.sham", 4096)
    big_attention_file(tmp_path / "small.sham", 64)
    dense_mb = 4 * 4096 * 16 * 64 * 4 / 2**20  # 64 MiB of kernels
    big = model_peak_memory_mb("artifact", tmp_path / "big.sham", tmp_path / "big.npy")
    small = model_peak_memory_mb("artifact", tmp_path / "small.sham", tmp_path / "small.npy")
    assert big - small < dense_mb / 4, (big, small)
