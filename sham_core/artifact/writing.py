"""save(): a compressed model's architecture, weights and encoded kernels in one file."""
import platform
import sys

import keras
import numpy as np

from .. import __version__
from ..models.selection import KINDS, all_layers, kernel_slots, layer_paths
from .einsum import EinsumPlan, plan
from .attention import ATTENTION, projections
from ..formats import DIRECT, FORMATS, as_matrix, smallest
from .container import write
from .reading import sizes


def save(result, path, formats=None, params=None, info=None):
    """Write ``result`` (a CompressionResult, or ``(model, layers)``) to ``path``; return ``sizes(path)``.

    formats: {kernel name or kind ("dense", "conv", ...): format name}, overriding the default:
    per matrix the smallest format that computes x @ W directly (what psi_direct counts).
    params: the compression parameters, recorded in the manifest; info: any other JSON fields.
    The manifest also records the result's coverage (the share of kernel parameters compressed), if it has one.
    """
    model, records, metrics = _parts(result)
    choices = _overrides(formats or {}, records)
    places = _kernel_places(model, records)
    sections = [model.to_json().encode("utf-8")]
    compressed = [dict(_compressed_entry(record, choices[record.name], sections, places[record.name]),
                       **places[record.name]) for record in records]
    skip = {}
    for place in places.values():
        skip.setdefault(place["unit"], set()).add(place["index"])
    weights = [entry for layer in all_layers(model)
               for entry in _weight_entries(layer, skip.get(layer.name, set()), sections)]
    manifest = {**_summary(records, compressed, weights, sections), "params": params, "metrics": metrics,
                "coverage": getattr(result, "coverage", None), "info": info or {}, "versions": versions(),
                "architecture": 0, "compressed": compressed, "weights": weights}
    write(path, manifest, sections)
    return sizes(path)


def _summary(records, compressed, weights, sections):
    """Method, layer selection, psi and the byte counts of the manifest."""
    kinds = {record.kind: record.method for record in records}
    float32 = sum(entry["float32_bytes"] for entry in compressed)
    stored = sum(entry["bytes"] for entry in compressed)
    return {"method": kinds if len(kinds) > 1 else next(iter(kinds.values())),
            "layers": "both" if len(kinds) > 1 else next(iter(kinds)),
            "psi": stored / float32,
            "bytes": {"compressed": stored, "uncompressed": sum(len(sections[w["section"]]) for w in weights)},
            "float32_bytes": {"compressed": float32, "network": float32 + 4 * _count(weights)}}


def versions():
    """The versions of sham_core, Keras, its backend, numpy and Python, for the manifest."""
    backend = keras.backend.backend()
    return {"sham_core": __version__, "keras": keras.__version__, "backend": backend,
            "backend_version": getattr(sys.modules.get(backend), "__version__", None),
            "numpy": np.__version__, "python": platform.python_version()}


def _parts(result):
    """(model, compressed layer records, metrics dict or None) of a CompressionResult or a (model, layers) pair."""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        model, records = result
        metrics = None
    elif hasattr(result, "model") and hasattr(result, "layers"):
        model, records = result.model, result.layers
        metrics = {"metric": result.metric, "before": result.before, "after_compress": result.after_compress,
                   "after_retrain": result.after_retrain}
    else:
        raise TypeError(f"save() takes a CompressionResult or a (model, layers) pair, not {type(result).__name__}")
    if not records:
        raise ValueError("there is no compressed layer to save")
    return model, list(records), metrics


def _overrides(formats, records):
    """{layer name: format name} from ``formats`` keyed by layer name or kind; ValueError on unknown names."""
    names = {record.name for record in records} | set(KINDS)
    unknown = [key for key in formats if key not in names]
    if unknown:
        raise ValueError(f"formats names {', '.join(unknown)}, neither a compressed layer nor a kind; "
                         f"use one of {', '.join(sorted(names))}")
    bad = [value for value in formats.values() if value not in DIRECT]
    if bad:
        raise ValueError(f"format {bad[0]!r} cannot compute x @ W on its stored bytes; "
                         f"choose one of {', '.join(DIRECT)}")
    return {record.name: formats.get(record.name, formats.get(record.kind)) for record in records}


