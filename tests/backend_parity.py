"""Compress and retrain a few methods under the backend in KERAS_BACKEND, checking the invariants.

Run by test_backend_parity.py in a subprocess (the backend is fixed at import of keras).
"""
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
from keras import ops

from any_models import MODELS, data
from invariants import check_result, weights
from keras_models import PARAMS, classification_data, regression_data, small_cnn, two_input_regressor
from sham_core.artifact import load, save
from sham_core.compression import compress

CASES = [
    (small_cnn, classification_data, "dense", "pr_cws"),
    (small_cnn, classification_data, "conv", "ecsq"),
    (small_cnn, classification_data, "dense", "pr"),
    (two_input_regressor, regression_data, "dense", "pws"),
    (two_input_regressor, regression_data, "conv", "pr_uq"),
]


def main():
    for build, load_data, layers, method in CASES:
        model, data = build(), load_data()
        before = weights(model)
        res = compress(model, method, layers, PARAMS[method], train=data, test=data, epochs=1, batch_size=32)
        check_result(model, before, res, {layers: method}, {layers: PARAMS[method]})
        assert len(res.history["train"]) == 1
        print(f"{keras.backend.backend()} {build.__name__} {layers} {method}: "
              f"{res.before:.4f} -> {res.after_compress:.4f} -> {res.after_retrain:.4f}")
    any_models()
    return 0


def any_models():
    """Each model shape, and one with LoRA, retrains, saves, loads and predicts within 1e-4 of its Keras model."""
    lora = MODELS["functional_unnamed_input"]()
    lora.layers[1].enable_lora(2)
    cases = {**{name: build() for name, build in MODELS.items()}, "lora": lora}
    with tempfile.TemporaryDirectory() as folder:
        for name, model in cases.items():
            x, y = data(model)
            res = compress(model, "pr_uq", "dense", {"p": 50, "k": 4}, train=(x, y), test=(x, y), epochs=1,
                           batch_size=16)
            save(res, Path(folder) / f"{name}.sham")
            expected = ops.convert_to_numpy(res.model(x, training=False))
            np.testing.assert_allclose(load(Path(folder) / f"{name}.sham").predict(x), expected, atol=1e-4)
            print(f"{keras.backend.backend()} any model {name}: {res.coverage['kernel_fraction']:.3f} of kernels")


if __name__ == "__main__":
    sys.exit(main())
