"""Read and write the train/test arrays of a dataset (``data.npz``)."""
import numpy as np

from ..common.atomic import atomic_path


def save_splits(path, train, test):
    """Write ``(x, y)`` train and test pairs; x is an array or a list of arrays (one per input)."""
    arrays = {}
    for split, (x, y) in (("train", train), ("test", test)):
        if isinstance(x, (list, tuple)):
            arrays.update({f"x_{split}_{i}": part for i, part in enumerate(x)})
        else:
            arrays[f"x_{split}"] = x
        arrays[f"y_{split}"] = y
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def load_split(path, split):
    """(x, y) of ``split`` ("train"/"test"); x is a list when stored as x_{split}_0, x_{split}_1, ..."""
    with np.load(path) as data:
        keys = set(data.files)
        if f"y_{split}" not in keys:
            raise ValueError(f"{path} has no y_{split}; found {', '.join(sorted(keys))}")
        if f"x_{split}" in keys:
            return data[f"x_{split}"], data[f"y_{split}"]
        x = []
        while f"x_{split}_{len(x)}" in keys:
            x.append(data[f"x_{split}_{len(x)}"])
        if not x:
            raise ValueError(f"{path} has neither x_{split} nor x_{split}_0, x_{split}_1, ...; "
                             f"found {', '.join(sorted(keys))}")
        return x, data[f"y_{split}"]


def hold_out(data, fraction, seed):
    """(fit part, validation part) of ``data = (x, y)``, the latter a seeded ``fraction``; (data, None) for 0."""
    if not fraction:
        return data, None
    n = len(data[1])
    n_validation = round(fraction * n)
    if not 0 < n_validation < n:
        raise ValueError(f"validation_fraction {fraction} of {n} training samples leaves no validation or no "
                         f"training sample; change validation_fraction")
    order = np.random.default_rng(seed).permutation(n)
    return take_rows(data, order[n_validation:]), take_rows(data, order[:n_validation])


def take_rows(data, index):
    """The rows ``index`` of ``data = (x, y)``; x is an array or a list of arrays (one per input)."""
    x, y = data
    return ([part[index] for part in x] if isinstance(x, (list, tuple)) else x[index]), y[index]
