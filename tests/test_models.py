"""The builders give the study's architectures: exact layer shapes, weight counts and the FC/conv split."""
import keras
import numpy as np
import pytest

from sham_core.models import MODELS, build_model

VGG19_CONVS = [64, 64, 128, 128, 256, 256, 256, 256] + [512] * 8
FC = (4096, 4096)


def kernels(model, cls):
    """Total kernel weights of the model's layers of class ``cls``."""
    return sum(int(np.prod(layer.kernel.shape)) for layer in model.layers if isinstance(layer, cls))


def vgg19_counts(channels, classes):
    """By hand: (conv kernel weights, FC kernel weights, all parameters) of the study's VGG19 on 32x32 or 28x28."""
    cins = [channels] + VGG19_CONVS[:-1]
    conv = sum(9 * cin * cout for cin, cout in zip(cins, VGG19_CONVS))
    widths = (512,) + FC + (classes,)  # five pools take 32x32 (and 28x28, with 'same' pools) to 1x1x512
    fc = sum(a * b for a, b in zip(widths, widths[1:]))
    units = sum(VGG19_CONVS) + sum(FC) + classes
    return conv, fc, conv + fc + units * (1 + 4)  # one bias and four BatchNorm parameters per unit


@pytest.mark.parametrize("shape, classes, conv_m, fc_m", [
    ((32, 32, 3), 10, 20.0, 18.9),    # CIFAR-10: the study's 20.0 M conv and 18.9 M FC weights
    ((32, 32, 3), 100, 20.0, 19.3),   # CIFAR-100
    ((28, 28, 1), 10, 20.0, 18.9),    # MNIST
])
def test_vgg19_weight_counts(shape, classes, conv_m, fc_m):
    model = build_model("vgg19", [list(shape)], "classification", classes)
    conv, fc, total = vgg19_counts(shape[-1], classes)
    assert kernels(model, keras.layers.Conv2D) == conv and round(conv / 1e6, 1) == conv_m
    assert kernels(model, keras.layers.Dense) == fc and round(fc / 1e6, 1) == fc_m
    assert model.count_params() == total
    assert model.get_layer("flatten").output.shape == (None, 512)
    assert model.layers[-1].output.shape == (None, classes)


def test_vgg19_layer_sequence():
    model = build_model("vgg19", [[28, 28, 1]], "classification", 10)
    kinds = [type(layer).__name__ for layer in model.layers]
    convs = [i for i, kind in enumerate(kinds) if kind in ("Conv2D", "Dense")]
    assert len(convs) == 19 and [kinds[i] for i in convs].count("Conv2D") == 16
    for i in convs:
        layer, bn, act = model.layers[i:i + 3]
        assert (type(bn).__name__, type(act).__name__) == ("BatchNormalization", "Activation")
        assert isinstance(layer.kernel_initializer, keras.initializers.HeNormal)
        assert layer.kernel_regularizer.get_config()["l2"] == pytest.approx(1e-4)
    assert [model.get_layer(f"block{b}_pool").output.shape[1] for b in range(1, 6)] == [14, 7, 4, 2, 1]
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.5, 0.5]
    assert model.layers[-1].get_config()["activation"] == "softmax"


@pytest.mark.parametrize("lengths, conv_lengths", [
    ((85, 1200), ((74, 63, 52), (1193, 1186, 1179))),  # DAVIS
    ((100, 1000), ((89, 78, 67), (993, 986, 979))),    # KIBA
])
def test_deepdta_shapes_and_counts(lengths, conv_lengths):
    model = build_model("deepdta", [[lengths[0]], [lengths[1]]], "regression", None)
    conv1d = lambda k, cin, cout: k * cin * cout + cout  # noqa: E731
    dense = lambda cin, cout: cin * cout + cout  # noqa: E731
    expected = {"smiles_embedding": 65 * 128, "protein_embedding": 26 * 128,
                "smiles_conv1": conv1d(12, 128, 32), "smiles_conv2": conv1d(12, 32, 64),
                "smiles_conv3": conv1d(12, 64, 96), "protein_conv1": conv1d(8, 128, 32),
                "protein_conv2": conv1d(8, 32, 64), "protein_conv3": conv1d(8, 64, 96),
                "fc1": dense(192, 1024), "fc2": dense(1024, 1024), "fc3": dense(1024, 512), "affinity": dense(512, 1)}
    assert {name: model.get_layer(name).count_params() for name in expected} == expected
    assert model.count_params() == sum(expected.values())
    for branch, sizes in zip(("smiles", "protein"), conv_lengths):
        assert [model.get_layer(f"{branch}_conv{i}").output.shape[1] for i in (1, 2, 3)] == list(sizes)
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [0.1, 0.1]
    codes = [np.ones((3, lengths[0]), np.int32), np.ones((3, lengths[1]), np.int32)]
    assert model.predict(codes, verbose=0).shape == (3, 1)


def test_vgg_mini_keeps_its_layer_names():
    model = build_model("vgg_mini", [[8, 8, 1]], "classification", 10)
    names = {layer.name for layer in model.layers}
    assert {"block1_conv1", "block2_conv2", "fc1", "fc2", "predictions"} <= names


@pytest.mark.parametrize("name, shapes, task, message", [
    ("deepdta", [[85], [1200]], "classification", "regression"),
    ("deepdta", [[85]], "regression", "two sequence inputs"),
    ("vgg19", [[32, 32, 3]], "regression", "classifier"),
    ("vgg19", [[85], [1200]], "classification", "classifier"),
    ("resnet", [[32, 32, 3]], "classification", "unknown model 'resnet'"),
    ("vit_mini", [[8, 8, 1]], "regression", "classifier"),
    ("vit_mini", [[7, 8, 1]], "classification", "2x2 patches; 7x8 does not divide"),
])
def test_builder_errors(name, shapes, task, message):
    with pytest.raises(ValueError, match=message):
        build_model(name, shapes, task, 10)


def test_registry():
    assert {"vgg_mini", "vgg19", "deepdta", "vit_mini"} <= set(MODELS)


def test_vit_mini_holds_attention_feed_forward_and_embedding_kernels_and_reloads(tmp_path):
    from sham_core.models.selection import kernel_slots
    from sham_core.workflow.config import experiment_imports
    model = build_model("vit_mini", [[8, 8, 1]], "classification", 10)
    x = np.random.default_rng(0).random((3, 8, 8, 1), dtype=np.float32)
    assert model(x).shape == (3, 10)
    kinds = {slot.name: slot.kind for slot in kernel_slots(model)}
    assert kinds["positions/embedding"] == "embedding" and kinds["attention/query"] == "dense" and len(kinds) == 9
    model.save(tmp_path / "vit.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "vit.keras")(x), model(x), atol=1e-6)
    assert experiment_imports({"model": "vit_mini"}) == ["sham_core.models.transformer"]
    assert experiment_imports({"model": "vit_mini", "model_file": "m.keras", "imports": ["mine"]}) == ["mine"]
    assert experiment_imports({"model": "vgg_mini"}) is None
