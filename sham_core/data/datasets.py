"""Dataset sources: each returns arrays and a task; ``prepare`` splits and stores them.

- ``sklearn_digits``: the 1,797 handwritten 8x8 digits shipped inside scikit-learn (offline).
- ``npz``: your own file with x_train, y_train, x_test, y_test (kept as split).
"""
import os

import numpy as np

from ..atomic import write_json
from .store import load_split, save_splits

TASKS = ("classification", "regression")


def digits(config, seed):
    """scikit-learn's digits as 8x8x1 float32 images in [0, 1], split with stratification."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y.astype(np.int64), test_size=config["test_fraction"], random_state=seed, stratify=y)
    return (x_train, y_train), (x_test, y_test), "classification"


def user_npz(config, seed):
    """Your own npz (kept as split); ``task`` in the config says what y is."""
    path = config.get("path")
    if not path or not os.path.exists(path):
        raise ValueError(f"dataset source npz needs path: an existing .npz file, got {path!r}")
    return load_split(path, "train"), load_split(path, "test"), config["task"]


SOURCES = {"sklearn_digits": digits, "npz": user_npz}


def prepare(name, config, out_dir, seed):
    """Write ``out_dir/data.npz`` and ``out_dir/meta.json`` for the dataset ``name``; return the meta."""
    source = config["source"]
    if source not in SOURCES:
        raise ValueError(f"datasets.{name}.source: unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    train, test, task = SOURCES[source](config, seed)
    _check(name, train, test, task)
    save_splits(os.path.join(out_dir, "data.npz"), train, test)
    meta = {"dataset": name, "source": source, "task": task, "seed": seed,
            "n_train": len(train[1]), "n_test": len(test[1]),
            "input_shapes": [list(x.shape[1:]) for x in _inputs(train[0])],
            "classes": int(max(train[1].max(), test[1].max()) + 1) if task == "classification" else None}
    write_json(meta, os.path.join(out_dir, "meta.json"))
    return meta


def _inputs(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _check(name, train, test, task):
    """Refuse splits whose inputs and targets disagree, or labels that are not class indices."""
    if task not in TASKS:
        raise ValueError(f"datasets.{name}.task must be one of {', '.join(TASKS)}, got {task!r}")
    for split, (x, y) in (("train", train), ("test", test)):
        if any(len(part) != len(y) for part in _inputs(x)):
            raise ValueError(f"dataset {name}: x_{split} and y_{split} have different lengths")
        if task == "classification" and (y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0):
            raise ValueError(f"dataset {name}: classification labels y_{split} must be a 1-D array "
                             f"of class indices (integers >= 0)")
