"""Baseline training and the default compile settings per task."""
import time

import keras

from .compression.retrain import evaluate

LOSSES = {"classification": "sparse_categorical_crossentropy", "regression": "mse"}
METRICS = {"classification": ["accuracy"], "regression": []}


def compile_for(model, task, learning_rate):
    """Compile with Adam and the task's loss and metric (accuracy, or the loss itself: MSE)."""
    model.compile(keras.optimizers.Adam(learning_rate), LOSSES[task], metrics=METRICS[task])


def train_baseline(model, train, test, epochs, batch_size, seed):
    """Fit a compiled model with fixed seeds; return its metrics (train and test metric, seconds)."""
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    history = model.fit(*train, validation_data=test, epochs=epochs, batch_size=batch_size, verbose=2)
    seconds = time.perf_counter() - start
    metric, test_value = evaluate(model, test, batch_size)
    _, train_value = evaluate(model, train, batch_size)
    return {"metric": metric, "test": test_value, "train": train_value, "epochs": len(history.epoch),
            "seconds": seconds}


def load_model_file(path, task, learning_rate):
    """Load your own .keras/.h5 model; compile it for the task if it was saved uncompiled."""
    model = keras.saving.load_model(path)
    if not model.compiled:
        compile_for(model, task, learning_rate)
    return model
