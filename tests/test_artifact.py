"""The model file: save/load round trips, predictions from the stored bytes, size accounting, bad files."""
import json
import struct
import zlib

import keras
import numpy as np
import pytest
from keras import ops

from keras_models import classification_data, regression_data, small_cnn, two_input_regressor
from sham_core.artifact import VERSION, ArtifactError, load, save, sizes
from sham_core.compression import compress
from sham_core.encoding import EncodedDense
from sham_core.encoding.sizes import encode_parts
from sham_core.formats import smallest
from sham_core.formats import DIRECT, as_matrix

RUNS = {"pr_cws": ("dense", "pr_cws", {"p": 50, "k": 4}),
        "cws_conv": ("conv", "cws", {"k": 4}),
        "slr": ("dense", "slr", {"q": 2, "sr": 0.5, "rr": 0.5}),
        "both": ("both", {"conv": "cws", "dense": "pr_cws"}, {"conv": {"k": 4}, "dense": {"p": 50, "k": 4}}),
        "two_input": ("both", "pr_uq", {"p": 50, "k": 4})}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """name -> (CompressionResult, test inputs, path, sizes) of each run, saved once."""
    folder = tmp_path_factory.mktemp("artifacts")
    runs = {}
    for name, (layers, method, params) in RUNS.items():
        if name == "two_input":
            model, data = two_input_regressor(), regression_data()
            method, params = {"conv": method, "dense": method}, {"conv": params, "dense": params}
        else:
            model, data = small_cnn(), classification_data()
        res = compress(model, method, layers, params, test=data, seed=1)
        path = folder / f"{name}.sham"
        runs[name] = res, data[0], path, save(res, path, params=params)
    return runs


def decoded_outputs(res, x):
    return ops.convert_to_numpy(res.model(x, training=False))


@pytest.mark.parametrize("name", RUNS)
def test_predictions_equal_the_decoded_model(saved, name):
    res, x, path, _ = saved[name]
    ours, decoded = load(path).predict(x, batch_size=40), decoded_outputs(res, x)
    if name == "two_input":
        np.testing.assert_allclose(ours, decoded, rtol=1e-5, atol=1e-7)
    else:
        assert np.array_equal(ours.argmax(axis=1), decoded.argmax(axis=1))
        np.testing.assert_allclose(ours, decoded, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", RUNS)
def test_dense_layers_run_from_their_encodings_and_the_rest_is_exact(saved, name):
    res, _, path, _ = saved[name]
    art = load(path)
    records = {record.name: record for record in res.layers}
    for layer in art.model.layers:
        record = records.get(layer.name)
        if record is not None and record.kind == "dense":
            assert isinstance(layer, EncodedDense) and not layer.weights
            assert [enc.name for enc in layer.encodings] == next(
                entry["formats"] for entry in art.manifest["compressed"] if entry["layer"] == layer.name)
            continue
        original = res.model.get_layer(layer.name).get_weights()
        assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), original, strict=True))


def test_manifest_records_the_run(saved):
    res, _, path, _ = saved["both"]
    manifest = load(path).manifest
    assert manifest["method"] == {"conv": "cws", "dense": "pr_cws"} and manifest["layers"] == "both"
    assert manifest["params"] == RUNS["both"][2]
    assert manifest["metrics"] == {"metric": res.metric, "before": res.before,
                                   "after_compress": res.after_compress, "after_retrain": res.after_retrain}
    assert set(manifest["versions"]) >= {"sham_core", "keras", "backend", "backend_version", "numpy"}
    assert manifest["versions"]["keras"] == keras.__version__
    formats = {entry["layer"]: entry["formats"] for entry in manifest["compressed"]}
    assert all(formats[name][0] in DIRECT for name in ("conv1", "conv2", "fc1", "out"))


@pytest.mark.parametrize("name", ["slr", "both"])
def test_stored_bytes_are_the_smallest_direct_format(saved, name):
    res, _, path, _ = saved[name]
    entries = {entry["layer"]: entry for entry in load(path).manifest["compressed"]}
    for record in res.layers:
        parts = list(record.factors) if record.factors is not None else [as_matrix(record.kernel)]
        label, nbytes = smallest(encode_parts(parts), DIRECT)
        entry = entries[record.name]
        assert entry["bytes"] == nbytes and "+".join(dict.fromkeys(entry["formats"])) == label
        assert entry["matrices"] == [list(part.shape) for part in parts]


