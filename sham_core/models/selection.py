"""Which kernels a compression touches, found wherever they sit in the model, and named by their path.

Kinds: "dense" (Dense, EinsumDense: the attention projections too), "conv" (Conv1D/2D/3D, their
Transpose, DepthwiseConv1D/2D, both kernels of SeparableConv1D/2D), "embedding" (Embedding) and
"recurrent" (the kernel and recurrent kernel of LSTM, GRU and SimpleRNN cells). A kernel is found
inside nested models, wrappers (TimeDistributed, Bidirectional) and custom layers. Its name is the
path of its layer (``block1/attention/query``), plus ``/attribute`` for a layer with two kernels
(``sep/depthwise_kernel``, ``lstm/lstm_cell/recurrent_kernel``).

A selection is "dense", "conv", "both" (the study's three), "embedding", "recurrent", "all", or
{"include": regex, "exclude": regex} on the kernels' names (every kind, re.search).
"""
import re
from dataclasses import dataclass

import keras

from ..common.kinds import KINDS, SELECTIONS

_L = keras.layers

# (layer classes, kind, kernel attributes), in the order a layer is matched.
_KERNELS = (
    ((_L.Dense, _L.EinsumDense), "dense", ("kernel",)),
    ((_L.SeparableConv1D, _L.SeparableConv2D), "conv", ("depthwise_kernel", "pointwise_kernel")),
    ((_L.Conv1D, _L.Conv2D, _L.Conv3D, _L.Conv1DTranspose, _L.Conv2DTranspose, _L.Conv3DTranspose,
      _L.DepthwiseConv1D, _L.DepthwiseConv2D), "conv", ("kernel",)),
    ((_L.Embedding,), "embedding", ("embeddings",)),
    ((_L.LSTMCell, _L.GRUCell, _L.SimpleRNNCell), "recurrent", ("kernel", "recurrent_kernel")),
)


@dataclass(frozen=True)
class Slot:
    """One compressible kernel: its name, kind, the layer holding it and the attribute it is read from."""

    name: str
    kind: str
    layer: object
    attribute: str

    @property
    def value(self):
        """The kernel as the layer computes with it (LoRA merged), as numpy."""
        return keras.ops.convert_to_numpy(getattr(self.layer, self.attribute))

    @property
    def variable(self):
        """The variable that stores the kernel (``_kernel`` behind Dense's ``kernel`` property)."""
        stored = getattr(self.layer, "_" + self.attribute, None)
        if isinstance(getattr(type(self.layer), self.attribute, None), property) and stored is not None:
            return stored
        return getattr(self.layer, self.attribute)


def kernel_kind(layer):
    """(kind, kernel attributes) of a layer that holds compressible kernels, else (None, ())."""
    for classes, kind, attributes in _KERNELS:
        if isinstance(layer, classes):
            return kind, attributes
    return None, ()


def kernel_slots(model):
    """Every compressible kernel of ``model`` (nested layers included), each layer once, in model order."""
    slots, seen = [], set()
    for path, layer in _every_layer(model):
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        kind, attributes = kernel_kind(layer)
        if kind is None or not layer.built:
            continue
        for attribute in attributes:
            name = path if len(attributes) == 1 else f"{path}/{attribute}"
            slots.append(Slot(name, kind, layer, attribute))
    return slots


def selected_slots(model, selection, names=None):
    """{kind: [Slot]} of the kernels ``selection`` takes (kinds without any left out); ValueError if none.

    names: {"include": regex, "exclude": regex} that every kernel taken must also pass (an
    experiment's ``layers:``, for a model you bring).
    """
    check_selection(selection)
    slots = kernel_slots(model)
    if isinstance(selection, dict):
        slots = _by_name(slots, selection)
    else:
        kinds = {"both": ("dense", "conv"), "all": KINDS}.get(selection, (selection,))
        slots = [slot for slot in slots if slot.kind in kinds]
    if names:
        check_selection(names)
        slots = _by_name(slots, names)
    if not slots:
        also = f" with names {names}" if names else ""
        raise ValueError(f"the model has no kernel that layers={selection!r} selects{also}; "
                         f"it has: {_kinds_text(kernel_slots(model))}")
    grouped = {}
    for slot in slots:
        grouped.setdefault(slot.kind, []).append(slot)
    return grouped


