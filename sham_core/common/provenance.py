"""Where a run's numbers came from: commit, package versions, backend, device, threads, seed and time."""
import datetime
import glob
import importlib.metadata
import os
import platform
import socket
import subprocess

import keras
from keras import ops
import numba

from .. import __version__
from .atomic import write_json
from .measure import cpu_model

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # sham_core
PACKAGES = ("keras", "numpy", "numba", "scipy", "scikit-learn")
BACKEND_DISTRIBUTIONS = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"), "jax": ("jax",)}
NVIDIA_GPUS = "/proc/driver/nvidia/gpus/*/information"


def provenance(seed, threads=None):
    """The provenance record of a run with ``seed``; ``threads``: the threads the job was given, if known."""
    backend = keras.backend.backend()
    commit, dirty = git_state(PACKAGE_DIR)
    versions = {"sham_core": __version__, **{name: version(name) for name in PACKAGES},
                backend: version(*BACKEND_DISTRIBUTIONS.get(backend, (backend,)))}
    return {"commit": commit, "dirty": dirty, "versions": versions, "backend": backend,
            "device": device(),
            "threads": {"requested": threads, "numba": numba.get_num_threads(),
                        "logical_cpus": os.cpu_count(), "usable_cpus": usable_cpus()},
            "hostname": socket.gethostname(), "platform": platform.platform(),
            "python": platform.python_version(), "seed": seed,
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}


def write_provenance(path, seed, threads=None, **fields):
    """Write provenance(seed, threads) and the run's own ``fields`` (e.g. prune_quantize) to path as JSON (atomic)."""
    write_json(dict(provenance(seed, threads), **fields), path)


def git_state(folder):
    """(commit, dirty) of the git checkout that tracks ``folder``'s files; ("unknown", None) outside one."""
    try:
        commit = _git(folder, "rev-parse", "HEAD")
        _git(folder, "ls-files", "--error-unmatch", "__init__.py")  # tracked here, not just inside some checkout
        return commit, bool(_git(folder, "status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return "unknown", None


def _git(folder, *args):
    """The stripped output of ``git *args`` run in folder; raises when git fails."""
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def usable_cpus():
    """The CPUs this process may run on (a Slurm job's share), where the OS says; else all of them."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def version(*distributions):
    """The installed version of the first of ``distributions`` that is installed, else None (imports nothing)."""
    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return None


def device():
    """The CPU model, the device Keras computes on, the accelerators it lists and their names, CUDA_VISIBLE_DEVICES.

    accelerator: the NVIDIA model names read from /proc (backend-neutral), else Keras' device string;
    None when Keras computes on the CPU. accelerators: None where the backend cannot list devices (torch).
    """
    compute = compute_device()
    accelerated = "cpu" not in compute.lower()
    return {"cpu": cpu_model(), "keras_device": compute, "accelerators": accelerator_count(),
            "accelerator": (", ".join(nvidia_gpu_names()) or compute) if accelerated else None,
            "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}


def accelerator_count():
    """How many GPUs/TPUs keras.distribution lists; None for a backend without device listing."""
    try:
        devices = keras.distribution.list_devices()
    except AttributeError:  # the backend has no distribution support
        return None
    return sum(not name.lower().startswith("cpu") for name in devices)


def nvidia_gpu_names():
    """The distinct model names of this machine's NVIDIA GPUs, from the driver's /proc files (backend-neutral)."""
    names = set()
    for path in glob.glob(NVIDIA_GPUS):
        with open(path) as f:
            names.update(line.split(":", 1)[1].strip() for line in f if line.startswith("Model:"))
    return sorted(names)


def compute_device():
    """Where the backend runs a matmul by default, as it names the device (e.g. cuda:0, GPU:0, cpu)."""
    product = ops.matmul(ops.ones((8, 8)), ops.ones((8, 8)))
    device = product.device  # an attribute, or a method in older JAX
    return str(device() if callable(device) else device)
