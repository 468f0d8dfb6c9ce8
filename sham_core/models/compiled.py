"""What a compiled Keras model says of itself: its compile settings, metric names and evaluation.

Shared by the baseline's training and the compression's retraining.
"""
import keras

from ..common import metrics


def compile_settings(model):
    """Fresh objects for ``model.compile(**settings)``: the model's optimizer, loss and metrics."""
    config = model.get_compile_config()
    return keras.saving.deserialize_keras_object(config) if config else {}


def evaluate(model, data, batch_size):
    """(name, value) of ``model``'s first compiled metric on ``data = (x, y)``, else of its loss.

    The name is short (mse, mae, accuracy): a loss is named by its function (mse, huber, ...).
    """
    if data is None:
        return None, None
    if not model.compiled:
        raise ValueError("the model is not compiled: compile it with a loss (and metrics) to evaluate it")
    scores = model.evaluate(*data, batch_size=batch_size, verbose=0, return_dict=True)
    key = metric_name(scores, model)
    return (loss_name(model) if key == "loss" else metrics.metric_short_name(key)), float(scores[key])


def metric_name(scores, model=None):
    """The key of the first compiled metric (in ``model``'s compile order) in an evaluate/fit result, else "loss"."""
    for name in compiled_metrics(model) if model is not None else []:
        if name in scores:
            return name
    names = [name for name in scores if name != "loss" and not name.startswith("val_")]
    return names[0] if names else "loss"


def compiled_metrics(model):
    """The names of the model's compiled metrics, in their compile order (nested per-output ones left out)."""
    names = []
    for metric in (model.get_compile_config() or {}).get("metrics") or []:
        if isinstance(metric, str):
            names.append(metric)
        elif isinstance(metric, dict) and isinstance(metric.get("config"), dict) and metric["config"].get("name"):
            names.append(metric["config"]["name"])
    return names


def metric_of(model):
    """The name ``evaluate`` gives the model's metric: its first compiled metric, else its loss (short names)."""
    names = compiled_metrics(model)
    return metrics.metric_short_name(names[0]) if names else loss_name(model)


def loss_name(model):
    """The short name of the model's compiled loss (mse, mae, huber, ...), or "loss" when it has none."""
    loss = (model.get_compile_config() or {}).get("loss")
    if isinstance(loss, dict):
        config = loss.get("config")
        loss = config if isinstance(config, str) else (config or {}).get("name") or loss.get("class_name")
    return metrics.metric_short_name(loss) if isinstance(loss, str) else "loss"
