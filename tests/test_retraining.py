"""Retraining moves the shared centroids by the cumulative-gradient rule and lowers the loss."""
import keras
import numpy as np
import pytest

from sham_core.compression import compress


def linear_model(lr):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, use_bias=False, name="fc")])
    model.compile(keras.optimizers.SGD(lr), "mse")
    return model


@pytest.mark.parametrize("method,params", [("cws", {"k": 3}), ("pr_uq", {"p": 40, "k": 3})])
def test_one_sgd_step_moves_each_centroid_by_lr_cumulative_times_summed_gradient(method, params):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 6)).astype("float32"), rng.normal(size=(10, 4)).astype("float32")
    model, lr_cumulative = linear_model(lr=0.5), 0.05
    start = compress(model, method, "dense", params).layers[0]
    res = compress(model, method, "dense", params, train=(x, y), epochs=1, batch_size=10, lr_cumulative=lr_cumulative,
                   keep_best=False)
    gradient = 2 / y.size * x.T @ (x @ start.kernel - y)
    summed = np.bincount(start.indices.ravel(), weights=gradient.ravel(), minlength=start.codebook.size)
    expected = start.codebook - lr_cumulative * summed
    expected[0] = 0
    np.testing.assert_allclose(res.layers[0].codebook, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(res.layers[0].indices, start.indices)


def test_pruned_weights_follow_the_optimizer_and_stay_zero():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(10, 6)).astype("float32"), rng.normal(size=(10, 4)).astype("float32")
    model = linear_model(lr=0.5)
    start = compress(model, "pr", "dense", {"p": 50}).layers[0]
    res = compress(model, "pr", "dense", {"p": 50}, train=(x, y), epochs=1, batch_size=10, keep_best=False)
    gradient = 2 / y.size * x.T @ (x @ start.kernel - y)
    np.testing.assert_allclose(res.layers[0].kernel, (start.kernel - 0.5 * gradient) * start.mask, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method,params", [("cws", {"k": 4}), ("pr_ecsq", {"p": 50, "k": 3}), ("pr", {"p": 80})])
def test_retraining_lowers_the_loss_on_a_learnable_task(method, params):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(8, 1))).astype("float32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu", name="h"),
                              keras.layers.Dense(1, name="out")])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    res = compress(model, method, "dense", params, train=(x, y), test=(x, y), epochs=10, batch_size=32,
                   lr_cumulative=0.01)
    assert res.metric == "mse"
    assert res.after_retrain < 0.9 * res.after_compress
    assert res.history["test"][res.history["kept_epoch"] - 1] == pytest.approx(res.after_retrain, rel=1e-4)


def test_patience_stops_early_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 6)).astype("float32"), rng.normal(size=(64, 4)).astype("float32")
    model = linear_model(lr=5.0)  # diverges: the test loss never improves on the first epoch
    res = compress(model, "cws", "dense", {"k": 3}, train=(x, y), test=(x, y), epochs=20, batch_size=64,
                   lr_cumulative=5.0, patience=2, keep_best=False)
    assert len(res.history["test"]) == 3
    assert res.after_retrain == pytest.approx(res.history["test"][0], rel=1e-4)


def test_keep_best_needs_enough_training_data_to_hold_some_out():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 6)).astype("float32"), rng.normal(size=(4, 4)).astype("float32")
    with pytest.raises(ValueError, match="no sample of 4; .*keep_best=False and patience=0"):
        compress(linear_model(lr=0.1), "cws", "dense", {"k": 3}, train=(x, y), epochs=1, batch_size=4)
    res = compress(linear_model(lr=0.1), "cws", "dense", {"k": 3}, train=(x, y), epochs=1, batch_size=4,
                   keep_best=False)
    assert res.history["validation"] is None and res.history["kept_epoch"] == 1 and not res.history["diverged"]
