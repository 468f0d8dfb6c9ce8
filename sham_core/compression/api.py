"""compress(): apply a method to a Keras model's selected kernels (see models/selection.py), then retrain it."""
from dataclasses import dataclass, replace

import keras
import numpy as np
from keras import ops

from . import retrain
from ..models.compiled import evaluate
from .group import compress_group
from .coverage import coverage
from .layers import plain_clone, plain_weights, reparametrize
from .methods import check_params, check_prune_quantize, get_method
from ..models.selection import (KINDS, all_layers, check_float, check_selection, check_unique_names, kernel_slots,
                                selected_slots)


@dataclass
class CompressionResult:
    """The compressed model, its compressed layers, the test metric at each stage, and what it covered.

    coverage: the share of the model's kernel parameters compressed and the layers left (see coverage.py).
    """

    model: keras.Model
    layers: list
    history: dict
    before: float | None
    after_compress: float | None
    after_retrain: float | None
    metric: str | None
    coverage: dict | None = None


def compress(model, method, layers, params, train=None, test=None, epochs=0, batch_size=128,
             optimizer=None, lr_cumulative=1e-3, patience=0, seed=1, verbose=0, prune_quantize="survivors",
             keep_best=True, higher_is_better=None, names=None):
    """Compress ``model``'s selected kernels with ``method`` and retrain for ``epochs``.

    layers: "dense", "conv", "both" (then ``method`` and ``params`` are dicts keyed by "conv"
    and "dense"), "embedding", "recurrent", "all", or {"include": regex, "exclude": regex} on
    kernel names (see models/selection.py); for the last two, ``method`` and ``params`` apply to every
    kind, or are dicts keyed by the kinds selected. Each kind is one group (one codebook).
    train, test: ``(x, y)``, needed when epochs > 0 and for metrics.
    optimizer: for the retrained weights; default a fresh copy of the model's compiled one.
    lr_cumulative: the codebook's learning rate (see layers.py for the rule).
    patience: epochs without improvement of the loss on a seeded 10 % of ``train`` (never
    ``test``) before stopping, keeping the best epoch; 0 never stops early.
    verbose: Keras' fit verbosity (2: one line per epoch).
    keep_best: end with the epoch whose metric on a seeded 10 % of ``train`` is best, epoch 0
    (compressed, not retrained) included, so that retraining never makes the model worse there;
    False keeps the last epoch. Retraining stops at a divergence (see retrain.fit; the history
    says which epoch was kept and whether it diverged). higher_is_better: the metric's
    direction when its name is not a known one (sham_core.common.metrics). names: {"include": regex,
    "exclude": regex} on kernel names that every kernel the selection takes must also pass.
    prune_quantize: how pr_X methods quantize: "survivors" (the weights pruning kept) or
    "study" (the whole pruned matrix, zeros included, then masked, as the study's code does);
    for layers="both", a str applies to both kinds, or give {"conv": ..., "dense": ...}.
    Only the selected layers (kernels, biases) are retrained; every other layer is frozen,
    and so are slr factorizations (the study does not retrain them).
    The input model is left untouched.
    """
    plan = _plan(model, method, layers, params, prune_quantize, names)
    if epochs < 0:
        raise ValueError(f"epochs must be 0 (no retraining) or more, got {epochs}")
    if epochs and train is None:
        raise ValueError("epochs > 0 needs train=(x, y) to retrain on")
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    records = [record for kind, meth, prm, mode, slots in plan
               for record in compress_group(meth, prm, _named_kernels(slots), rng, mode)]
    metric, before = evaluate(model, test, batch_size)
    history = {"train": [], "test": []}
    retrained = epochs > 0 and any(record.factors is None for record in records)
    if retrained:
        opt = retrain.fresh_optimizer(model, optimizer)
        trainable = _retrainable(model, records, opt, lr_cumulative)
        retrain.compile_like(trainable, model, opt)
        _, after_compress = evaluate(trainable, test, batch_size)
        history = retrain.fit(trainable, train, test, epochs, batch_size, patience, seed, verbose, keep_best,
                              higher_is_better)
        records = _read_back(model, trainable, records)
    compressed, records = _baked(model, records, trainable if retrained else None)
    _, after_retrain = evaluate(compressed, test, batch_size)
    if not retrained:
        after_compress = after_retrain
    return CompressionResult(compressed, records, history, before, after_compress, after_retrain, metric,
                             coverage(compressed, records))


