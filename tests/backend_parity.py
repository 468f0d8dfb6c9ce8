"""Compress and retrain a few methods under the backend in KERAS_BACKEND, checking the invariants.

Run by test_backend_parity.py in a subprocess (the backend is fixed at import of keras).
"""
import sys

import keras

from invariants import check_result, weights
from keras_models import PARAMS, classification_data, regression_data, small_cnn, two_input_regressor
from sham_core.compression import compress

CASES = [
    (small_cnn, classification_data, "dense", "pr_cws"),
    (small_cnn, classification_data, "conv", "ecsq"),
    (small_cnn, classification_data, "dense", "pr"),
    (two_input_regressor, regression_data, "dense", "pws"),
    (two_input_regressor, regression_data, "conv", "pr_uq"),
]


def main():
    for build, load, layers, method in CASES:
        model, data = build(), load()
        before = weights(model)
        res = compress(model, method, layers, PARAMS[method], train=data, test=data, epochs=1, batch_size=32)
        check_result(model, before, res, {layers: method}, {layers: PARAMS[method]})
        assert len(res.history["train"]) == 1
        print(f"{keras.backend.backend()} {build.__name__} {layers} {method}: "
              f"{res.before:.4f} -> {res.after_compress:.4f} -> {res.after_retrain:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
