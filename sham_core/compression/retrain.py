"""Evaluation and retraining with the model's own compile settings and plain ``model.fit``.

Retraining can keep its best epoch (``keep_best``), judged on a seeded validation part of the
training data, epoch 0 (compressed, not retrained) included, and it stops at a divergence
(a non-finite loss, non-finite or constant outputs), which it records.
"""
import keras
import numpy as np
from keras import ops

from ..data.store import hold_out, take_rows
from ..common import metrics
from ..models.compiled import compile_settings, evaluate, metric_name


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


def own_optimizer(model, lr_scale):
    """A fresh copy of the model's compiled optimizer at ``lr_scale`` times its learning rate."""
    optimizer = fresh_optimizer(model, None)
    config = optimizer.get_config()
    if not isinstance(config.get("learning_rate"), (int, float)):
        raise ValueError(f"the model's {type(optimizer).__name__} has a learning-rate schedule, not a rate to scale; "
                         f"name the retraining's optimizer and learning_rate in the experiment's retrain:")
    config["learning_rate"] *= lr_scale
    return type(optimizer).from_config(config)


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


VALIDATION_FRACTION = 0.1
DIVERGENCE_CHECK_ROWS = 1024  # training rows whose outputs are checked when no validation part is held out


def fit(model, train, test, epochs, batch_size, patience, seed, verbose=0, keep_best=True, higher_is_better=None):
    """Retrain with ``model.fit``; return the per-epoch history of the metric and what was kept.

    A seeded 10 % of the training data (never the test split) is held out when ``patience``
    or ``keep_best`` asks for it. With ``patience`` > 0, stop once its loss has not improved
    for that many epochs. With ``keep_best``, end with the weights of the epoch whose
    validation metric is best, epoch 0 (compressed, not retrained) included, diverged epochs
    excluded. Training stops at the first diverged epoch (see ``divergence``).
    higher_is_better: the metric's direction when its name is not a known one.
    Returns {"train": [...], "test": [...] (None without test), "validation": [epoch 0, 1, ...]
    (None without a validation part), "kept_epoch": the epoch whose weights the model ends with,
    "diverged": None or "epoch N: why", "kept_diverged": whether those weights are diverged}.
    """
    held_out = VALIDATION_FRACTION if patience or keep_best else 0
    if held_out and not 0 < round(held_out * len(train[1])) < len(train[1]):
        raise ValueError(f"keep_best and patience judge epochs on {held_out:.0%} of the training data, which is "
                         f"no sample of {len(train[1])}; retrain on more data, or with keep_best=False and patience=0 "
                         f"(retrain: keep_best: false, patience: 0)")
    fit_data, validation = hold_out(train, held_out, seed)
    test_scores = TestScores(test, batch_size) if test is not None else None
    stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                             restore_best_weights=True) if patience else None
    watch = Watch(validation, _check_rows(fit_data), batch_size, keep_best, higher_is_better)
    watch.start(model)
    # Watch comes last: its restoring of the best epoch at the end overrides early stopping's.
    callbacks = [callback for callback in (test_scores, stopping, watch) if callback is not None]
    logs = model.fit(*fit_data, validation_data=validation, epochs=epochs, batch_size=batch_size,
                     callbacks=callbacks, verbose=verbose).history
    kept = watch.kept_epoch(stopping)
    return {"train": [float(v) for v in logs[metric_name(logs, model)]],
            "test": test_scores.values if test_scores else None,
            "validation": watch.values if validation is not None else None, "kept_epoch": kept,
            "diverged": watch.first_divergence(), "kept_diverged": kept in watch.diverged}


def _check_rows(data):
    """The first rows of the training data, whose outputs show a divergence when nothing is held out."""
    return take_rows(data, np.arange(min(len(data[1]), DIVERGENCE_CHECK_ROWS)))


def divergence(model, x, batch_size, loss=None):
    """Why ``model`` has diverged (a non-finite ``loss``, non-finite or constant outputs on x), or None."""
    if loss is not None and not np.isfinite(loss):
        return f"the training loss is {loss}"
    outputs = model.predict(x, batch_size=batch_size, verbose=0)
    for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
        out = np.reshape(ops.convert_to_numpy(out), (len(out), -1)).astype(np.float64)
        if not np.isfinite(out).all():
            return "non-finite outputs"
        if len(out) > 1 and (np.ptp(out, axis=0) <= 1e-6 * (1 + np.abs(out).max())).all():
            return "constant outputs (the same for every input)"
    return None


class Watch(keras.callbacks.Callback):
    """Scores every epoch on the validation part, stops at a divergence, and with ``keep_best`` restores the best."""

    def __init__(self, validation, check_rows, batch_size, keep_best, higher_is_better=None):
        super().__init__()
        self.validation, self.check_rows, self.batch_size = validation, check_rows, batch_size
        self.keep_best, self.configured = keep_best, higher_is_better
        self.values, self.best, self.epochs, self.diverged = [], None, 0, {}

    def start(self, model):
        """Score epoch 0 (the compressed model, not retrained) before fitting."""
        self.set_model(model)
        self._score(None)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs = epoch + 1
        if self._score((logs or {}).get("loss")):
            self.model.stop_training = True  # a retraining that diverged does not come back

    def _score(self, loss):
        """Record this epoch's validation metric, keep its weights if best and undiverged; return its divergence."""
        why = divergence(self.model, (self.validation or self.check_rows)[0], self.batch_size, loss)
        if why:
            self.diverged[self.epochs] = why
            print(f"epoch {self.epochs} diverged: {why}" + ("; it will not be kept" if self.keep_best else ""))
        if self.validation is None:
            return why
        name, value = evaluate(self.model, self.validation, self.batch_size)
        self.values.append(value)
        if self.keep_best and not why and np.isfinite(value) and (
                self.best is None or (value > self.best[1] if metrics.higher_is_better(name, self.configured)
                                      else value < self.best[1])):
            self.best = (self.epochs, value, [ops.convert_to_numpy(v) for v in self.model.weights])
        return why

    def first_divergence(self):
        """The first diverged epoch as "epoch N: why" (epoch 0: the compressed model, not retrained), or None."""
        return next((f"epoch {epoch}: {why}" for epoch, why in sorted(self.diverged.items())), None)

    def on_train_end(self, logs=None):
        if self.keep_best and self.best is not None:
            for variable, value in zip(self.model.weights, self.best[2]):
                variable.assign(value)

    def kept_epoch(self, early_stopping=None):
        """The epoch whose weights the model ended with (early stopping's restored one, without keep_best)."""
        if self.keep_best and self.best is not None:
            return self.best[0]
        if early_stopping is not None and early_stopping.best_weights is not None:
            return early_stopping.best_epoch + 1
        return self.epochs


class TestScores(keras.callbacks.Callback):
    """The test metric after every epoch (what the history reports; never used to stop)."""

    def __init__(self, data, batch_size):
        super().__init__()
        self.data, self.batch_size, self.values = data, batch_size, []

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(evaluate(self.model, self.data, self.batch_size)[1])