def _plan(model, method, layers, params, prune_quantize="survivors", names=None):
    """Validate the request; return [(kind, Method, checked params, prune_quantize mode, [Slot]), ...]."""
    check_selection(layers)
    check_unique_names(model)
    check_float(model)
    if layers == "both" and not (isinstance(method, dict) and isinstance(params, dict)
                                 and {"conv", "dense"} <= method.keys() and {"conv", "dense"} <= params.keys()):
        raise ValueError('layers="both" needs method={"conv": ..., "dense": ...} and '
                         'params={"conv": {...}, "dense": {...}}')
    grouped = selected_slots(model, layers, names)
    plan = []
    for kind, slots in grouped.items():
        name, prm = _of_kind(method, kind, "method"), _of_kind(params, kind, "params")
        meth = get_method(name)
        if kind not in meth.kinds:
            raise ValueError(f"method {meth.name!r} applies to {', '.join(meth.kinds)} kernels only, not {kind} "
                             f"({', '.join(slot.name for slot in slots[:3])}); select other layers")
        plan.append((kind, meth, check_params(meth, prm), check_prune_quantize(meth, _mode_of(prune_quantize, kind)),
                     slots))
    return plan


def _of_kind(value, kind, what):
    """``value`` for one kind: a dict keyed by kind gives its entry, anything else applies to every kind."""
    if isinstance(value, dict) and set(value) <= set(KINDS) and value:
        if kind not in value:
            raise ValueError(f"{what} has no entry for the {kind} kernels the selection takes; give one")
        return value[kind]
    return value


def _mode_of(prune_quantize, kind):
    """The prune_quantize mode of one kind: a str applies to every kind, a dict names them (default survivors)."""
    if isinstance(prune_quantize, dict):
        unknown = set(prune_quantize) - set(KINDS)
        if unknown:
            raise ValueError(f"prune_quantize keys must be kinds ({', '.join(KINDS)}), got {sorted(unknown)}")
        return prune_quantize.get(kind, "survivors")
    return prune_quantize


def _named_kernels(slots):
    return [(slot.name, slot.kind, slot.value) for slot in slots]


def _retrainable(model, records, optimizer, lr_cumulative):
    """A copy of ``model`` whose compressed kernels are reparametrized (retrained) and everything else frozen.

    The layers holding those kernels keep their other weights (biases) trainable; slr
    factorizations are frozen (the study does not retrain them).
    """
    copy = keras.models.clone_model(model, clone_function=plain_clone, recursive=True)
    for original, layer in _pairs(model, copy):
        layer.set_weights(plain_weights(original))
    slots = _slot_map(model, copy)
    retrained = [(slots[record.name], record) for record in records if record.factors is None]
    holders = {id(slot.layer) for slot, _ in retrained}
    for record in records:
        if record.factors is not None:
            slots[record.name].variable.assign(record.kernel)
    for layer in all_layers(copy):
        _freeze_except(layer, holders)
    grad_scale = lr_cumulative / retrain.learning_rate(optimizer)
    codebooks = {}
    for _, record in retrained:
        if record.codebook is not None and id(record.codebook) not in codebooks:
            codebooks[id(record.codebook)] = keras.Variable(record.codebook[1:], name=f"codebook_{record.kind}")
    copy.sham_codebooks = list(codebooks.values())  # tracked: the optimizer trains them
    by_layer = {}
    for slot, record in retrained:
        by_layer.setdefault(id(slot.layer), []).append((slot, record))
    for pairs in by_layer.values():
        reparametrize(pairs, codebooks, grad_scale)
    return copy


