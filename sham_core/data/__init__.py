"""Datasets as the workflow stores them: one ``data.npz`` (train/test split) plus ``meta.json``.

``data.npz`` holds x_train, y_train, x_test, y_test; a model with several inputs has
x_train_0, x_train_1, ... instead of x_train (and the same for x_test).
The study's datasets are downloaded and verified by ``sham_core.data.fetch.fetch()`` (needs pooch),
which is kept out of this namespace so that reading datasets never needs the downloader.
"""
from .datasets import SOURCES, prepare
from .store import hold_out, load_split, save_splits

__all__ = ["SOURCES", "hold_out", "load_split", "prepare", "save_splits"]
