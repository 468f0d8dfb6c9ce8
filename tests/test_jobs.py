"""The workflow's jobs on a model you bring: its metric and direction, and retraining that never makes a run worse."""
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from snakemake.utils import validate

from keras_models import classification_data, diabetes_model_file
from sham_core.compression.job import compress_job
from sham_core.data.job import data_job
from sham_core.training.job import train_job
from sham_core.workflow.config import Run

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = str(ROOT / "config" / "schema.yaml")
OUTPUTS = {"model": "compressed.keras", "npz": "compressed.npz", "metrics": "metrics.json", "artifact": "model.sham",
           "provenance": "provenance.json"}


def with_defaults(task, **experiment):
    """One experiment entry as the workflow hands it to a job: the schema's defaults filled in."""
    config = {"datasets": {"mine": {"source": "npz", "path": "mine.npz", "task": task}},
              "experiments": [{"model": "mine", "dataset": "mine", **experiment}]}
    validate(config, SCHEMA)
    return config["experiments"][0], config["datasets"]["mine"]


def prepared(folder, npz, model_path, task, **experiment):
    """data_job and train_job on your own npz and model file; returns the experiment and the paths."""
    experiment, dataset = with_defaults(task, model_file=str(model_path), **experiment)
    data_job("mine", dict(dataset, path=str(npz)), 1, folder / "data")
    paths = {"data": folder / "data" / "data.npz", "meta": folder / "data" / "meta.json",
             "model": folder / "baseline.keras", "metrics": folder / "metrics.json"}
    train_job(experiment, paths["data"], paths["meta"], 1, paths["model"], paths["metrics"])
    return experiment, paths


def compressed(experiment, paths, method, params):
    """metrics.json of one compress_job run."""
    run = Run("mine", "dense", method, params)
    folder = paths["model"].parent / "runs" / run.path
    compress_job(run, experiment, paths["model"], paths["data"], paths["meta"],
                 {key: str(folder / name) for key, name in OUTPUTS.items()})
    return json.loads((folder / "metrics.json").read_text())


def saved_classifier(folder, **compile_args):
    """A small classifier on 8x8 images with its data npz, compiled with ``compile_args``."""
    x, y = classification_data(120)
    np.savez(folder / "mine.npz", x_train=x[:90], y_train=y[:90], x_test=x[90:], y_test=y[90:])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", **compile_args)
    model.fit(x[:90], y[:90], epochs=3, verbose=0)
    model.save(folder / "mine.keras")
    return folder / "mine.npz", folder / "mine.keras"


def test_a_classifier_compiled_without_metrics_is_scored_on_accuracy_higher_being_better(tmp_path):
    npz, model = saved_classifier(tmp_path)
    _, paths = prepared(tmp_path, npz, model, "classification")
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["metric"] == "accuracy" and 0 <= metrics["test"] <= 1
    assert metrics["higher_is_better"] is True


def saved_regressor(folder, **compile_args):
    """A small regressor with its data npz, compiled with ``compile_args``."""
    rng = np.random.default_rng(0)
    x = rng.random((120, 6), dtype=np.float32)
    y = (x.sum(axis=1, keepdims=True) - 3).astype(np.float32)
    np.savez(folder / "mine.npz", x_train=x[:90], y_train=y[:90], x_test=x[90:], y_test=y[90:])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile("adam", **compile_args)
    model.fit(x[:90], y[:90], epochs=1, verbose=0)
    model.save(folder / "mine.keras")
    return folder / "mine.npz", folder / "mine.keras"


@pytest.mark.parametrize("loss,name", [("mae", "mae"), (keras.losses.Huber(), "huber"), ("mse", "mse")])
def test_a_regressor_compiled_without_metrics_is_scored_on_its_loss_named_as_it_is(tmp_path, loss, name):
    npz, model = saved_regressor(tmp_path, loss=loss)
    _, paths = prepared(tmp_path, npz, model, "regression")
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["metric"] == name and metrics["higher_is_better"] is False


def test_a_metric_of_unknown_direction_needs_higher_is_better(tmp_path):
    npz, model = saved_regressor(tmp_path, loss="mse", metrics=["cosine_similarity"])
    with pytest.raises(ValueError, match="cosine_similarity.*set higher_is_better: true or false"):
        prepared(tmp_path, npz, model, "regression")
    _, paths = prepared(tmp_path, npz, model, "regression", higher_is_better=True)
    metrics = json.loads(paths["metrics"].read_text())
    assert metrics["metric"] == "cosine_similarity" and metrics["higher_is_better"] is True


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory):
    """The bring-your-own Dense regressor on sklearn's diabetes (compiled with Adam), data and baseline prepared."""
    folder = tmp_path_factory.mktemp("diabetes")
    npz, model = diabetes_model_file(folder)
    return prepared(folder, npz, model, "regression", retrain={"epochs": 3})


@pytest.mark.parametrize("method,params", [("uq", {"k": 16}), ("pr", {"p": 50}), ("cws", {"k": 4})])
def test_retraining_a_model_you_bring_never_ends_worse_than_not_retraining(diabetes, method, params):
    experiment, paths = diabetes
    metrics = compressed(experiment, paths, method, params)
    assert metrics["after_retrain"] <= 1.2 * metrics["after_compress"], metrics["history"]
    validation = metrics["history"]["validation"]
    assert validation[metrics["kept_epoch"]] <= validation[0] and metrics["diverged"] is None
    assert metrics["metric"] == "mse" and metrics["higher_is_better"] is False
    assert metrics["optimizer"] == "Adam lr 0.001"  # the model's own Adam (lr 0.01) at a tenth of its rate


def test_the_old_default_sgd_diverges_and_keep_best_keeps_the_compressed_model(diabetes):
    experiment, paths = diabetes
    sgd = dict(experiment, retrain=dict(experiment["retrain"], optimizer="sgd"))
    kept = compressed(sgd, paths, "uq", {"k": 16})
    assert kept["history"]["diverged"].startswith("epoch 1: constant outputs") and kept["diverged"] is None
    assert kept["kept_epoch"] == 0 and kept["after_retrain"] == pytest.approx(kept["after_compress"], rel=1e-6)
    last = compressed(dict(sgd, retrain=dict(sgd["retrain"], keep_best=False)), paths, "pr", {"p": 50})
    assert last["diverged"].startswith("epoch 1: constant outputs") and last["kept_epoch"] == 1
    assert last["after_retrain"] > 5 * last["after_compress"]
