"""Any Keras model, without surprises: each shape compresses, saves, loads and predicts; what was not
compressed is said; quantized and LoRA layers and custom layers get a clear outcome."""
import json
import os
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest
from keras import ops
from snakemake.utils import validate

import any_models
from any_models import MODELS, data, functional, lstm_attention, two_inputs
from sham_core.__main__ import main
from sham_core.aggregate import best_table, recommendation
from sham_core.aggregate.best_io import best_markdown
from sham_core.artifact import ArtifactError, load, save
from sham_core.compression import compress
from sham_core.encoding.inference_cost import peak_memory
from sham_core.common.loading import MissingClassError
from sham_core.aggregate.summary import baseline_row, run_row
from sham_core.training.fit import load_model_file
from test_jobs import SCHEMA, compressed, prepared
from test_summary import encoding

DENSE = ("pr_uq", {"p": 50, "k": 4})


def outputs(model, x):
    return ops.convert_to_numpy(model(x, training=False))


@pytest.mark.parametrize("epochs", [0, 1])
@pytest.mark.parametrize("name", MODELS)
def test_each_model_shape_compresses_saves_loads_and_predicts_within_1e4(name, epochs, tmp_path):
    model = MODELS[name]()
    x, y = data(model)
    method, params = DENSE
    res = compress(model, method, "dense", params, train=(x, y), test=(x, y), epochs=epochs, batch_size=16)
    save(res, tmp_path / "model.sham")
    np.testing.assert_allclose(load(tmp_path / "model.sham").predict(x), outputs(res.model, x), atol=1e-4)
    assert len(res.history["train"]) == epochs


@pytest.mark.parametrize("build", [lambda: functional(None), lambda: functional("features"),
                                   lambda: two_inputs((None, None)), lambda: two_inputs(("left", None)),
                                   lambda: two_inputs(("left", "right"))],
                         ids=["unnamed", "named", "two_unnamed", "one_named", "two_named"])
def test_in_memory_functional_models_compress_whatever_their_inputs_are_called(build):
    model = build()
    x, y = data(model)
    res = compress(model, "pr", "dense", {"p": 50}, train=(x, y), test=(x, y), epochs=1, batch_size=16)
    dense = [layer for layer in res.model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.name for layer in dense] == [record.name for record in res.layers]
    for layer, record in zip(dense, res.layers):
        np.testing.assert_array_equal(ops.convert_to_numpy(layer.kernel), record.kernel)


def test_the_dense_kernels_inside_a_custom_layer_are_found_by_their_path():
    res = compress(any_models.custom(), "pr", "dense", {"p": 50})
    cover = res.coverage
    assert cover["skipped_layers"] == [] and cover["kernel_fraction"] == 1.0
    assert cover["kernel_params"] == cover["compressed_params"] == 6 * 12 + 144 + 12 * 3
    assert sum(record.name.startswith("block/") for record in res.layers) == 1


def test_nested_layers_are_listed_by_their_path():
    x = keras.Input((6,))
    inner = keras.Sequential([keras.layers.Embedding(10, 4, name="emb"), keras.layers.Flatten()], name="inner")
    model = any_models.compiled(keras.Model(x, keras.layers.Dense(3, name="out")(inner(x))))
    cover = compress(model, "pr", "dense", {"p": 50}).coverage
    assert cover["skipped_layers"] == [{"path": "inner/emb", "class": "Embedding", "params": 40}]
    assert cover["kernel_fraction"] == pytest.approx(72 / 112)
    res = compress(model, "pr", "all", {"p": 50})
    assert [record.name for record in res.layers] == ["inner/emb", "out"] and res.coverage["kernel_fraction"] == 1.0


def lstm_attention_experiment(folder, **experiment):
    """The LSTM + attention model saved with 60 samples as your own model and npz, baseline job done."""
    model = lstm_attention()
    x, y = data(model, 60)
    np.savez(folder / "mine.npz", x_train=x[:40], y_train=y[:40], x_test=x[40:], y_test=y[40:])
    model.save(folder / "mine.keras")
    return prepared(folder, folder / "mine.npz", folder / "mine.keras", "classification", **experiment)


def test_an_experiments_layers_narrow_its_runs_by_kernel_name(tmp_path):
    experiment, paths = lstm_attention_experiment(tmp_path, retrain={"epochs": 0}, layers={"exclude": "^attention/"})
    metrics = compressed(experiment, paths, "pr", {"p": 50})
    assert [layer["name"] for layer in metrics["layers"]] == ["head", "out"]
    assert [layer["path"] for layer in metrics["skipped_layers"]] == ["lstm", "attention"]


