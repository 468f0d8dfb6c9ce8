"""Lossy compression of Keras 3 models' dense and conv kernels, with retraining.

    res = compress(model, method="pr_cws", layers="dense", params={"p": 90, "k": 32})
    res.model, res.layers, res.before, res.after_compress, res.after_retrain

``METHODS`` needs no Keras; ``compress`` and the result types import it on first use,
so that reading the registry (as the workflow's config checks do) stays fast.
"""
from .methods import METHODS

_LAZY = {"compress": ".api", "CompressionResult": ".api", "CompressedLayer": ".group"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["METHODS", "CompressedLayer", "CompressionResult", "compress"]
