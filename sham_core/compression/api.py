"""compress(): apply a method to a Keras model's dense and/or conv kernels, then retrain it."""
from dataclasses import dataclass, replace

import keras
import numpy as np
from keras import ops

from . import retrain
from .group import compress_group
from .coverage import coverage
from .layers import init_reparametrized, plain_clone, plain_weights, read_kernel, reparametrized_layer
from .methods import check_params, check_prune_quantize, get_method
from .selection import SELECTIONS, all_layers, check_float, check_unique_names, layers_of_kind


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
             keep_best=True, higher_is_better=None):
    """Compress ``model``'s selected kernels with ``method`` and retrain for ``epochs``.

    layers: "dense", "conv", or "both" (then ``method`` and ``params`` are dicts keyed by
    "conv" and "dense"). train, test: ``(x, y)``, needed when epochs > 0 and for metrics.
    optimizer: for the retrained weights; default a fresh copy of the model's compiled one.
    lr_cumulative: the codebook's learning rate (see layers.py for the rule).
    patience: epochs without improvement of the loss on a seeded 10 % of ``train`` (never
    ``test``) before stopping, keeping the best epoch; 0 never stops early.
    verbose: Keras' fit verbosity (2: one line per epoch).
    keep_best: end with the epoch whose metric on a seeded 10 % of ``train`` is best, epoch 0
    (compressed, not retrained) included, so that retraining never makes the model worse there;
    False keeps the last epoch. Retraining stops at a divergence (see retrain.fit; the history
    says which epoch was kept and whether it diverged). higher_is_better: the metric's
    direction when its name is not a known one (sham_core.metrics).
    prune_quantize: how pr_X methods quantize: "survivors" (the weights pruning kept) or
    "study" (the whole pruned matrix, zeros included, then masked, as the study's code does);
    for layers="both", a str applies to both kinds, or give {"conv": ..., "dense": ...}.
    Only the selected layers (kernels, biases) are retrained; every other layer is frozen,
    and so are slr factorizations (the study does not retrain them).
    The input model is left untouched.
    """
    plan = _plan(model, method, layers, params, prune_quantize)
    if epochs < 0:
        raise ValueError(f"epochs must be 0 (no retraining) or more, got {epochs}")
    if epochs and train is None:
        raise ValueError("epochs > 0 needs train=(x, y) to retrain on")
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    records = [record for kind, meth, prm, mode in plan
               for record in compress_group(meth, prm, _named_kernels(model, kind), rng, mode)]
    metric, before = retrain.evaluate(model, test, batch_size)
    history = {"train": [], "test": []}
    retrained = epochs > 0 and any(record.factors is None for record in records)
    if retrained:
        opt = retrain.fresh_optimizer(model, optimizer)
        trainable = _retrainable(model, records, opt, lr_cumulative)
        retrain.compile_like(trainable, model, opt)
        _, after_compress = retrain.evaluate(trainable, test, batch_size)
        history = retrain.fit(trainable, train, test, epochs, batch_size, patience, seed, verbose, keep_best,
                              higher_is_better)
        records = _read_back(trainable, records)
    compressed = _baked(model, records, trainable if retrained else None)
    _, after_retrain = retrain.evaluate(compressed, test, batch_size)
    if not retrained:
        after_compress = after_retrain
    return CompressionResult(compressed, records, history, before, after_compress, after_retrain, metric,
                             coverage(compressed, records))