def test_dense_takes_the_attention_projections_and_leaves_the_lstm_said_in_the_run_tables(tmp_path):
    experiment, paths = lstm_attention_experiment(tmp_path, retrain={"epochs": 1, "batch_size": 16})
    metrics = compressed(experiment, paths, "pr", {"p": 50})
    kernels = 4 * 32 + 8 * 32 + 4 * 64 + 8 * 8 + 8 * 3  # LSTM kernel + recurrent; attention q, k, v, out; Dense
    assert metrics["kernel_params"] == kernels and metrics["compressed_params"] == 4 * 64 + 8 * 8 + 8 * 3
    assert metrics["kernel_fraction"] == pytest.approx(344 / kernels)
    assert [(layer["path"], layer["class"]) for layer in metrics["skipped_layers"]] == [("lstm", "LSTM")]

    row = run_row(metrics, encoding(), (1.0, 10.0), (1.0, 10.0))
    assert row["kernel_fraction"] == pytest.approx(344 / kernels)
    assert row["skipped_layers"] == "lstm (LSTM, 384)"
    base = baseline_row("mine", {"task": "classification", "metric": "accuracy", "test": row["baseline"],
                                 "epochs": 0, "seconds": 0.0}, encoding(), "mine", "mine")
    summary = pd.DataFrame([base, row])
    best = best_table(summary)
    table = best_markdown(best)
    assert "kernels compressed" in table and "47.3 %" in table
    assert "Not compressed with layers dense: lstm (LSTM, 384)" in table
    text = recommendation(summary, best)
    assert "psi_network 0.3000" in text
    assert "**Warning: the compressed layers hold only 47.3 % of the model's kernel parameters" in text


def test_the_cli_prints_the_share_compressed_and_warns_under_half(tmp_path, capsys):
    model = lstm_attention()
    model.save(tmp_path / "m.keras")
    main(["compress", str(tmp_path / "m.keras"), "--method", "pr", "--p", "50", "-o", str(tmp_path / "m.sham")])
    out = capsys.readouterr()
    assert ("compressed 47.3 % of the model's 728 kernel parameters (kernels only: biases, normalization and "
            "non-trainable state excluded); left uncompressed: lstm (LSTM, 384)") in out.out
    assert "warning: the compressed layers hold under half of the kernel parameters" in out.err
    assert load(tmp_path / "m.sham").manifest["coverage"]["kernel_fraction"] == pytest.approx(344 / 728)


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_a_quantized_model_is_refused_naming_the_layer(mode):
    model = functional()
    model.quantize(mode)
    with pytest.raises(ValueError, match=rf"layer dense\S* \(Dense\) is {mode}-quantized .*compress the float model"):
        compress(model, "pr", "dense", {"p": 50})


def test_negative_epochs_are_refused():
    model = functional()
    with pytest.raises(ValueError, match="epochs must be 0 .* or more, got -1"):
        compress(model, "pr", "dense", {"p": 50}, train=data(model), epochs=-1)


def lora_model():
    """A functional model (input named, so that only LoRA is new) whose first Dense has LoRA and a nonzero adapter."""
    model = functional("features")
    layer = model.layers[1]
    layer.enable_lora(2, lora_alpha=4)
    rng = np.random.default_rng(0)
    layer.lora_kernel_b.assign(rng.normal(size=layer.lora_kernel_b.shape).astype("float32"))
    return model, layer


