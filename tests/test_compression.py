"""compress(): every method x layer selection on tiny Keras models, invariants, errors."""
import keras
import numpy as np
import pytest

from invariants import check_result, kernels, weights
from keras_models import PARAMS, classification_data, regression_data, small_cnn, two_input_regressor
from sham_core.compression import METHODS, compress

DENSE_ONLY = {"slr"}


@pytest.fixture(scope="module")
def cnn():
    return small_cnn()


@pytest.fixture(scope="module")
def cnn_data():
    return classification_data()


def _run(model, data, layers, method_of, params_of, epochs=1, **kwargs):
    before = weights(model)
    if layers == "both":
        method, params = method_of, params_of
    else:
        method, params = method_of[layers], params_of[layers]
    res = compress(model, method, layers, params, train=data, test=data, epochs=epochs, batch_size=32, **kwargs)
    check_result(model, before, res, method_of, params_of)
    return res


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("layers", ["dense", "conv"])
def test_each_method_on_one_layer_kind(cnn, cnn_data, method, layers):
    if layers == "conv" and method in DENSE_ONLY:
        pytest.skip("slr factorizes dense kernels only")
    res = _run(cnn, cnn_data, layers, {layers: method}, {layers: PARAMS[method]})
    assert {record.kind for record in res.layers} == {layers}
    epochs_run = 0 if method == "slr" else 1  # slr is not retrained
    assert len(res.history["train"]) == len(res.history["test"]) == epochs_run
    assert all(0 <= v <= 1 for v in (res.before, res.after_compress, res.after_retrain))


@pytest.mark.parametrize("conv_method,dense_method", [("cws", "pr_uq"), ("pr", "slr"), ("ecsq", "pws"),
                                                      ("uq", "pr_ecsq"), ("pr_pws", "cws"), ("pr_cws", "pr")])
def test_both_takes_one_method_per_kind(cnn, cnn_data, conv_method, dense_method):
    method_of = {"conv": conv_method, "dense": dense_method}
    params_of = {"conv": PARAMS[conv_method], "dense": PARAMS[dense_method]}
    res = _run(cnn, cnn_data, "both", method_of, params_of)
    assert {record.kind for record in res.layers} == {"conv", "dense"}


@pytest.mark.parametrize("method", ["pr_cws", "ecsq", "slr", "pws"])
def test_functional_two_input_regression(method):
    model, data = two_input_regressor(), regression_data()
    res = _run(model, data, "dense", {"dense": method}, {"dense": PARAMS[method]})
    assert res.metric == "mse"  # the loss, named by its function
    assert res.before > 0


def test_epochs_zero_needs_no_data(cnn):
    res = compress(cnn, "cws", "dense", {"k": 4})
    assert res.before is res.after_compress is res.after_retrain is None
    assert res.history == {"train": [], "test": []}


def test_same_seed_same_result_other_seed_other_pws(cnn):
    runs = [compress(cnn, "pws", "dense", {"k": 6}, seed=seed) for seed in (3, 3, 4)]
    same, again, other = [kernels(run.model)["fc1"] for run in runs]
    np.testing.assert_array_equal(same, again)
    assert not np.array_equal(same, other)


def test_compressed_model_saves_and_loads(cnn, cnn_data, tmp_path):
    res = compress(cnn, "pr_cws", "dense", {"p": 40, "k": 8}, train=cnn_data, test=cnn_data, epochs=1)
    res.model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    for name, kernel in kernels(res.model).items():
        np.testing.assert_array_equal(kernels(loaded)[name], kernel)
    np.testing.assert_allclose(loaded.predict(cnn_data[0], verbose=0), res.model.predict(cnn_data[0], verbose=0))
