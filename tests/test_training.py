"""Training recipes: settings, optimizers, lr steps, augmentation, a seeded validation split, early stopping.

Also ``python -m sham_core.gpu_check`` under the torch backend, without TensorFlow, scikit-learn or pandas.
"""
import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from requirements import skip_unless
from sham_core.training import fit as training
from sham_core.data import hold_out
from sham_core.models import build_model

SETTINGS = {"epochs": 2, "batch_size": 32, "learning_rate": 0.01}


def digits(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    return x, (x[:, :4].mean(axis=(1, 2, 3)) > 0.5).astype(np.int64)


def affinities(n=80, seed=0):
    rng = np.random.default_rng(seed)
    smiles, protein = rng.integers(1, 65, (n, 40)).astype(np.int32), rng.integers(1, 26, (n, 30)).astype(np.int32)
    return [smiles, protein], (smiles[:, 0] / 64 + protein[:, 0] / 25).astype(np.float32)


def test_defaults_and_conditional_validation_fraction():
    s = training.resolve(SETTINGS)
    assert (s["optimizer"], s["momentum"], s["nesterov"]) == ("adam", 0.9, True)
    assert (s["lr_schedule"], s["augment"]) == ([], False)
    assert (s["patience"], s["validation_fraction"]) == (0, 0.0)
    assert training.resolve(dict(SETTINGS, patience=15))["validation_fraction"] == 0.1


@pytest.mark.parametrize("change, message", [
    ({"optimizer": "rmsprop"}, "'adam' or 'sgd'"),
    ({"lr_schedule": [[160, 0.001], [80, 0.01]]}, "increasing epochs"),
    ({"lr_schedule": [[0, 0.01]]}, "increasing epochs"),
    ({"lr_schedule": [[80, -1]]}, "lr > 0"),
    ({"patience": 5, "validation_fraction": 0}, "needs validation_fraction > 0"),
    ({"validation_fraction": 1.0}, r"\[0, 1\)"),
])
def test_setting_errors(change, message):
    with pytest.raises(ValueError, match=message):
        training.resolve(dict(SETTINGS, **change))


def test_missing_settings():
    with pytest.raises(ValueError, match="need epochs, learning_rate"):
        training.resolve({"batch_size": 8})


def test_optimizers():
    sgd = training.make_optimizer(dict(SETTINGS, optimizer="sgd", learning_rate=0.1))
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.nesterov and sgd.momentum == 0.9
    assert float(sgd.learning_rate) == pytest.approx(0.1)
    assert not training.make_optimizer(dict(SETTINGS, optimizer="sgd", nesterov=False, momentum=0.5)).nesterov
    assert isinstance(training.make_optimizer(SETTINGS), keras.optimizers.Adam)


def test_step_schedule():
    s = training.resolve(dict(SETTINGS, learning_rate=0.1, lr_schedule=[[80, 0.01], [160, 0.001]]))
    assert [training.step_rate(s, e) for e in (0, 79, 80, 159, 160, 199)] == [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]


def test_flip_and_shift():
    ones = np.ones((64, 8, 8, 1), np.float32)
    moved = training.flip_and_shift(ones, np.random.default_rng(0))
    assert moved.shape == ones.shape and set(np.unique(moved)) <= {0.0, 1.0}
    assert moved.sum(axis=(1, 2, 3)).min() >= 49  # at most one pixel (1/8 of 8) each way, zero-filled
    ramp = np.broadcast_to(np.arange(8, dtype=np.float32)[None, None, :, None], (64, 8, 8, 1))
    flipped = training.flip_and_shift(ramp, np.random.default_rng(1), shift=0)
    same = (flipped == ramp).all(axis=(1, 2, 3))
    assert same.any() and (~same).any() and (flipped[~same] == ramp[:1, :, ::-1]).all()
    again = training.flip_and_shift(ones, np.random.default_rng(0))
    np.testing.assert_array_equal(moved, again)


def test_hold_out_is_seeded_and_disjoint():
    x, y = affinities(50)
    (fit_x, fit_y), (val_x, val_y) = hold_out((x, y), 0.1, seed=3)
    assert len(val_y) == 5 and len(fit_y) == 45 and len(fit_x[1]) == 45
    rows = {tuple(r) for r in fit_x[0]} | {tuple(r) for r in val_x[0]}
    assert len(rows) == 50
    np.testing.assert_array_equal(hold_out((x, y), 0.1, seed=3)[1][1], val_y)
    with pytest.raises(ValueError, match="change validation_fraction"):
        hold_out((x, y), 0.001, seed=3)


def test_classification_recipe_with_steps_and_augmentation():
    data = digits()
    model = build_model("vgg_mini", [[8, 8, 1]], "classification", 2)
    settings = dict(SETTINGS, optimizer="sgd", lr_schedule=[[1, 0.001]], augment=True)
    training.compile_for(model, "classification", settings)
    result = training.train_baseline(model, "classification", data, data, settings, seed=1)
    assert result["metric"] == "accuracy" and result["epochs"] == 2 and "ci_test" not in result
    assert 0 <= result["test"] <= 1 and 0 <= result["train"] <= 1 and result["seconds"] > 0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.001)


