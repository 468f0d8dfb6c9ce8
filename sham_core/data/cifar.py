"""CIFAR-10 and CIFAR-100 read straight from the python tarballs, preprocessed as in the study.

Each batch in the tarball is a pickle with b"data" (N x 3072 uint8, channel-major: all red,
then green, then blue) and b"labels" (CIFAR-10) or b"fine_labels" (CIFAR-100).
"""
import os
import pickle
import tarfile

import numpy as np

CIFAR10_FILE = "cifar-10-python.tar.gz"
CIFAR100_FILE = "cifar-100-python.tar.gz"
CIFAR10_MEAN = (123.680, 116.779, 103.939)  # per channel (R, G, B), on 0-255 values, as in the study


def load_cifar10(raw_dir):
    """((x_train, y_train), (x_test, y_test)): 32x32x3 float32 minus the per-channel means, int64 labels."""
    train_names = [f"data_batch_{i}" for i in range(1, 6)]
    batches = _batches(os.path.join(raw_dir, CIFAR10_FILE), "cifar-10-batches-py", train_names + ["test_batch"])
    train = _join([batches[name] for name in train_names], b"labels")
    test = _join([batches["test_batch"]], b"labels")
    mean = np.asarray(CIFAR10_MEAN, dtype=np.float32)
    return (train[0] - mean, train[1]), (test[0] - mean, test[1])


def load_cifar100(raw_dir):
    """((x_train, y_train), (x_test, y_test)): 32x32x3 float32 standardised by the training set, fine labels."""
    batches = _batches(os.path.join(raw_dir, CIFAR100_FILE), "cifar-100-python", ["train", "test"])
    (x_train, y_train), (x_test, y_test) = (_join([batches[name]], b"fine_labels") for name in ("train", "test"))
    # One mean and one std over all training pixels and channels, with the study's 1e-7 guard;
    # Python floats keep the arithmetic in float32.
    mean, std = float(x_train.mean(dtype=np.float64)), float(x_train.std(dtype=np.float64)) + 1e-7
    x_train, x_test = ((x - mean) / std for x in (x_train, x_test))
    return (x_train, y_train), (x_test, y_test)


def _join(batches, label_key):
    """(images (N, 32, 32, 3) float32 on 0-255, labels int64) from unpickled batches."""
    pixels = np.concatenate([batch[b"data"] for batch in batches])
    images = pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float32)
    return images, np.concatenate([np.asarray(batch[label_key], dtype=np.int64) for batch in batches])


def _batches(path, folder, names):
    """{name: unpickled batch} for ``folder/name`` in the tarball at ``path``, read in one pass."""
    found = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            parent, _, name = member.name.rpartition("/")
            if parent == folder and name in names:
                found[name] = pickle.load(tar.extractfile(member), encoding="bytes")
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(f"{path} is not the CIFAR python tarball: it lacks "
                         f"{', '.join(f'{folder}/{name}' for name in missing)}")
    return found
