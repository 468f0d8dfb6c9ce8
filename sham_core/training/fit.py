"""Baseline training from an experiment's ``train:`` settings: optimizer, lr steps, augmentation, early stopping.

Settings need epochs, batch_size and learning_rate; the rest default as in ``DEFAULTS``.
"""
import math
import time

import keras
import numpy as np

from ..models.compiled import compile_settings, compiled_metrics, evaluate
from ..data import hold_out
from ..common.loading import CONFIG_OPTION, load_model
from ..common.metrics import concordance_index, metric_short_name

LOSSES = {"classification": "sparse_categorical_crossentropy", "regression": "mse"}
METRICS = {"classification": ["accuracy"], "regression": []}
REQUIRED = ("epochs", "batch_size", "learning_rate")
OPTIMIZERS = ("adam", "sgd")
DEFAULTS = {"optimizer": "adam", "momentum": 0.9, "nesterov": True, "lr_schedule": [], "augment": False,
            "patience": 0, "validation_fraction": None}
SHIFT = 0.125  # the study's augmentation: shifts of up to 1/8 of the image, plus left-right flips


def resolve(settings):
    """``settings`` with the defaults filled in and checked; validation_fraction defaults to 0.1 with patience."""
    missing = [key for key in REQUIRED if key not in settings]
    if missing:
        raise ValueError(f"the training settings need {', '.join(missing)}")
    s = dict(DEFAULTS, **settings)
    if s["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be {' or '.join(map(repr, OPTIMIZERS))}, got {s['optimizer']!r}")
    if s["validation_fraction"] is None:
        s["validation_fraction"] = 0.1 if s["patience"] else 0.0
    if not 0 <= s["validation_fraction"] < 1:
        raise ValueError(f"validation_fraction must be in [0, 1), got {s['validation_fraction']}")
    if s["patience"] and not s["validation_fraction"]:
        raise ValueError("patience (early stopping) needs validation_fraction > 0: it never looks at the test split")
    _check_schedule(s["lr_schedule"])
    return s


def _check_schedule(schedule):
    """lr_schedule: [[epoch, lr], ...] with increasing epochs >= 1 and positive rates."""
    epochs = [pair[0] for pair in schedule if len(pair) == 2 and pair[1] > 0]
    if len(epochs) != len(schedule) or epochs != sorted(set(epochs)) or (epochs and epochs[0] < 1):
        raise ValueError(f"lr_schedule must be [[epoch, lr], ...] with increasing epochs >= 1 and lr > 0, "
                         f"e.g. [[80, 0.01], [160, 0.001]]; got {schedule}")


def make_optimizer(settings):
    """A fresh Adam, or SGD with (Nesterov) momentum, at the settings' initial learning rate."""
    s = resolve(settings)
    if s["optimizer"] == "sgd":
        return keras.optimizers.SGD(s["learning_rate"], momentum=s["momentum"], nesterov=s["nesterov"])
    return keras.optimizers.Adam(s["learning_rate"])


def compile_for(model, task, settings):
    """Compile with the settings' optimizer and the task's loss and metric (accuracy, or the loss itself: MSE)."""
    if task not in LOSSES:
        raise ValueError(f"task must be one of {', '.join(LOSSES)}, got {task!r}")
    model.compile(make_optimizer(settings), LOSSES[task], metrics=METRICS[task])


def train_baseline(model, task, train, test, settings, seed, callbacks=()):
    """Fit a compiled model by the settings' recipe, seeded; return its metrics, epochs run and seconds.

    Early stopping watches a seeded validation part of ``train``, never ``test``. callbacks: more
    Keras callbacks for the fit (after the recipe's).
    """
    s = resolve(settings)
    keras.utils.set_random_seed(seed)
    fit_part, validation = hold_out(train, s["validation_fraction"], seed)
    start = time.perf_counter()
    x, y = _fit_inputs(fit_part, s, seed)
    history = model.fit(x, y, validation_data=validation, epochs=s["epochs"],
                        batch_size=None if s["augment"] else s["batch_size"], callbacks=[*_callbacks(s), *callbacks],
                        verbose=2)
    seconds = time.perf_counter() - start
    return dict(baseline_metrics(model, task, train, test, s["batch_size"]), epochs=len(history.epoch),
                seconds=seconds)


