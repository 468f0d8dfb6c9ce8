"""Whole-network inference cost: latency of batches of 1 and 64, and peak memory of a fresh process.

Latency times a ``predict(batch)`` callable in this process. Peak memory runs a fresh child
and reads its maximum resident set size from outside, through a small launcher process: a
child forked straight from this (large) process would report this process's resident size
too, because Linux carries the parent's high-water mark across fork and exec.
"""
import os
import signal
import statistics
import subprocess
import sys
import time

from keras import ops

BATCH_SIZES = (1, 64)
RUNS = 20
WARM_UP = 3
MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss counts bytes on macOS, KiB elsewhere

# Spawns argv[1:] under this interpreter with stdout discarded, waits, prints exit code and ru_maxrss.
LAUNCHER = """import os, sys
out = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
pid = os.posix_spawn(sys.executable, [sys.executable, *sys.argv[1:]], os.environ, file_actions=out)
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""
# The memory children below end with os._exit(0) once they have predicted: the peak is reached by
# then, and skipping the interpreter's teardown of TensorFlow saves about 1 s a child.
IMPORT_KERAS = "import os\nimport keras\nos._exit(0)"
# Imports the modules named after the inputs (custom layers), then reads a .npy array, or the
# arrays of a .npz in order (one per model input), into x.
READ_INPUTS = """import importlib
import os
import sys
import numpy as np
for module in sys.argv[3:]:
    importlib.import_module(module)
data = np.load(sys.argv[2])
x = [data[name] for name in data.files] if hasattr(data, "files") else data
"""
# Loads a .keras model and runs it on x as inference.outputs does: eager direct calls, batches of 256.
PREDICT_KERAS = READ_INPUTS + """import keras
from keras import ops
model = keras.saving.load_model(sys.argv[1], compile=False)
inputs = x if isinstance(x, list) else [x]
for start in range(0, len(inputs[0]), 256):
    batch = [array[start:start + 256] for array in inputs]
    ops.convert_to_numpy(model(batch if isinstance(x, list) else batch[0], training=False))
os._exit(0)
"""
# Loads a .sham model file as `python -m sham_core predict` does (Dense layers from their bytes) and runs it on x.
PREDICT_ARTIFACT = READ_INPUTS + """from sham_core.artifact import load
load(sys.argv[1]).predict(x)
os._exit(0)
"""
PREDICT = {"keras": PREDICT_KERAS, "artifact": PREDICT_ARTIFACT}


def inference_latency(predict, x, batch_sizes=BATCH_SIZES, runs=RUNS, warm_up=WARM_UP):
    """{b: median seconds of ``runs`` timed predict(the first b samples of x)} after ``warm_up`` untimed calls.

    x is an array or a list of arrays (one per model input).
    """
    return paired_latency({"only": predict}, x, batch_sizes, runs, warm_up)["only"]


def paired_latency(predicts, x, batch_sizes=BATCH_SIZES, runs=RUNS, warm_up=WARM_UP):
    """{name: {b: median seconds}} for each ``predicts[name](batch)``, their timed calls interleaved.

    Each run calls every predict once, in turn, the order reversed every other run, so that the
    machine's drift (frequency, other tenants, a thread pool waking up) falls on all of them alike.
    Timed one after the other (one model's 20 calls, then the other's), the batch-1 ratio of one
    compressed vgg_mini to its baseline ranged from 0.66 to 1.63 over four repeats on this project's
    2-core machine; interleaved, from 0.92 to 1.07.
    """
    if runs < 1 or warm_up < 0:
        raise ValueError(f"need runs >= 1 and warm_up >= 0, got {runs} and {warm_up}")
    inputs = list(x) if isinstance(x, (list, tuple)) else None
    n = len(inputs[0]) if inputs is not None else len(x)
    latency = {name: {} for name in predicts}
    for b in batch_sizes:
        if not 1 <= b <= n:
            raise ValueError(f"batch size {b} needs between 1 and the {n} samples given")
        batch = [array[:b] for array in inputs] if inputs is not None else x[:b]
        for predict in predicts.values():
            for _ in range(warm_up):
                predict(batch)
        samples = {name: [] for name in predicts}
        order = list(predicts.items())
        for run in range(runs):
            for name, predict in (order if run % 2 == 0 else order[::-1]):
                start = time.perf_counter()
                predict(batch)
                samples[name].append(time.perf_counter() - start)
        for name in predicts:
            latency[name][b] = statistics.median(samples[name])
    return latency


def keras_predict(model):
    """predict(batch) for inference_latency: the eager direct call model(batch, training=False), as numpy.

    Not model.predict: it wraps every call in a compiled function and a data pipeline whose
    overhead swamps a batch of 1, and an encoded model (EncodedDense computes in numpy) runs
    only eagerly; direct calls, as inference.outputs makes them, time both models alike.
    """
    return lambda batch: ops.convert_to_numpy(model(batch, training=False))


def peak_memory_mb(script_args, timeout=None):
    """Peak resident memory (MiB) of a fresh ``python *script_args`` run to its end; raises if it fails."""
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, *map(os.fspath, script_args)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
    try:
        out, err = launcher.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's session holds the child too
        launcher.communicate()
        raise
    fields = out.split()
    if launcher.returncode != 0 or len(fields) != 2 or fields[0] != "0":
        raise RuntimeError(f"python {' '.join(map(str, script_args))[:200]} failed:\n{err[-2000:]}")
    return int(fields[1]) * MAXRSS_UNIT / 2**20


def memory_args(kind, path, inputs_path, imports=()):
    """The interpreter arguments that load a model and predict inputs: kind "keras" (.keras) or "artifact" (.sham).

    imports: modules to import first (those of the model's custom layers).
    """
    if kind not in PREDICT:
        raise ValueError(f"kind must be 'keras' or 'artifact', got {kind!r}")
    return ["-c", PREDICT[kind], os.fspath(path), os.fspath(inputs_path), *imports]


def model_peak_memory_mb(kind, path, inputs_path, timeout=None, imports=()):
    """Peak resident memory (MiB) of a fresh process that loads the model and predicts the inputs."""
    return peak_memory_mb(memory_args(kind, path, inputs_path, imports), timeout)


def keras_import_mb(timeout=None):
    """Peak resident memory (MiB) of a fresh process that only imports keras: the floor every Keras process pays."""
    return peak_memory_mb(["-c", IMPORT_KERAS], timeout)