def test_regression_recipe_stops_early_on_training_data_only(monkeypatch):
    train, test = affinities(80), affinities(30, seed=1)
    model = build_model("deepdta", [[40], [30]], "regression", None)
    settings = dict(SETTINGS, epochs=40, learning_rate=0.001, patience=1)
    training.compile_for(model, "regression", settings)
    seen = {}
    fit = model.fit

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", spy)
    result = training.train_baseline(model, "regression", train, test, settings, seed=1)
    validation_smiles = seen["validation_data"][0][0]
    assert len(validation_smiles) == 8 and all(row.tolist() in train[0][0].tolist() for row in validation_smiles)
    stopper, = [c for c in seen["callbacks"] if isinstance(c, keras.callbacks.EarlyStopping)]
    assert stopper.monitor == "val_loss" and stopper.restore_best_weights
    assert result["metric"] == "mse" and 1 <= result["epochs"] < 40
    assert 0 <= result["ci_test"] <= 1


def test_augment_needs_images():
    model = build_model("deepdta", [[40], [30]], "regression", None)
    settings = dict(SETTINGS, augment=True)
    training.compile_for(model, "regression", settings)
    with pytest.raises(ValueError, match="set augment: false"):
        training.train_baseline(model, "regression", affinities(), affinities(), settings, seed=1)


def test_compile_for_unknown_task():
    with pytest.raises(ValueError, match="task must be one of classification, regression"):
        training.compile_for(build_model("vgg_mini", [[8, 8, 1]], "classification", 2), "ranking", SETTINGS)


def test_load_model_file_compiles_an_uncompiled_model(tmp_path):
    path = tmp_path / "mine.keras"
    build_model("vgg_mini", [[8, 8, 1]], "classification", 2).save(path)
    model = training.load_model_file(path, "classification", dict(SETTINGS, optimizer="sgd"))
    assert model.compiled and isinstance(model.optimizer, keras.optimizers.SGD)


# A GPU machine may have torch but no TensorFlow, scikit-learn or pandas: hide them (None in sys.modules).
GPU_CHECK = """
import sys
sys.modules.update(dict.fromkeys(("tensorflow", "sklearn", "pandas")))
from sham_core import gpu_check
sys.exit(gpu_check.main(["--steps", "2", "--batch", "32"]))
"""


def test_gpu_check_runs_under_torch_with_light_dependencies_only():
    skip_unless(importlib.util.find_spec("torch") is not None, "torch", "torch is not installed")
    run = subprocess.run([sys.executable, "-c", GPU_CHECK], env=dict(os.environ, KERAS_BACKEND="torch"),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert "backend torch" in run.stdout and "gpu_check passed" in run.stdout
    if "no accelerator" not in run.stdout:
        assert "GPU/CPU step-time ratio" in run.stdout