def baseline_metrics(model, task, train, test, batch_size):
    """The compiled metric on test and train, plus the concordance index on test for regression."""
    metric, test_value = evaluate(model, test, batch_size)
    metrics = {"metric": metric, "test": test_value, "train": evaluate(model, train, batch_size)[1]}
    if task == "regression":
        metrics["ci_test"] = concordance_index(test[1], model.predict(test[0], batch_size=batch_size, verbose=0))
    return metrics


def _callbacks(s):
    """The lr steps and early stopping (restoring the best weights) that the settings ask for."""
    callbacks = []
    if s["lr_schedule"]:
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda epoch: step_rate(s, epoch)))
    if s["patience"]:
        callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=s["patience"],
                                                       restore_best_weights=True))
    return callbacks


def step_rate(settings, epoch):
    """The learning rate of ``epoch`` (0-based): the last lr_schedule step reached, else the initial rate."""
    rate = settings["learning_rate"]
    for start, step in settings["lr_schedule"]:
        if epoch >= start:
            rate = step
    return rate


def _fit_inputs(data, s, seed):
    """model.fit's x and y: the arrays, or augmented image batches (and no y) when the settings ask for them."""
    if not s["augment"]:
        return data
    x, y = data
    if isinstance(x, (list, tuple)) or np.ndim(x) != 4:
        raise ValueError("augment flips and shifts images (N, height, width, channels); "
                         "set augment: false for this dataset")
    return AugmentedImages(x, y, s["batch_size"], seed), None


class AugmentedImages(keras.utils.PyDataset):
    """Shuffled training batches, each image flipped left-right at random and shifted by up to 1/8, zero-filled."""

    def __init__(self, x, y, batch_size, seed):
        super().__init__()
        self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
        self.epoch = 0
        self.order = np.random.default_rng((seed, 0)).permutation(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        batch = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng((self.seed, self.epoch, index))
        return flip_and_shift(self.x[batch], rng), self.y[batch]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = np.random.default_rng((self.seed, self.epoch)).permutation(len(self.x))


def flip_and_shift(images, rng, shift=SHIFT):
    """Images (N, H, W, C), each flipped left-right with probability 1/2 and moved by whole pixels up to ``shift``."""
    n, h, w = images.shape[:3]
    dy, dx = round(shift * h), round(shift * w)
    flipped = np.where((rng.random(n) < 0.5)[:, None, None, None], images[:, :, ::-1], images)
    padded = np.pad(flipped, ((0, 0), (dy, dy), (dx, dx), (0, 0)))
    rows = rng.integers(0, 2 * dy + 1, n)[:, None] + np.arange(h)
    cols = rng.integers(0, 2 * dx + 1, n)[:, None] + np.arange(w)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def load_model_file(path, task, settings, imports=()):
    """Load your own .keras/.h5 model; compile it for the task if it was saved uncompiled.

    A classification model compiled without an accuracy metric gets one, first: it is what it is scored on.
    imports: the experiment's modules that define its custom layers, imported first; a class still
    missing is a ValueError naming it and the experiment's imports: option.
    """
    model = load_model(path, imports, CONFIG_OPTION)
    if not model.compiled:
        compile_for(model, task, settings)
    elif task == "classification" and not _has_accuracy(model):
        compiled = compile_settings(model)
        compiled["metrics"] = ["accuracy", *(compiled.get("metrics") or [])]
        model.compile(**compiled)
    return model


def _has_accuracy(model):
    """Whether the model's compiled metrics include an accuracy (any kind: accuracy, sparse_categorical_...)."""
    return any(metric_short_name(name).endswith("accuracy") for name in compiled_metrics(model))
