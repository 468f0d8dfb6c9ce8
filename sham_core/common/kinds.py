"""The kinds of kernel a compression touches, and the layer selections by kind (see models/selection.py).

Apart from the selection's Keras code, so that reading them (as the workflow's config checks do) imports no Keras.
"""
KINDS = ("dense", "conv", "embedding", "recurrent")
SELECTIONS = ("dense", "conv", "both", "embedding", "recurrent", "all")
