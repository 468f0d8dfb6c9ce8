"""load() and sizes(): a model file back as a Keras model whose compressed Dense and EinsumDense layers run from
their bytes."""
import json
import os
from dataclasses import dataclass
from functools import reduce

import keras
import numpy as np
from keras import ops

from ..models.selection import all_layers
from .dense import EncodedDense
from .einsum import EinsumPlan, EncodedEinsumDense
from ..formats import FormatError
from ..formats import load as load_encoding
from ..common.loading import missing_class, missing_class_message
from .attention import STORED
from .container import ArtifactError, framing, read

STORED_LAYER = "ShamStoredLayer"
STORED_ATTENTION = "ShamStoredAttention"
LOAD_OPTION = "python -m sham_core predict --import MODULE, or by importing it before artifact.load()"
BATCH_SIZE = 256


@dataclass
class Artifact:
    """A loaded model file: its Keras model, its manifest, and batched prediction."""

    model: keras.Model
    manifest: dict

    def predict(self, x, batch_size=BATCH_SIZE):
        """The outputs on x (an array, or a list of arrays for several inputs) as numpy, eagerly batch by batch.

        Eager because the encoded Dense layers compute in numpy: ``model.predict`` traces a graph they cannot join.
        """
        inputs = list(x) if isinstance(x, (list, tuple)) else [x]
        _check_inputs(self.model, [np.shape(array) for array in inputs])
        batches = []
        for start in range(0, len(inputs[0]), batch_size):
            batch = [np.asarray(array[start:start + batch_size]) for array in inputs]
            batches.append(ops.convert_to_numpy(self.model(batch if len(inputs) > 1 else batch[0], training=False)))
        return np.concatenate(batches)


def _check_inputs(model, shapes):
    """ValueError naming the expected shapes unless ``shapes`` fit the model's inputs (batch axis aside)."""
    expected = [tuple(tensor.shape[1:]) for tensor in model.inputs]
    fits = len(shapes) == len(expected) and all(
        len(shape) == len(want) + 1 and all(w in (None, s) for w, s in zip(want, shape[1:]))
        for shape, want in zip(shapes, expected))
    if not fits:
        want = ", ".join(str((None, *shape)) for shape in expected)
        raise ValueError(f"the model takes {len(expected)} input(s) of shape {want}; got {', '.join(map(str, shapes))}")


def load(path):
    """The model file at ``path`` as an Artifact; ArtifactError if it is not an intact one.

    The Dense layers the model lists run from their stored encodings (EncodedDense: ``enc.matmul``,
    never decoded), and so do its EinsumDense layers whose kernel axes split into contracted and free
    ones (EncodedEinsumDense) and the projections of its attention layers (attention.STORED). Every
    other compressed kernel (conv, embeddings, recurrent, and kernels inside wrappers or custom layers)
    is decoded at load: those layers need the dense kernel.
    A version 1 file (kernels named by their layer's name) loads the same way.
    """
    manifest, sections = read(path)
    encodings = {entry["layer"]: _encodings(entry, sections, path) for entry in manifest["compressed"]}
    weights = {}
    for entry in manifest["weights"]:
        weights.setdefault(entry["layer"], {})[entry["index"]] = _array(entry, sections[entry["section"]])
    stored, attention = {}, {}
    for entry in manifest["compressed"]:
        unit, from_bytes = entry.get("unit", entry["layer"]), entry.get("from_bytes", entry["kind"] == "dense")
        if from_bytes and "sublayer" in entry:
            attention.setdefault(unit, {})[entry["sublayer"]] = entry
        elif from_bytes:
            stored[unit] = (entry, encodings[entry["layer"]])
        else:
            kernel = reduce(np.matmul, [enc.to_dense() for enc in encodings[entry["layer"]]])
            weights.setdefault(unit, {})[entry["index"]] = kernel.reshape(entry["shape"])
    architecture = bytes(sections[manifest["architecture"]]).decode("utf-8")
    attention = {unit: _projections(entries, encodings, weights, unit) for unit, entries in attention.items()}
    model = _model(architecture, stored, {name: weights.pop(name, {}) for name in stored}, attention, path)
    _set_weights(model, weights, path)
    return Artifact(model, manifest)


def sizes(path):
    """The file's bytes by part: compressed + uncompressed + architecture + manifest + framing == file.

    compressed is what psi promised (psi x the float32 bytes of the compressed kernels);
    file_psi is the whole file over the float32 bytes of every weight of the network.
    """
    manifest, sections = read(path)
    file = os.path.getsize(path)
    parts = {"compressed": sum(len(sections[i]) for entry in manifest["compressed"] for i in entry["sections"]),
             "uncompressed": sum(len(sections[entry["section"]]) for entry in manifest["weights"]),
             "architecture": len(sections[manifest["architecture"]]),
             "manifest": file - framing(len(sections)) - sum(len(section) for section in sections),
             "framing": framing(len(sections))}
    return {"file": file, **parts, "psi": manifest["psi"],
            "file_psi": file / manifest["float32_bytes"]["network"]}


