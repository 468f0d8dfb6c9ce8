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

from ..common.atomic import write_json
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
    _check(f"dataset {name} ({config.get('path') if source == 'npz' else 'source ' + source})", train, test, task)
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


def _check(where, train, test, task):
    """Refuse splits with NaN, Inf or non-numbers, inputs and targets of different lengths, or labels outside the task.

    where: the dataset and its file, e.g. "dataset mine (data/mine.npz)", heading every message.
    """
    if task not in TASKS:
        raise ValueError(f"{where}: task must be one of {', '.join(TASKS)}, got {task!r}")
    for split, (x, y) in (("train", train), ("test", test)):
        parts = _inputs(x)
        names = [f"x_{split}_{i}" for i in range(len(parts))] if isinstance(x, (list, tuple)) else [f"x_{split}"]
        for array_name, array in [*zip(names, parts), (f"y_{split}", y)]:
            _check_values(where, array_name, np.asarray(array))
        for array_name, part in zip(names, parts):
            if len(part) != len(y):
                raise ValueError(f"{where}: {array_name} has {len(part)} rows but y_{split} has {len(y)}; "
                                 f"give one target per input row")
        if task == "classification":
            _check_labels(where, f"y_{split}", np.asarray(y))


def _check_values(where, array_name, array):
    """Refuse an array of non-numbers, or one holding NaN or Inf (named, with the first row that does)."""
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{where}: {array_name} holds {array.dtype} values, not numbers; store it as a numeric array")
    if array.size and not np.isfinite(array).all():
        bad = ~np.isfinite(array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1))
        nans = int(np.isnan(array).sum())
        raise ValueError(f"{where}: {array_name} holds {nans} NaN and {int(bad.sum()) - nans} infinite value(s), "
                         f"the first in row {int(np.argmax(bad.any(axis=1)))}; remove or impute those rows")


def _check_labels(where, array_name, y):
    """Refuse classification labels that are not a 1-D array of class indices 0, 1, ..."""
    if y.ndim != 1:
        raise ValueError(f"{where}: classification labels {array_name} must be a 1-D array of class indices, "
                         f"got shape {y.shape}" + ("; one-hot labels: store y.argmax(axis=1)" if y.ndim == 2 else ""))
    if not np.issubdtype(y.dtype, np.integer):
        values = y.astype(np.float64)
        fractional = values[values != np.round(values)]
        raise ValueError(f"{where}: classification labels {array_name} are {y.dtype}, not class indices; "
                         + (f"values such as {fractional[0]} are not whole numbers: for continuous targets set "
                            f"task: regression" if fractional.size else "store them as integers (y.astype(int))"))
    if y.size and y.min() < 0:
        raise ValueError(f"{where}: classification labels {array_name} include {y.min()}; class indices are "
                         f"0, 1, ... (renumber the classes from 0)")