def _freeze_except(layer, holders):
    """Freeze ``layer`` but the weights the layers in ``holders`` (ids) own themselves, wherever they sit."""
    inner = layer._flatten_layers(include_self=True, recursive=True)
    keep = [sub for sub in inner if id(sub) in holders]
    if not keep:
        layer.trainable = False
        return
    owned = {id(weight) for sub in keep for weight in _own_weights(sub)}
    for sub in inner:
        if not any(id(k) in {id(s) for s in sub._flatten_layers(include_self=True, recursive=True)} for k in keep):
            sub.trainable = False
    for weight in layer.weights:
        if id(weight) not in owned:
            weight.trainable = False


def _own_weights(layer):
    """The weights ``layer`` holds itself, not through its sublayers."""
    inner = {id(w) for sub in layer._flatten_layers(include_self=False, recursive=True) for w in sub.weights}
    return [weight for weight in layer.weights if id(weight) not in inner]


def _pairs(model, copy):
    """(layer of ``model``, its copy) in a parallel walk of both; ValueError where they do not correspond.

    Not by name: clone_model renames an unnamed keras.Input (to its tensor's name, keras_tensor_N).
    """
    originals, copies = list(all_layers(model)), list(all_layers(copy))
    for original, layer in zip(originals, copies):
        renamed = original.name != layer.name and not isinstance(original, keras.layers.InputLayer)
        if renamed or not isinstance(layer, type(original)):
            raise ValueError(f"the copy of the model does not follow its layers: {original.name} "
                             f"({type(original).__name__}) faces {layer.name} ({type(layer).__name__}); "
                             f"give the model a get_config()/from_config() that rebuilds the same layers")
    if len(originals) != len(copies):
        raise ValueError(f"the copy of the model has {len(copies)} layers where the model has {len(originals)}; "
                         f"give the model a get_config()/from_config() that rebuilds the same layers")
    return list(zip(originals, copies))


def _read_back(model, trainable, records):
    """The records updated with the retrained codebooks and free weights."""
    slots = _slot_map(model, trainable)
    codebooks = {}
    updated = []
    for record in records:
        slot = slots[record.name]
        if record.codebook is not None:
            key = id(record.codebook)
            if key not in codebooks:
                trained = slot.layer._sham_codebook[slot.attribute]
                codebooks[key] = np.concatenate([[0], ops.convert_to_numpy(trained)]).astype(np.float32)
            codebook = codebooks[key]
            updated.append(replace(record, codebook=codebook, kernel=codebook[record.indices]))
        elif record.mask is not None:
            updated.append(replace(record, kernel=ops.convert_to_numpy(getattr(slot.layer, slot.attribute))))
        else:
            updated.append(record)
    return updated


def _baked(model, records, source=None):
    """(A standard-layer copy of ``model`` with the compressed kernels, compiled like it, LoRA merged; the records
    named as the copy names their kernels). Weights other than the kernels come from ``source`` if given.
    """
    copy = keras.models.clone_model(model, clone_function=plain_clone, recursive=True)
    sources = {id(original): layer for original, layer in _pairs(model, source)} if source else {}
    for original, layer in _pairs(model, copy):
        layer.set_weights(plain_weights(sources.get(id(original), original)))
    slots = _slot_map(model, copy)
    for record in records:
        slots[record.name].variable.assign(record.kernel)
    retrain.compile_like(copy, model)
    return copy, [replace(record, name=slots[record.name].name) for record in records]


def _slot_map(model, copy):
    """{kernel name in ``model``: the same kernel's Slot in ``copy``}, matched in order: a custom layer's copy
    names its inner layers afresh (dense_7 for dense_3), so its kernels' paths differ from the model's."""
    originals, copies = kernel_slots(model), kernel_slots(copy)
    same = len(originals) == len(copies) and all(
        (a.kind, a.attribute, tuple(a.variable.shape)) == (b.kind, b.attribute, tuple(b.variable.shape))
        for a, b in zip(originals, copies))
    if not same:
        raise ValueError("the copy of the model does not hold the same kernels in the same order; give its custom "
                         "layers a get_config()/from_config() that rebuilds the same layers")
    return {a.name: b for a, b in zip(originals, copies)}