def _encodings(entry, sections, path):
    """The encodings of one compressed layer's stored matrices."""
    try:
        return [load_encoding(sections[i]) for i in entry["sections"]]
    except FormatError as error:
        raise ArtifactError(f"{path}: layer {entry['layer']}: {error}") from None


def _array(entry, section):
    """One uncompressed weight from its little-endian bytes."""
    dtype = np.dtype(entry["dtype"])
    return np.frombuffer(section, dtype.newbyteorder("<")).astype(dtype).reshape(entry["shape"])


def _projections(entries, encodings, weights, unit):
    """{projection: (entry, encodings, bias)} of an attention layer; its biases leave ``weights[unit]``, whose other
    arrays are numbered again in order (the stored attention holds only the weights of plain projections)."""
    arrays = weights.get(unit, {})
    stored = {}
    for name, entry in entries.items():
        bias = arrays.pop(entry["bias_index"]) if entry.get("bias_index") is not None else None
        stored[name] = (entry, encodings[entry["layer"]], bias)
    weights[unit] = {i: arrays[key] for i, key in enumerate(sorted(arrays))}
    return stored


def _model(architecture, stored, weights, attention, path):
    """The Keras model of the stored JSON, the layers named in ``stored`` ({name: (entry, encodings)}) built as
    EncodedDense or EncodedEinsumDense, and the attention layers in ``attention`` as their stored classes: all run
    from the encodings."""
    config = json.loads(architecture)
    missing = set(stored) - _swap_stored(config, set(stored), ("Dense", "EinsumDense"), STORED_LAYER)
    found = set()
    for name in STORED:
        found |= _swap_stored(config, set(attention), (name,), STORED_ATTENTION + name)
    missing |= set(attention) - found
    if missing:
        raise ArtifactError(f"{path}: the architecture has no Dense, EinsumDense or attention layer "
                            f"{', '.join(sorted(missing))}")

    class StoredLayer:
        """Stands in for the encoded layers' class while Keras deserializes the model."""

        @staticmethod
        def from_config(layer):
            name = layer["name"]
            entry, encodings = stored[name]
            bias = next(iter(weights[name].values()), None)
            if "permutation" not in entry:
                return EncodedDense(encodings, bias, layer["activation"], name=name)
            einsum = EinsumPlan(entry["equation"], tuple(entry["permutation"]), entry["contracted"])
            return EncodedEinsumDense(encodings, einsum, entry["shape"], bias, layer["activation"], name=name)

    def stand_in(stored_class):
        """Stands in for an attention class: its stored version, with the layer's stored projections."""
        return type("StandIn", (), {"from_config": staticmethod(
            lambda layer: stored_class(attention[layer["name"]], **layer))})

    objects = {STORED_LAYER: StoredLayer, **{STORED_ATTENTION + name: stand_in(cls) for name, cls in STORED.items()}}
    try:
        return keras.models.model_from_json(json.dumps(config), custom_objects=objects)
    except (TypeError, ValueError) as error:
        name = missing_class(error)
        if name is None:
            raise
        raise ArtifactError(missing_class_message(path, name, LOAD_OPTION)) from None


def _swap_stored(node, names, classes, stand_in):
    """Point the configs of the ``classes`` layers called ``names`` at ``stand_in``, in place; return those found."""
    found = set()
    if isinstance(node, dict):
        if node.get("class_name") in classes and node.get("config", {}).get("name") in names:
            node.update(class_name=stand_in, registered_name=stand_in, module=None)
            found.add(node["config"]["name"])
        children = node.values()
    else:
        children = node if isinstance(node, list) else []
    for child in children:
        found |= _swap_stored(child, names, classes, stand_in)
    return found


def _set_weights(model, weights, path):
    """Give every layer of ``model`` its stored weights ({layer: {index: array}}); ArtifactError on a mismatch."""
    layers = {layer.name: layer for layer in all_layers(model)}
    unknown = set(weights) - set(layers)
    if unknown:
        raise ArtifactError(f"{path}: weights stored for layers the architecture lacks: {', '.join(sorted(unknown))}")
    for name, layer in layers.items():
        arrays = weights.get(name, {})
        if sorted(arrays) != list(range(len(layer.weights))):
            raise ArtifactError(f"{path}: layer {name} has {len(layer.weights)} weights, the file stores "
                                f"{len(arrays)}")
        if arrays:
            layer.set_weights([arrays[i] for i in range(len(arrays))])