def _by_name(slots, names):
    """The slots whose names match ``names["include"]`` (re.search; all without it) and not ``names["exclude"]``."""
    include = re.compile(names.get("include") or "")
    exclude = re.compile(names["exclude"]) if names.get("exclude") else None
    return [slot for slot in slots if include.search(slot.name) and not (exclude and exclude.search(slot.name))]


def check_selection(selection):
    """ValueError unless ``selection`` is one of SELECTIONS or {"include": regex, "exclude": regex}."""
    if isinstance(selection, dict):
        unknown = set(selection) - {"include", "exclude"}
        if unknown or not selection:
            raise ValueError(f"a layers selection by name takes include and/or exclude (regexes on kernel names), "
                             f"got {sorted(selection)}")
        for key, pattern in selection.items():
            try:
                re.compile(pattern or "")
            except (re.error, TypeError) as error:
                raise ValueError(f"layers {key}: {pattern!r} is not a regular expression ({error})") from None
    elif selection not in SELECTIONS:
        raise ValueError(f"layers must be one of {', '.join(SELECTIONS)} or {{include: regex, exclude: regex}}, "
                         f"got {selection!r}")


def _kinds_text(slots):
    counts = {}
    for slot in slots:
        counts[slot.kind] = counts.get(slot.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no compressible kernel"


def all_layers(model):
    """Every layer of ``model``, nested models flattened, in order."""
    for _, layer in layer_paths(model):
        yield layer


def check_unique_names(model):
    """Layers are stored by their name in a model file, and kernels named by path: both must be unique."""
    names = [layer.name for layer in all_layers(model)] + [slot.name for slot in kernel_slots(model)]
    duplicates = sorted({name for name in names if names.count(name) > 1} - _shared_names(model))
    if duplicates:
        raise ValueError(f"layer names must be unique to compress the model; repeated: {', '.join(duplicates)}")


def _shared_names(model):
    """Names that repeat only because a unit layer is also its own slot (a top-level Dense is both)."""
    units = {layer.name for layer in all_layers(model)}
    return {slot.name for slot in kernel_slots(model) if slot.name in units and slot.layer.name == slot.name}


def check_float(model):
    """ValueError naming the first quantized layer (model.quantize: int8, int4, float8, ...) or unmergeable LoRA.

    A quantized kernel holds integer codes and scales, not weights: compressing them would be wrong.
    LoRA is merged into the kernels of the layers the model lists (see layers.plain_weights), not
    into layers inside a custom layer, whose copy is made by the custom layer itself.
    """
    for path, layer in layer_paths(model):
        for inner_path, inner in [(path, layer), *_sublayers(layer, path)]:
            mode = getattr(inner, "quantization_mode", None)
            if mode:
                raise ValueError(f"layer {inner_path} ({type(inner).__name__}) is {mode}-quantized "
                                 f"(model.quantize): its kernel holds {mode} codes and scales, not weights; "
                                 f"compress the float model, before model.quantize()")
            if inner is not layer and getattr(inner, "lora_enabled", False):
                raise ValueError(f"layer {inner_path} ({type(inner).__name__}) inside the custom layer {path} has "
                                 f"LoRA enabled, which only layers the model lists directly can merge; merge it "
                                 f"into its kernel first (kernel + lora_kernel_a @ lora_kernel_b * lora_alpha / "
                                 f"lora_rank) and build the layer without LoRA")


def layer_paths(model, prefix=""):
    """(path, layer) of every layer of ``model``, nested models flattened, the path through them joined by /."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from layer_paths(layer, f"{prefix}{layer.name}/")
        else:
            yield f"{prefix}{layer.name}", layer


def _every_layer(model):
    """(path, layer) of every layer of ``model`` and every layer inside one, depth first."""
    for path, layer in layer_paths(model):
        yield path, layer
        yield from _sublayers(layer, path)


def _sublayers(layer, path):
    """(path, sublayer) of the layers a layer holds inside it (a custom layer's Dense, an RNN's cell, ...)."""
    for inner in layer._flatten_layers(include_self=False, recursive=False):
        inner_path = f"{path}/{inner.name}"
        yield inner_path, inner
        yield from _sublayers(inner, inner_path)
