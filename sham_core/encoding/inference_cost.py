"""What a compressed model costs at inference, next to the uncompressed one, measured in one job.

Latency: whole-network, batch 1 and 64, the compressed model run from its .sham file
(Dense layers from their stored bytes) and the uncompressed baseline, both by eager calls.
Peak memory: a fresh process that loads the file and predicts, measured from outside.
"""
import os
import tempfile

import numpy as np

from ..data import load_split
from .latency import BATCH_SIZES, keras_predict, model_peak_memory_mb, paired_latency

SAMPLES = 64  # inputs for the memory child: enough for one batch of 64


def latency_models(artifact_path, baseline_path, data_path):
    """(predicts, x) for ``latencies``: both models loaded and called once (built, traced), so that
    what is left to time is their calls alone."""
    import keras

    from ..artifact import load
    x = _at_least(load_split(data_path, "test")[0], max(BATCH_SIZES))
    predicts = {"compressed": load(artifact_path).predict,
                "baseline": keras_predict(keras.saving.load_model(baseline_path, compile=False))}
    first = [part[:1] for part in x] if isinstance(x, list) else x[:1]
    for predict in predicts.values():
        predict(first)
    return predicts, x


def latencies(predicts, x):
    """{"compressed": {b: s}, "baseline": {b: s}, "ratio": {b: compressed / baseline}} of latency_models' pair."""
    timed = paired_latency(predicts, x)
    compressed, baseline = timed["compressed"], timed["baseline"]
    return {"compressed": compressed, "baseline": baseline,
            "ratio": {b: compressed[b] / baseline[b] for b in compressed}}


def _at_least(x, n):
    """``x`` with its rows repeated up to ``n`` rows when it has fewer (latency needs a full batch)."""
    if isinstance(x, (list, tuple)):
        return [_at_least(part, n) for part in x]
    return x if len(x) >= n else np.resize(x, (n, *x.shape[1:]))


def peak_memory(kind, path, data_path, imports=()):
    """{"peak_mb"}: the peak of a fresh process that loads the model and predicts the first test samples.

    imports: modules the child imports first (those of the model's custom layers).
    """
    x, _ = load_split(data_path, "test")
    with tempfile.TemporaryDirectory() as folder:
        if isinstance(x, (list, tuple)):
            inputs = os.path.join(folder, "inputs.npz")
            np.savez(inputs, **{f"x_{i}": part[:SAMPLES] for i, part in enumerate(x)})
        else:
            inputs = os.path.join(folder, "inputs.npy")
            np.save(inputs, x[:SAMPLES])
        return {"peak_mb": model_peak_memory_mb(kind, path, inputs, imports=imports)}
