"""A workflow job's place on its machine: alone or beside other jobs, and on which devices.

Timing jobs (encode, encode_baseline) time kernels, so on a local run no other job may run while
they do. Snakemake's scheduler does not ensure that by itself: 9.10 to 9.15 at times start jobs
beyond ``--cores`` and ``--resources`` (snakemake/snakemake#3913). So every job holds one lock file
while it runs: a timing job exclusively, any other job shared. The lock lives in the machine's
temporary folder and is keyed by the working directory and, inside a batch allocation (Slurm, PBS,
LSF), by its job id: on a cluster each job has its own allocation, so nothing waits there.

Devices: timing jobs hide the accelerators from the backend, so that they measure on the CPU;
the training jobs let TensorFlow's GPU memory grow instead of reserving the whole card.
"""
import contextlib
import fcntl
import hashlib
import os
import tempfile
import time

ALLOCATION_VARIABLES = ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID")


def lock_path(workdir=None):
    """The lock file shared by the jobs of one workflow on one machine (or in one batch allocation)."""
    workdir = os.path.realpath(workdir or os.getcwd())
    allocation = next((os.environ[name] for name in ALLOCATION_VARIABLES if os.environ.get(name)), "")
    key = hashlib.sha256(f"{workdir}\n{allocation}".encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"sham-jobs-{key}.lock")


@contextlib.contextmanager
def job_slot(log_path, timing=False, path=None):
    """Run the block holding the jobs' lock: exclusively for a timing job, shared for any other.

    A timing job that waits goes first: jobs that start after it queue behind it (a gate lock taken
    briefly by every job), so it waits only for the jobs already running. Appends one line to
    ``log_path``: the kind of lock, the seconds waited, and when it was held (Unix time), which
    tests/test_workflow_run.py reads. Where the lock cannot be taken (no file locks on that folder),
    the job runs anyway and the line says so.
    """
    path = path or lock_path()
    mode = "exclusive" if timing else "shared"
    asked = time.time()
    files = contextlib.ExitStack()
    try:
        gate = files.enter_context(open(f"{path}.gate", "a"))
        lock = files.enter_context(open(path, "a"))
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if timing else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
    except OSError as error:
        files.close()
        _log(log_path, f"job slot: no {mode} lock ({error}); running beside any other job")
        yield
        return
    with files:  # closing the lock file releases the lock
        held = time.time()
        try:
            yield
        finally:
            _log(log_path, f"job slot: {mode} lock {path}, waited {held - asked:.2f} s, "
                           f"held from {held:.3f} to {time.time():.3f}")


def _log(log_path, line):
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    with open(log_path, "a") as log:
        print(line, file=log)


def cpu_only():
    """Hide every accelerator from the backend (CUDA and ROCm devices; JAX's platform): a measurement on the CPU.

    Call it before TensorFlow, torch or JAX is imported.
    """
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["HIP_VISIBLE_DEVICES"] = ""
    os.environ["JAX_PLATFORMS"] = "cpu"


def gpu_memory_growth():
    """Let a training job take GPU memory as it needs it, not the whole card at start.

    TensorFlow reserves nearly all of a GPU's memory by default: with the backend TensorFlow (and
    installed), memory growth is switched on for every GPU it sees. JAX preallocates 75 % of the
    card; XLA_PYTHON_CLIENT_PREALLOCATE=false stops that (set unless you set it). torch's caching
    allocator already grows on demand. TensorFlow is imported only when it is the Keras backend.
    """
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import keras
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError as error:  # the GPUs are already initialised: the variable above applies
            print(f"GPU memory growth not set on {gpu.name}: {error}")
