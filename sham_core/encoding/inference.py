"""Compressed inference: the test metric with Dense layers run from their encodings via fmt.matmul.

The encoded model is a clone whose compressed Dense layers are EncodedDense layers. It runs
eagerly, batch by batch (``model(x, training=False)``), because EncodedDense computes in numpy.
"""
import keras
import numpy as np
from keras import ops

from ..artifact.dense import EncodedDense
from ..common.metrics import metric_short_name

BATCH_SIZE = 256
TASKS = ("classification", "regression")


def encoded_model(model, encodings, fmt):
    """A clone of model with each Dense layer named in ``encodings`` run from its ``fmt`` encoding."""
    def clone(layer):
        """EncodedDense for an encoded layer; every other layer is shared, weights and all."""
        if layer.name not in encodings:
            return layer
        bias = ops.convert_to_numpy(layer.bias) if layer.use_bias else None
        return EncodedDense(encodings[layer.name][fmt], bias, layer.activation, name=layer.name)
    return keras.models.clone_model(model, clone_function=clone, recursive=True)


def outputs(model, x):
    """The model's outputs on x (an array or a list of arrays), called eagerly batch by batch."""
    inputs = x if isinstance(x, list) else [x]
    batches = []
    for start in range(0, len(inputs[0]), BATCH_SIZE):
        batch = [array[start:start + BATCH_SIZE] for array in inputs]
        batches.append(ops.convert_to_numpy(model(batch if isinstance(x, list) else batch[0], training=False)))
    return np.concatenate(batches)


def score(task, out, y, metric=None):
    """Accuracy (argmax, or a single unit > 0.5; integer or one-hot labels), or for regression the
    run's metric where it is MAE, else MSE, in numpy."""
    if task == "regression":
        error = out.astype(np.float64) - np.reshape(y, out.shape)
        return float(np.mean(np.abs(error))) if metric == "mae" else float(np.mean(error ** 2))
    predicted = out[:, 0] > 0.5 if out.shape[-1] == 1 else out.argmax(axis=-1)
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(-1)
    return float(np.mean(predicted == labels))


def inference_metric_name(task, metric=None):
    """What ``score`` computes: accuracy, mae or mse."""
    if task == "classification":
        return "accuracy"
    return "mae" if metric is not None and metric_short_name(metric) == "mae" else "mse"


def agree(task, metric, decoded):
    """Whether two metrics match: the same accuracy, or errors within a relative 1e-5."""
    if task == "classification":
        return metric == decoded
    return bool(np.isclose(metric, decoded, rtol=1e-5, atol=0))


def compressed_inference(model, encodings, data, task, metric=None):
    """One record per coded format: its metric, the decoded model's, and whether they agree.

    ``metric``: the run's metric name; a regression run scored on MAE is checked on MAE, any other
    on MSE (Huber and the like have parameters that numpy would have to copy), and the record names it.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    x, y = data
    name = inference_metric_name(task, metric)
    decoded = score(task, outputs(model, x), y, name)
    records = []
    for fmt in ("sham", "ham", "shamx", "hamx"):
        value = score(task, outputs(encoded_model(model, encodings, fmt), x), y, name)
        records.append({"format": fmt, "metric_name": name, "metric": value,
                        "decoded_metric": decoded, "equal": agree(task, value, decoded)})
    return records
