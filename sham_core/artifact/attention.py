"""Attention layers whose query, key, value and output projections run from their stored bytes.

Keras' MultiHeadAttention and GroupedQueryAttention build their four EinsumDense projections inside
``build``, each with its dense kernel. Their stored versions build the stored ones as
EncodedEinsumDense instead, so no dense kernel is ever allocated: while ``build`` runs, the name
``EinsumDense`` in the layer's Keras module makes an EncodedEinsumDense for a stored projection and a
plain EinsumDense for any other (a gate, say). Loading is single threaded, and the name is restored
when ``build`` returns. A Keras whose attention module no longer builds through that name leaves the
projections plain; ``check_built`` then says so.
"""
import sys
from contextlib import contextmanager

import keras

from .einsum import EinsumPlan, EncodedEinsumDense

# The attention classes by the class name a model's JSON gives them.
CLASSES = {"MultiHeadAttention": keras.layers.MultiHeadAttention,
           "GroupQueryAttention": keras.layers.GroupQueryAttention}
ATTENTION = tuple(CLASSES.values())


def projections(layer):
    """{name: EinsumDense} of an attention layer's four projections."""
    return {sub.name: sub for sub in (layer._query_dense, layer._key_dense, layer._value_dense, layer._output_dense)}


class _Stored:
    """Mixin: ``stored`` {projection name: (manifest entry, encodings, bias or None)} built from their bytes."""

    def __init__(self, stored, **kwargs):
        super().__init__(**kwargs)
        object.__setattr__(self, "_sham_stored", stored)  # not Keras state: constants of the file

    def build(self, query_shape, value_shape, key_shape=None):
        with _encoded_projections(self._sham_stored, sys.modules[self._keras_class.__module__]):
            super().build(query_shape, value_shape, key_shape)
        check_built(self)


def _stored_class(base):
    return type(f"Stored{base.__name__}", (_Stored, base), {"_keras_class": base})


# The stored class of each attention class, by its JSON class name.
STORED = {name: _stored_class(base) for name, base in CLASSES.items()}


def check_built(layer):
    """ValueError unless every stored projection of ``layer`` was built from its bytes."""
    plain = [name for name, sub in projections(layer).items()
             if name in layer._sham_stored and not isinstance(sub, EncodedEinsumDense)]
    if plain:
        raise ValueError(f"attention layer {layer.name}: this Keras built {', '.join(plain)} without the stored "
                         f"bytes (its MultiHeadAttention changed); load the file with the Keras it names")


@contextmanager
def _encoded_projections(stored, module):
    plain = module.EinsumDense

    def make(equation, output_shape=None, bias_axes=None, name=None, **kwargs):
        if name not in stored:
            return plain(equation, output_shape=output_shape, bias_axes=bias_axes, name=name, **kwargs)
        entry, encodings, bias = stored[name]
        if entry["equation"] != equation:
            raise ValueError(f"attention projection {name}: stored for {entry['equation']}, built as {equation}")
        einsum = EinsumPlan(equation, tuple(entry["permutation"]), entry["contracted"])
        return EncodedEinsumDense(encodings, einsum, entry["shape"], bias, None, name=name)

    module.EinsumDense = make
    try:
        yield
    finally:
        module.EinsumDense = plain