def _compressed_entry(record, override, sections, place):
    """The manifest entry of one compressed kernel; its encoded matrices are appended to ``sections``."""
    if record.factors is not None:
        parts = list(record.factors)
    elif "permutation" in place:  # an EinsumDense run from bytes: its (contracted, free) matrix
        parts = [EinsumPlan(place["equation"], tuple(place["permutation"]), place["contracted"]).matrix(record.kernel)]
    else:
        parts = [as_matrix(record.kernel)]
    encodings = [_encode(part, override) for part in parts]
    start = len(sections)
    sections.extend(enc.to_bytes() for enc in encodings)
    return {"layer": record.name, "kind": record.kind, "method": record.method, "shape": list(record.shape),
            "formats": [enc.name for enc in encodings], "matrices": [list(enc.shape) for enc in encodings],
            "sections": list(range(start, len(sections))), "bytes": sum(enc.nbytes for enc in encodings),
            "float32_bytes": 4 * int(record.kernel.size)}


def _encode(matrix, override):
    """``matrix`` in the ``override`` format, else in the smallest direct format."""
    names = [override] if override else list(DIRECT)
    encodings = {name: [FORMATS[name].from_dense(matrix)] for name in names}
    return encodings[smallest(encodings, names)[0]][0]


def _weight_entries(layer, skip, sections):
    """Manifest entries of the layer's weights but those at the indices ``skip``; their bytes go to ``sections``."""
    entries = []
    for index, array in enumerate(layer.get_weights()):
        if index in skip:
            continue
        array = np.ascontiguousarray(array)
        sections.append(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
        entries.append({"layer": layer.name, "index": index, "shape": list(array.shape),
                        "dtype": array.dtype.name, "section": len(sections) - 1})
    return entries


def _kernel_places(model, records):
    """{kernel name: {unit, index, from_bytes, ...}}: the layer of ``model.layers`` (nested models flattened)
    whose weights hold the kernel, its position among them, and whether the kernel is that layer's own Dense or
    EinsumDense (one whose axes split) kernel, which a loaded model runs from its stored bytes (any other kernel
    is decoded at load)."""
    owners = {}
    for _, unit in layer_paths(model):
        for index, weight in enumerate(unit.weights):
            owners.setdefault(id(weight), (unit, index))
    slots = {slot.name: slot for slot in kernel_slots(model)}
    places = {}
    for record in records:
        slot = slots.get(record.name)
        if slot is None or tuple(slot.variable.shape) != tuple(record.shape):
            raise ValueError(f"compressed kernel {record.name} {tuple(record.shape)} has no kernel of that name "
                             f"and shape in the model")
        if id(slot.variable) not in owners:
            raise ValueError(f"kernel {record.name}: it is not one of its layer's weights, so it cannot be stored")
        unit, index = owners[id(slot.variable)]
        places[record.name] = {"unit": unit.name, "index": index, **_from_bytes(unit, slot, record, owners)}
    return places


def _from_bytes(unit, slot, record, owners):
    """{"from_bytes": ...}; for an EinsumDense how its kernel's axes make the stored matrix, and for an
    attention projection its name and its bias's index among the attention layer's weights."""
    if slot.layer is unit and isinstance(unit, keras.layers.Dense):
        return {"from_bytes": True}
    projection = type(unit) in ATTENTION and slot.layer in projections(unit).values()
    if not (slot.layer is unit or projection) or not isinstance(slot.layer, keras.layers.EinsumDense):
        return {"from_bytes": False}
    einsum = plan(slot.layer.equation, len(record.shape))
    if einsum is None or (record.factors is not None and einsum.permutation != (0, 1)):
        return {"from_bytes": False}
    place = {"from_bytes": True, "equation": einsum.equation, "permutation": list(einsum.permutation),
             "contracted": einsum.contracted}
    if projection:
        bias = slot.layer.bias
        place.update(sublayer=slot.layer.name, bias_index=None if bias is None else owners[id(bias)][1])
    return place


def _count(entries):
    """The number of values in some weight entries."""
    return sum(int(np.prod(entry["shape"])) for entry in entries)