@pytest.mark.parametrize("epochs", [0, 1])
def test_lora_is_merged_into_the_kernel_before_compressing(epochs, tmp_path):
    model, layer = lora_model()
    merged = (ops.convert_to_numpy(layer._kernel) + 4 / 2 * ops.convert_to_numpy(layer.lora_kernel_a)
              @ ops.convert_to_numpy(layer.lora_kernel_b))
    x, y = data(model)
    res = compress(model, "pr", "dense", {"p": 0}, train=(x, y), test=(x, y), epochs=epochs, batch_size=16)
    copy = res.model.layers[1]
    assert not copy.lora_enabled and len(copy.weights) == 2
    if epochs == 0:
        np.testing.assert_allclose(res.layers[0].kernel, merged, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(outputs(res.model, x), outputs(model, x), atol=1e-5)
    assert res.coverage["kernel_fraction"] == 1.0
    save(res, tmp_path / "lora.sham")
    np.testing.assert_allclose(load(tmp_path / "lora.sham").predict(x), outputs(res.model, x), atol=1e-4)


def test_lora_inside_a_custom_layer_is_refused():
    model = any_models.custom()
    model.get_layer("block").dense.enable_lora(2)
    with pytest.raises(ValueError, match="inside the custom layer block has LoRA enabled.*merge it"):
        compress(model, "pr", "dense", {"p": 50})


@pytest.fixture
def layer_module(tmp_path, monkeypatch):
    """(name, folder) of a fresh module defining and registering a custom layer, not yet imported."""
    name = f"my_layers_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent('''
        import keras

        @keras.saving.register_keras_serializable(package="my_layers")
        class Doubler(keras.layers.Layer):
            def call(self, x):
                return 2 * x
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, tmp_path


def forget(module, monkeypatch):
    """As in a fresh process: the module not imported, its class not registered."""
    monkeypatch.delitem(sys.modules, module)
    monkeypatch.delitem(keras.saving.get_custom_objects(), "my_layers>Doubler")


def custom_model_file(module, folder):
    """A model using the module's Doubler, saved as .keras, with inputs as .npy."""
    import importlib
    doubler = importlib.import_module(module).Doubler
    x = keras.Input((6,))
    model = any_models.compiled(keras.Model(x, keras.layers.Dense(3)(doubler()(keras.layers.Dense(8)(x)))))
    model.save(folder / "custom.keras")
    np.save(folder / "x.npy", data(model)[0])
    return folder / "custom.keras", folder / "x.npy"


def test_custom_layers_need_their_module_and_the_cli_imports_it(layer_module, monkeypatch, capsys):
    module, folder = layer_module
    model_path, inputs = custom_model_file(module, folder)
    forget(module, monkeypatch)
    argv = ["compress", str(model_path), "--method", "pr", "--p", "50", "-o", str(folder / "c.sham")]
    with pytest.raises(SystemExit):
        main(argv)
    assert ("the model uses the class 'Doubler', which Keras cannot find; import the module that defines and "
            "registers it (@keras.saving.register_keras_serializable()) with --import MODULE"
            ) in capsys.readouterr().err
    main([*argv, "--import", module])
    capsys.readouterr()

    forget(module, monkeypatch)
    with pytest.raises(SystemExit):
        main(["predict", str(folder / "c.sham"), str(inputs)])
    assert "the model uses the class 'Doubler'" in capsys.readouterr().err
    with pytest.raises(ArtifactError, match="class 'Doubler'.*--import MODULE"):
        load(folder / "c.sham")
    main(["predict", str(folder / "c.sham"), str(inputs), "--import", module, "-o", str(folder / "p.npy")])
    assert np.load(folder / "p.npy").shape == (48, 3)
    with pytest.raises(SystemExit):
        main(["predict", str(folder / "c.sham"), str(inputs), "--import", "no_such_module_here"])
    assert "cannot import 'no_such_module_here' (named by --import MODULE)" in capsys.readouterr().err


def test_the_workflow_imports_an_experiments_modules_and_names_them_when_missing(layer_module, monkeypatch):
    module, folder = layer_module
    model_path, _ = custom_model_file(module, folder)
    forget(module, monkeypatch)
    with pytest.raises(MissingClassError, match="class 'Doubler'.*the experiment's imports: \\[MODULE\\]"):
        load_model_file(model_path, "classification", {})
    model = load_model_file(model_path, "classification", {}, [module])
    assert "Doubler" in [type(layer).__name__ for layer in model.layers]
    config = {"datasets": {"d": {"source": "npz", "path": "d.npz", "task": "classification"}},
              "experiments": [{"model": "mine", "dataset": "d", "model_file": "m.keras", "imports": [module]}]}
    validate(config, SCHEMA)
    config["experiments"][0]["imports"] = ["not a module"]
    with pytest.raises(Exception, match="does not match"):
        validate(config, SCHEMA)


def test_the_workflow_compresses_a_custom_layer_model_with_its_imports(layer_module, monkeypatch):
    module, folder = layer_module
    model_path, _ = custom_model_file(module, folder)
    x, y = data(keras.saving.load_model(model_path), 60)
    np.savez(folder / "d.npz", x_train=x[:40], y_train=y[:40], x_test=x[40:], y_test=y[40:])
    forget(module, monkeypatch)
    experiment, paths = prepared(folder, folder / "d.npz", model_path, "classification", imports=[module],
                                 retrain={"epochs": 0})
    forget(module, monkeypatch)
    metrics = compressed(experiment, paths, "pr", {"p": 50})
    assert metrics["status"] == "ok" and metrics["kernel_fraction"] == 1.0
    assert json.loads((paths["metrics"]).read_text())["metric"] == "accuracy"
    # The encode stage's memory child, a fresh process, needs the imports too.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    artifact = next(folder.glob("runs/**/model.sham"))
    assert peak_memory("artifact", artifact, paths["data"], [module])["peak_mb"] > 0
    with pytest.raises(RuntimeError, match="Doubler"):
        peak_memory("artifact", artifact, paths["data"])
