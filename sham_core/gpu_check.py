"""``python -m sham_core.gpu_check``: train, compress and retrain, and run a sHAM matmul on this machine's accelerator.

Works under any Keras backend (KERAS_BACKEND=tensorflow, torch or jax) with sham_core's light
dependencies only. Prints the device Keras computes on and the accelerator/CPU train-step time ratio.
"""
import argparse
import contextlib
import sys
import time

import keras
import numpy as np
from keras import ops

from .common.provenance import compute_device
from .compression import compress
from .formats import FORMATS
from .models import build_model
from .training.fit import compile_for

SETTINGS = {"epochs": 1, "batch_size": 64, "learning_rate": 1e-3}
CLASSES = 10


def main(argv=None):
    """Run the three checks; exit status 0 when they pass (also on a machine with no accelerator)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.steps < 1 or args.batch < 1:
        parser.error("--steps and --batch must be at least 1")
    start = time.perf_counter()
    device = compute_device()
    accelerated = "cpu" not in device.lower()
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, computing on {device}")
    if not accelerated:
        print("no accelerator visible to this backend: running every check on the CPU, no GPU/CPU ratio")
    keras.utils.set_random_seed(args.seed)
    x, y = random_digits(args.batch, args.seed)
    model, seconds = timed_training(x, y, args.steps)
    print(f"vgg_mini: {args.steps} train steps of {args.batch} images, {1000 * seconds:.2f} ms/step on {device}")
    if accelerated:
        _, cpu_seconds = timed_training(x, y, args.steps, "cpu")
        print(f"GPU/CPU step-time ratio: {seconds / cpu_seconds:.3f} "
              f"({1000 * seconds:.2f} ms vs {1000 * cpu_seconds:.2f} ms per step on the CPU)")
    kernel = check_compression(model, (x, y))
    check_sham_matmul(kernel, args.seed)
    print(f"gpu_check passed in {time.perf_counter() - start:.1f} s")
    return 0


def _parser():
    parser = argparse.ArgumentParser(prog="python -m sham_core.gpu_check", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed train steps per device (default 20)")
    parser.add_argument("--batch", type=int, default=256, help="images per train step (default 256)")
    parser.add_argument("--seed", type=int, default=1)
    return parser


def random_digits(n, seed):
    """Random 8x8 one-channel images with labels."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1), dtype=np.float32), rng.integers(0, CLASSES, n)


def timed_training(x, y, steps, device=None):
    """A fresh compiled vgg_mini trained on one batch ``steps`` times (after a warm-up step); (model, s/step).

    With ``device`` (e.g. "cpu"), the model and its steps are placed there by ``keras.device``.
    """
    with keras.device(device) if device else contextlib.nullcontext():
        model = build_model("vgg_mini", [list(x.shape[1:])], "classification", CLASSES)
        compile_for(model, "classification", SETTINGS)
        model.train_on_batch(x, y)  # builds and compiles the train step
        start = time.perf_counter()
        for _ in range(steps):
            loss = model.train_on_batch(x, y)
        seconds = (time.perf_counter() - start) / steps
    if not np.isfinite(loss).all():
        raise RuntimeError(f"training on {device or 'the default device'} gave a non-finite loss {loss}")
    return model, seconds


def check_compression(model, data):
    """pr_cws (p 50, k 8) on the Dense layers with one retraining epoch; returns the compressed fc1 kernel."""
    start = time.perf_counter()
    res = compress(model, "pr_cws", "dense", {"p": 50, "k": 8}, train=data, test=data, epochs=1,
                   batch_size=SETTINGS["batch_size"], seed=1)
    kernel, = [record.kernel for record in res.layers if record.name == "fc1"]
    if np.unique(kernel).size > 9 or np.mean(kernel == 0) < 0.5:
        raise RuntimeError("pr_cws left fc1 with more than 8 nonzero values or under half of it zero")
    print(f"pr_cws on the dense layers, 1 retraining epoch: accuracy {res.before:.3f} -> "
          f"{res.after_compress:.3f} -> {res.after_retrain:.3f} in {time.perf_counter() - start:.1f} s")
    return kernel


def check_sham_matmul(kernel, seed):
    """X @ W computed on W's sHAM encoding (numba, on the CPU) must match the backend's dense product."""
    X = np.random.default_rng(seed).random((64, kernel.shape[0]), dtype=np.float32)
    encoding = FORMATS["sham"].from_dense(kernel)
    start = time.perf_counter()
    product = encoding.matmul(X)
    seconds = time.perf_counter() - start
    expected = ops.convert_to_numpy(ops.matmul(ops.convert_to_tensor(X), ops.convert_to_tensor(kernel)))
    if not np.allclose(product, expected, rtol=1e-4, atol=1e-5):
        raise RuntimeError("the sHAM matmul differs from the dense product")
    print(f"sHAM matmul {X.shape} @ {kernel.shape} ({encoding.nbytes} bytes, psi {encoding.psi:.3f}): "
          f"{1000 * seconds:.2f} ms, matches the backend's dense product")


if __name__ == "__main__":
    sys.exit(main())
