"""Bad requests to compress() raise ValueError saying what to change."""
import keras
import pytest

from keras_models import small_cnn
from sham_core.compression import compress


@pytest.fixture(scope="module")
def cnn():
    return small_cnn()


@pytest.mark.parametrize("method,params,message", [
    ("prune", {"p": 50}, "choose one of pr, cws, pws, uq, ecsq, pr_cws"),
    ("cws", {"k": 0}, "k must be an integer >= 1"),
    ("cws", {"k": 2.5}, "k must be an integer >= 1"),
    ("cws", {"k": "eight"}, "k must be a number"),
    ("pr", {"p": 100}, "must lie in [0, 100)"),
    ("pr", {"p": -1}, "must lie in [0, 100)"),
    ("slr", {"q": 0, "sr": 0.5, "rr": 0.5}, "q must be an integer >= 1"),
    ("slr", {"q": 4, "sr": 1.5, "rr": 0.5}, "sr is a fraction"),
    ("slr", {"q": 4, "sr": 0.5, "rr": -0.1}, "rr is a fraction"),
    ("pr_cws", {"p": 50}, "missing: k"),
    ("cws", {"k": 4, "p": 3}, "unknown: p"),
    ("ecsq", {"k": 4, "lambdas": []}, "lambdas must be a non-empty list"),
])
def test_bad_method_or_params(cnn, method, params, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        compress(cnn, method, "dense", params)


def test_no_layer_of_the_selected_kind():
    mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="no kernel that layers=.conv. selects; it has: 1 dense"):
        compress(mlp, "cws", "conv", {"k": 2})


def test_slr_on_conv_is_refused(cnn):
    with pytest.raises(ValueError, match="'slr' applies to dense, embedding, recurrent kernels only, not conv"):
        compress(cnn, "slr", "conv", {"q": 2, "sr": 0, "rr": 0})


@pytest.mark.parametrize("method,params", [("cws", {"k": 4}), ({"conv": "cws"}, {"conv": {"k": 4}}),
                                           ({"conv": "cws", "dense": "pr"}, {"k": 4})])
def test_both_needs_a_method_per_kind(cnn, method, params):
    with pytest.raises(ValueError, match='layers="both" needs'):
        compress(cnn, method, "both", params)


def test_unknown_selection(cnn):
    with pytest.raises(ValueError, match="layers must be one of dense, conv, both"):
        compress(cnn, "cws", "fc", {"k": 4})


def test_retraining_needs_data(cnn):
    with pytest.raises(ValueError, match="needs train="):
        compress(cnn, "cws", "dense", {"k": 4}, epochs=1)


def test_retraining_needs_a_compiled_model():
    mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    x = keras.ops.ones((8, 4))
    with pytest.raises(ValueError, match="not compiled"):
        compress(mlp, "cws", "dense", {"k": 2}, train=(x, x[:, :3]), epochs=1)
