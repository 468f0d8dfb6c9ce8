"""Evaluation and retraining with the model's own compile settings and plain ``model.fit``."""
import keras
from keras import ops

from ..data.store import hold_out


def compile_settings(model):
    """Fresh objects for ``model.compile(**settings)``: the model's optimizer, loss and metrics."""
    config = model.get_compile_config()
    return keras.saving.deserialize_keras_object(config) if config else {}


def fresh_optimizer(model, optimizer):
    """The optimizer for retraining: ``optimizer`` (name, config or instance) or the model's own, unbuilt."""
    if optimizer is None:
        settings = compile_settings(model)
        if "optimizer" not in settings:
            raise ValueError("the model is not compiled: compile it (optimizer, loss, metrics) "
                             "or pass optimizer= to retrain it")
        return settings["optimizer"]
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return type(optimizer).from_config(optimizer.get_config())
    return keras.optimizers.get(optimizer)


def learning_rate(optimizer):
    """The optimizer's current learning rate as a float."""
    return float(ops.convert_to_numpy(optimizer.learning_rate))


def compile_like(target, source, optimizer=None):
    """Compile ``target`` with ``source``'s loss and metrics (and optimizer, unless one is given)."""
    settings = compile_settings(source)
    if not settings:
        return
    if optimizer is not None:
        settings["optimizer"] = optimizer
    target.compile(**settings)


def evaluate(model, data, batch_size):
    """(name, value) of ``model``'s first compiled metric on ``data = (x, y)``, else of its loss."""
    if data is None:
        return None, None
    if not model.compiled:
        raise ValueError("the model is not compiled: compile it with a loss (and metrics) to evaluate it")
    scores = model.evaluate(*data, batch_size=batch_size, verbose=0, return_dict=True)
    name = metric_name(scores)
    return name, float(scores[name])


def metric_name(scores):
    """The key of the first compiled metric in an evaluate/fit result, or "loss" when there is none."""
    names = [name for name in scores if name != "loss" and not name.startswith("val_")]
    return names[0] if names else "loss"


VALIDATION_FRACTION = 0.1


def fit(model, train, test, epochs, batch_size, patience, seed, verbose=0):
    """Retrain with ``model.fit``; return per-epoch {"train": [...], "test": [...]} of the metric.

    With ``patience`` > 0, stop once the metric on a seeded 10 % of the training data
    (never the test split) has not improved for that many epochs, and keep the best
    epoch's weights. The test metric is recorded after every epoch.
    """
    fit_data, validation = hold_out(train, VALIDATION_FRACTION if patience else 0, seed)
    test_scores = TestScores(test, batch_size) if test is not None else None
    callbacks = [test_scores] if test_scores else []
    if patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                       restore_best_weights=True))
    logs = model.fit(*fit_data, validation_data=validation, epochs=epochs, batch_size=batch_size,
                     callbacks=callbacks, verbose=verbose).history
    return {"train": [float(v) for v in logs[metric_name(logs)]],
            "test": test_scores.values if test_scores else None}


class TestScores(keras.callbacks.Callback):
    """The test metric after every epoch (what the history reports; never used to stop)."""

    def __init__(self, data, batch_size):
        super().__init__()
        self.data, self.batch_size, self.values = data, batch_size, []

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(evaluate(self.model, self.data, self.batch_size)[1])
