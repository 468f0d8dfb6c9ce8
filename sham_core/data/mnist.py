"""MNIST from the Keras ``mnist.npz`` (x_train, y_train, x_test, y_test), preprocessed as in the study."""
import os

import numpy as np

FILE = "mnist.npz"


def load_mnist(raw_dir):
    """((x_train, y_train), (x_test, y_test)): 28x28x1 float32 images scaled to [0, 1], int64 labels."""
    with np.load(os.path.join(raw_dir, FILE)) as data:
        return tuple((_images(data[f"x_{split}"]), data[f"y_{split}"].astype(np.int64))
                     for split in ("train", "test"))


def _images(pixels):
    """0-255 pixels as (N, 28, 28, 1) float32 in [0, 1]."""
    return (pixels.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)
