"""Lossy compression of Keras 3 models' dense and conv kernels, with retraining.

    res = compress(model, method="pr_cws", layers="dense", params={"p": 90, "k": 32})
    res.model, res.layers, res.before, res.after_compress, res.after_retrain
"""
from .api import CompressionResult, compress
from .group import CompressedLayer
from .methods import METHODS

__all__ = ["METHODS", "CompressedLayer", "CompressionResult", "compress"]
