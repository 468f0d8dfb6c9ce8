"""encode_run / encode_baseline: the content of a run's encoding.json (see the package docstring)."""
import json
import time

import keras
import numpy as np

from ..models.selection import all_layers, kernel_slots
from ..data import load_split
from ..formats import DIRECT
from ..common.measure import warm_up
from .data import model_kernel, stored_kernel
from .inference import compressed_inference
from .sizes import encode_parts, groups, layer_sizes, study_estimate
from .timing import machine, time_layer

IDENTITY = ("experiment", "model", "dataset", "layers_selection", "method", "params", "param_path")
REPEATS = 20
BUDGET_S = 0.2


def encode_run(model_path, npz_path, metrics, data_path, repeats=REPEATS, budget_s=BUDGET_S, baselines=(),
               before_timing=None):
    """Encode a compression run (compressed.keras, compressed.npz, its metrics.json dict).

    A failed run passes through as its identity fields, status "failed" and the error.
    Each matmul timing takes about ``budget_s`` seconds in at most ``repeats`` samples.
    Every direct format is encoded, and of the general-purpose baselines those named.
    before_timing: called once all else is done and the matmul timings start (a job takes the
    machine for itself there: see jobenv.JobSlot.exclusive); ``seconds`` leaves its time out.
    """
    start = time.perf_counter()
    identity = {key: metrics[key] for key in IDENTITY if key in metrics}
    if metrics.get("status") != "ok":
        return {**identity, "status": "failed", "error": metrics.get("error")}
    waited, before_timing = _timed(before_timing)
    model = keras.models.load_model(model_path, compile=False)
    with np.load(npz_path) as stored:
        kernels = [stored_kernel(stored, entry) for entry in metrics["layers"]]
    result = encode(model, kernels, load_split(data_path, "test"), metrics["task"], repeats, budget_s, baselines,
                    metrics.get("metric"), before_timing)
    return {**identity, **result, "seconds": time.perf_counter() - start - waited[0]}


def encode_baseline(model_path, data_path, task=None, repeats=REPEATS, budget_s=BUDGET_S, baselines=(),
                    before_timing=None):
    """Encode every compressible kernel of an uncompressed model (method "none"; see models.selection).

    task: "classification" or "regression"; by default read from the compiled loss.
    before_timing: as for encode_run.
    """
    start = time.perf_counter()
    waited, before_timing = _timed(before_timing)
    model = keras.models.load_model(model_path)
    kernels = [model_kernel(slot) for slot in kernel_slots(model)]
    if not kernels:
        raise ValueError(f"{model_path} has no compressible kernel (Dense, EinsumDense, conv, Embedding, "
                         f"recurrent) to encode")
    result = encode(model, kernels, load_split(data_path, "test"), task or model_task(model), repeats,
                    budget_s, baselines, before_timing=before_timing)
    return {**result, "seconds": time.perf_counter() - start - waited[0]}


def _timed(before_timing):
    """([seconds], hook): the hook calls ``before_timing`` and adds the seconds it took, so that an encoding's
    ``seconds`` leave out its wait for the machine (and for its memory child)."""
    waited = [0.0]

    def hook():
        if before_timing is not None:
            start = time.perf_counter()
            before_timing()
            waited[0] += time.perf_counter() - start
    return waited, hook


def model_task(model):
    """ "classification" if the compiled loss is a crossentropy, else "regression"."""
    config = model.get_compile_config() if model.compiled else None
    if not config or config.get("loss") is None:
        raise ValueError("the model is not compiled with a loss: pass task='classification' or 'regression'")
    return "classification" if "crossentropy" in json.dumps(config["loss"]).lower() else "regression"


def encode(model, kernels, data, task, repeats, budget_s, baselines=(), metric=None, before_timing=None):
    """Sizes, group psi, the study's estimates, compressed inference and matmul timings of ``kernels``
    (scored on the run's ``metric`` where numpy computes it alike: accuracy, MSE, MAE).

    The timings come last, after ``before_timing()``.
    """
    names = (*DIRECT, *baselines)
    encodings = {kernel.name: encode_parts(kernel.parts, names) for kernel in kernels}
    layers = [layer_sizes(kernel, encodings[kernel.name]) for kernel in kernels]
    model_weights = sum(int(np.prod(weight.shape)) for weight in model.weights)
    dense = [kernel for kernel in kernels if kernel.kind == "dense"]
    # Run from the stored bytes: the Dense layers the model lists (others keep their decoded kernel).
    units = {layer.name for layer in all_layers(model) if isinstance(layer, keras.layers.Dense)}
    dense_encodings = {kernel.name: encodings[kernel.name] for kernel in dense if kernel.name in units}
    inference = compressed_inference(model, dense_encodings, data, task, metric) if dense_encodings else []
    warm_up(DIRECT)
    if before_timing is not None:
        before_timing()
    matmul = [time_layer(kernel, encodings[kernel.name], repeats, budget_s) for kernel in dense]
    return {"status": "ok", "task": task, "layers": layers, **groups(layers, model_weights),
            "study_estimate": study_estimate(kernels), "machine": machine(), "matmul": matmul,
            "inference": inference}
