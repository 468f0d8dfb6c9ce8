"""Dataset sources: each returns arrays and a task; ``prepare`` splits and stores them.

A source is called as ``source(config, seed, raw_dir)``; ``raw_dir`` is the folder that
``fetch.fetch()`` filled for the downloaded datasets, and None for the others.

- ``sklearn_digits``: the 1,797 handwritten 8x8 digits shipped inside scikit-learn (offline).
- ``npz``: your own file with x_train, y_train, x_test, y_test (kept as split).
- ``mnist``, ``cifar10``, ``cifar100``, ``davis``, ``kiba``: the study's datasets, from the
  verified downloads, preprocessed as in the study (see mnist.py, cifar.py, deepdta.py).

``subset: {train: N, test: M}`` in a dataset's config keeps a seeded random N training and
M test rows (fewer when the split is smaller), for smoke runs; either key may be left out.
"""
import os

import numpy as np

from ..atomic import write_json
from .cifar import load_cifar10, load_cifar100
from .deepdta import load_davis, load_kiba
from .mnist import load_mnist
from .store import load_split, save_splits, take_rows

TASKS = ("classification", "regression")


def digits(config, seed, raw_dir=None):
    """scikit-learn's digits as 8x8x1 float32 images in [0, 1], split with stratification."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32).reshape(-1, 8, 8, 1)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y.astype(np.int64), test_size=config["test_fraction"], random_state=seed, stratify=y)
    return (x_train, y_train), (x_test, y_test), "classification"


def user_npz(config, seed, raw_dir=None):
    """Your own npz (kept as split); ``task`` in the config says what y is."""
    path = config.get("path")
    if not path or not os.path.exists(path):
        raise ValueError(f"dataset source npz needs path: an existing .npz file, got {path!r}")
    return load_split(path, "train"), load_split(path, "test"), config["task"]


def downloaded(load, task):
    """A source for a downloaded dataset: ``load(raw_dir)`` gives the split, ``task`` says what y is."""
    def source(config, seed, raw_dir):
        if raw_dir is None:
            raise ValueError(f"source {config['source']!r} reads downloaded files: pass raw_dir, the folder "
                             f"sham_core.data.fetch.fetch() filled (the workflow's data rule does this)")
        train, test = load(raw_dir)
        return train, test, task
    return source


SOURCES = {
    "sklearn_digits": digits,
    "npz": user_npz,
    "mnist": downloaded(load_mnist, "classification"),
    "cifar10": downloaded(load_cifar10, "classification"),
    "cifar100": downloaded(load_cifar100, "classification"),
    "davis": downloaded(load_davis, "regression"),
    "kiba": downloaded(load_kiba, "regression"),
}


def prepare(name, config, out_dir, seed, raw_dir=None):
    """Write ``out_dir/data.npz`` and ``out_dir/meta.json`` for the dataset ``name``; return the meta."""
    source = config["source"]
    if source not in SOURCES:
        raise ValueError(f"datasets.{name}.source: unknown source {source!r}; choose one of {', '.join(SOURCES)}")
    train, test, task = SOURCES[source](config, seed, raw_dir)
    _check(name, train, test, task)
    # Classes are counted before any subset, so that a smoke run's model keeps the full output layer.
    classes = int(max(train[1].max(), test[1].max()) + 1) if task == "classification" else None
    train, test = _subset(name, config.get("subset"), train, test, seed)
    save_splits(os.path.join(out_dir, "data.npz"), train, test)
    meta = {"dataset": name, "source": source, "task": task, "seed": seed,
            "n_train": len(train[1]), "n_test": len(test[1]), "subset": config.get("subset"),
            "input_shapes": [list(x.shape[1:]) for x in _inputs(train[0])], "classes": classes}
    write_json(meta, os.path.join(out_dir, "meta.json"))
    return meta


def _subset(name, subset, train, test, seed):
    """The splits cut to a seeded random ``subset: {train: N, test: M}`` (for smoke runs); unchanged without one."""
    if not subset:
        return train, test
    wrong = {key: size for key, size in subset.items()
             if key not in ("train", "test") or not isinstance(size, int) or size < 1}
    if wrong:
        raise ValueError(f"datasets.{name}.subset takes train: and test: as row counts >= 1, got {wrong}")
    rng = np.random.default_rng(seed)
    return tuple(_rows(split, subset.get(key), rng) for split, key in ((train, "train"), (test, "test")))


def _rows(split, size, rng):
    """``size`` random rows of an (x, y) split, in their original order; all of them when size is None or larger."""
    if size is None or size >= len(split[1]):
        return split
    return take_rows(split, np.sort(rng.choice(len(split[1]), size=size, replace=False)))


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
