"""A workflow job's place on its machine: alone or beside other jobs, and on which devices.

Timing jobs (encode, encode_baseline) time kernels, so on a local run nothing else may run while
they time. Every job holds one lock file while it works, shared; a timing job holds it exclusively
only while it times (``JobSlot.exclusive``), so that its imports, encodings and memory child run
beside other jobs. Between stages every job calls ``JobSlot.checkpoint``, which lets a timing job
that waits go first. Snakemake's scheduler does not ensure this by itself: 9.10 to 9.15 at times
start jobs beyond ``--cores`` and ``--resources`` (snakemake/snakemake#3913). The lock lives in the
machine's temporary folder and is keyed by the working directory and, inside a batch allocation
(Slurm, PBS, LSF), by its job id: on a cluster each job has its own allocation, so nothing waits there.

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


class JobSlot:
    """A job's hold on the machine's lock: shared while it works, exclusive once it times.

    Each span the lock is held is one line of ``log_path``: the kind of lock, the seconds waited,
    and when it was held (Unix time), which tests/test_workflow_run.py reads. A span runs on
    through a checkpoint where the job took the lock back within ``GAP_S``: no timing ran between.
    """

    GAP_S = 0.01

    def __init__(self, log_path, gate, lock, path):
        self.log_path, self.path = log_path, path
        self._gate, self._lock = gate, lock
        self._mode = None

    def _take(self, mode):
        """Take the lock in ``mode`` behind the gate: a timing job that waits holds the gate, so jobs
        that ask after it queue behind it and it waits only for the jobs already holding the lock."""
        asked = time.time()
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX if mode == "exclusive" else fcntl.LOCK_SH)
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)
        self._mode, self._waited, self._held = mode, time.time() - asked, time.time()

    def _release(self):
        end = time.time()  # before unlocking: the next holder's span starts after it
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._log_span(self._mode, self._waited, self._held, end)
        self._mode = None

    def _log_span(self, mode, waited, held, end):
        _log(self.log_path, f"job slot: {mode} lock {self.path}, waited {waited:.2f} s, "
                            f"held from {held:.3f} to {end:.3f}")

    def checkpoint(self):
        """Between two stages: let a timing job that waits for the lock run first, then go on (shared)."""
        if self._mode != "shared":
            return
        span, released = (self._waited, self._held), time.time()
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._take("shared")
        if self._waited < self.GAP_S:  # nobody came in between: the same span goes on
            self._waited, self._held = span
        else:
            self._log_span("shared", *span, released)

    def exclusive(self):
        """From here to the job's end, nothing else runs: wait for the other jobs' next checkpoint."""
        if self._mode == "shared":
            self._release()
            self._take("exclusive")


class Unlocked:
    """A JobSlot's stand-in outside the workflow, or where no lock can be taken: it never waits."""

    def checkpoint(self):
        pass

    def exclusive(self):
        pass


@contextlib.contextmanager
def job_slot(log_path, path=None):
    """Run the block holding the jobs' lock, shared; yield the JobSlot, whose ``checkpoint`` and
    ``exclusive`` the job calls between its stages.

    Where the lock cannot be taken (no file locks on that folder), the job runs anyway, beside any
    other, with an ``Unlocked`` slot, and its log says so.
    """
    path = path or lock_path()
    files = contextlib.ExitStack()
    try:
        slot = JobSlot(log_path, files.enter_context(open(f"{path}.gate", "a")),
                       files.enter_context(open(path, "a")), path)
        slot._take("shared")
    except OSError as error:
        files.close()
        _log(log_path, f"job slot: no lock ({error}); running beside any other job")
        yield Unlocked()
        return
    with files:  # closing the lock file releases the lock
        try:
            yield slot
        finally:
            if slot._mode:
                slot._release()


def _log(log_path, line):
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    with open(log_path, "a") as log:
        print(line, file=log)


def cpu_only():
    """Hide every accelerator from the backend (CUDA and ROCm devices; JAX's platform): a measurement on the CPU.

    Call it before the backend looks for a device: before TensorFlow, torch or JAX is imported, or in a
    job forked from the job server, which imported TensorFlow without touching a device.
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