def _plan(model, method, layers, params, prune_quantize="survivors"):
    """Validate the request; return [(kind, Method, checked params, prune_quantize mode), ...]."""
    if layers not in SELECTIONS:
        raise ValueError(f"layers must be one of {', '.join(SELECTIONS)}, got {layers!r}")
    check_unique_names(model)
    check_float(model)
    if layers == "both":
        if not (isinstance(method, dict) and isinstance(params, dict) and {"conv", "dense"} <= method.keys()
                and {"conv", "dense"} <= params.keys()):
            raise ValueError('layers="both" needs method={"conv": ..., "dense": ...} and '
                             'params={"conv": {...}, "dense": {...}}')
        kinds = [("conv", method["conv"], params["conv"]), ("dense", method["dense"], params["dense"])]
    else:
        kinds = [(layers, method, params)]
    plan = []
    for kind, name, prm in kinds:
        meth = get_method(name)
        if kind not in meth.kinds:
            raise ValueError(f"method {meth.name!r} applies to {', '.join(meth.kinds)} layers only, not {kind}")
        layers_of_kind(model, kind)
        plan.append((kind, meth, check_params(meth, prm), check_prune_quantize(meth, _mode_of(prune_quantize, kind))))
    return plan


def _mode_of(prune_quantize, kind):
    """The prune_quantize mode of one kind: a str applies to every kind, a dict names them (default survivors)."""
    if isinstance(prune_quantize, dict):
        unknown = set(prune_quantize) - {"conv", "dense"}
        if unknown:
            raise ValueError(f"prune_quantize keys must be 'conv' and/or 'dense', got {sorted(unknown)}")
        return prune_quantize.get(kind, "survivors")
    return prune_quantize


def _named_kernels(model, kind):
    return [(layer.name, kind, ops.convert_to_numpy(layer.kernel)) for layer in layers_of_kind(model, kind)]


def _retrainable(model, records, optimizer, lr_cumulative):
    """A copy of ``model`` whose compressed layers are reparametrized and all other layers frozen."""
    by_name = {record.name: record for record in records}
    grad_scale = lr_cumulative / retrain.learning_rate(optimizer)
    codebooks = {}
    for record in records:
        if record.codebook is not None and id(record.codebook) not in codebooks:
            codebooks[id(record.codebook)] = keras.Variable(record.codebook[1:], name=f"codebook_{record.kind}")

    def clone(layer):
        record = by_name.get(layer.name)
        if record is None or record.factors is not None:
            return plain_clone(layer)
        return reparametrized_layer(layer, record, codebooks.get(id(record.codebook)), grad_scale)

    copy = keras.models.clone_model(model, clone_function=clone, recursive=True)
    for original, layer in _pairs(model, copy):
        record = by_name.get(original.name)
        if record is None or record.factors is not None:
            layer.set_weights(plain_weights(original))
            layer.trainable = False
            if record is not None:
                layer.kernel.assign(record.kernel)
        else:
            init_reparametrized(layer, original, record)
    return copy


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


def _read_back(trainable, records):
    """The records updated with the retrained codebooks and free weights."""
    layers = {layer.name: layer for layer in all_layers(trainable)}
    codebooks = {}
    updated = []
    for record in records:
        layer = layers[record.name]
        if record.codebook is not None:
            key = id(record.codebook)
            if key not in codebooks:
                codebooks[key] = np.concatenate([[0], ops.convert_to_numpy(layer.codebook)]).astype(np.float32)
            codebook = codebooks[key]
            updated.append(replace(record, codebook=codebook, kernel=codebook[record.indices]))
        elif record.mask is not None:
            updated.append(replace(record, kernel=read_kernel(layer)))
        else:
            updated.append(record)
    return updated


def _baked(model, records, source=None):
    """A standard-layer copy of ``model`` with the compressed kernels, compiled like it, LoRA merged.

    Weights other than the compressed kernels come from ``source`` (the retrained copy) if given.
    """
    by_name = {record.name: record for record in records}
    copy = keras.models.clone_model(model, clone_function=plain_clone, recursive=True)
    sources = {id(original): layer for original, layer in _pairs(model, source)} if source else {}
    for original, layer in _pairs(model, copy):
        record, weights_from = by_name.get(original.name), sources.get(id(original), original)
        if record is None:
            layer.set_weights(plain_weights(weights_from))
            continue
        layer.kernel.assign(record.kernel)
        if layer.bias is not None:
            layer.bias.assign(weights_from.bias)
    retrain.compile_like(copy, model)
    return copy