def test_file_size_is_psi_plus_the_uncompressed_remainder(saved):
    res, _, path, stats = saved["pr_cws"]
    manifest = load(path).manifest
    kernels = sum(record.kernel.size for record in res.layers)
    assert stats == sizes(path)
    assert stats["compressed"] == manifest["bytes"]["compressed"] == round(stats["psi"] * 4 * kernels)
    assert stats["uncompressed"] == 4 * (res.model.count_params() - kernels)
    assert stats["architecture"] == len(res.model.to_json().encode())
    assert stats["manifest"] == len(json.dumps(manifest, separators=(",", ":")).encode())
    parts = ("compressed", "uncompressed", "architecture", "manifest", "framing")
    assert sum(stats[part] for part in parts) == stats["file"] == path.stat().st_size
    assert stats["framing"] < 32 + 8 * 20
    assert stats["file_psi"] == stats["file"] / (4 * res.model.count_params())


def test_formats_can_be_overridden(saved, tmp_path):
    res, x, _, _ = saved["both"]
    save(res, tmp_path / "m.sham", formats={"dense": "csr", "conv1": "csc"})
    art = load(tmp_path / "m.sham")
    formats = {entry["layer"]: entry["formats"] for entry in art.manifest["compressed"]}
    assert formats == {"conv1": ["csc"], "conv2": ["im"], "fc1": ["csr"], "out": ["csr"]}
    assert np.array_equal(art.predict(x).argmax(axis=1), decoded_outputs(res, x).argmax(axis=1))


def test_save_takes_a_model_and_layers_pair(saved, tmp_path):
    res, x, _, _ = saved["pr_cws"]
    save((res.model, res.layers), tmp_path / "m.sham")
    art = load(tmp_path / "m.sham")
    assert art.manifest["metrics"] is None and art.manifest["method"] == "pr_cws"
    np.testing.assert_allclose(art.predict(x), decoded_outputs(res, x), rtol=1e-4, atol=1e-6)


def test_predict_names_the_inputs_it_takes(saved):
    art = load(saved["two_input"][2])
    with pytest.raises(ValueError, match=r"takes 2 input\(s\) of shape \(None, 12, 4\), \(None, 16, 4\)"):
        art.predict(np.zeros((3, 12, 4), np.float32))


def test_save_rejects_bad_requests(saved, tmp_path):
    res = saved["pr_cws"][0]
    with pytest.raises(ValueError, match="format 'zip' cannot compute x @ W"):
        save(res, tmp_path / "m.sham", formats={"dense": "zip"})
    with pytest.raises(ValueError, match="format 'gzip' cannot compute x @ W"):
        save(res, tmp_path / "m.sham", formats={"dense": "gzip"})
    with pytest.raises(ValueError, match="neither a compressed layer nor a kind"):
        save(res, tmp_path / "m.sham", formats={"fc9": "ham"})
    with pytest.raises(TypeError, match="CompressionResult"):
        save(res.model, tmp_path / "m.sham")
    with pytest.raises(ValueError, match="has no kernel of that name and shape in the model"):
        save((two_input_regressor(), res.layers), tmp_path / "m.sham")


def rewritten(path, tmp_path, edit):
    """A copy of the file at ``path`` with ``edit`` applied to its bytes."""
    out = tmp_path / "bad.sham"
    out.write_bytes(edit(bytearray(path.read_bytes())))
    return out


def flip(buf, at):
    buf[at] ^= 0x01
    return bytes(buf)


def with_version(buf, version):
    """The bytes with another format version and a valid CRC32."""
    buf[8:10] = struct.pack("<H", version)
    return bytes(buf[:-4]) + struct.pack("<I", zlib.crc32(bytes(buf[:-4])))


@pytest.mark.parametrize("edit, message", [
    (lambda b: flip(b, len(b) // 2), "corrupted: CRC32 mismatch"),
    (lambda b: flip(b, len(b) - 1), "corrupted: CRC32 mismatch"),
    (lambda b: flip(b, 20), "corrupted: CRC32 mismatch"),
    (lambda b: bytes(b[:-1]), "truncated"),
    (lambda b: bytes(b[:len(b) // 2]), "truncated"),
    (lambda b: bytes(b[:12]), "truncated"),
    (lambda b: bytes(b) + b"\0", "corrupted"),
    (lambda b: b"PK\x03\x04" + bytes(b[4:]), "not a sham_core model file"),
    (lambda b: b"", "not a sham_core model file"),
    (lambda b: with_version(b, VERSION + 1),
     f"written by format version {VERSION + 1}; this sham_core reads up to {VERSION}: upgrade sham_core"),
    (lambda b: with_version(b, 0), "invalid format version 0"),
])
def test_bad_files_raise_a_clear_error(saved, tmp_path, edit, message):
    bad = rewritten(saved["pr_cws"][2], tmp_path, edit)
    with pytest.raises(ArtifactError, match=message) as error:
        load(bad)
    assert isinstance(error.value, ValueError) and str(bad) in str(error.value)


def test_a_keras_file_is_foreign(tmp_path):
    model = small_cnn()
    model.save(tmp_path / "model.keras")
    with pytest.raises(ArtifactError, match="not a sham_core model file"):
        sizes(tmp_path / "model.keras")
