"""A workflow job's lock (timing jobs alone on the machine), its devices, and the resources it asks for."""
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from sham_core.workflow import resources
from sham_core.common.jobenv import cpu_only, gpu_memory_growth, job_slot, lock_path

HELD = re.compile(r"job slot: (\w+) lock .*, waited ([\d.]+) s, held from ([\d.]+) to ([\d.]+)")


def held(log):
    """(mode, start, end) of the last job_slot line in ``log``."""
    return spans(log)[-1]


def spans(log):
    """[(mode, start, end)] of every job_slot line in ``log``."""
    return [(mode, float(start), float(end)) for mode, _, start, end in HELD.findall(log.read_text())]


def test_one_lock_per_working_directory_and_per_batch_allocation(tmp_path, monkeypatch):
    for name in ("SLURM_JOB_ID", "PBS_JOBID", "LSB_JOBID"):
        monkeypatch.delenv(name, raising=False)
    here, there = lock_path(tmp_path), lock_path(tmp_path / "other")
    assert here == lock_path(str(tmp_path)) and here != there
    monkeypatch.setenv("SLURM_JOB_ID", "17")
    in_17 = lock_path(tmp_path)
    monkeypatch.setenv("SLURM_JOB_ID", "18")
    assert in_17 not in (here, lock_path(tmp_path))


def test_a_timing_job_runs_alone_and_goes_before_jobs_that_start_after_it(tmp_path):
    """A shared job runs; a timing job waits for it; a shared job started meanwhile waits for the timing job."""
    path = str(tmp_path / "jobs.lock")

    def job(name, timing, seconds):
        with job_slot(tmp_path / f"{name}.log", path=path) as slot:
            if timing:
                slot.exclusive()
            time.sleep(seconds)

    first = threading.Thread(target=job, args=("first", False, 0.6))
    timing = threading.Thread(target=job, args=("timing", True, 0.3))
    later = threading.Thread(target=job, args=("later", False, 0.1))
    first.start()
    time.sleep(0.2)
    timing.start()
    time.sleep(0.2)
    later.start()
    for thread in (first, timing, later):
        thread.join(10)
    first_held, timing_held, later_held = (held(tmp_path / f"{name}.log") for name in ("first", "timing", "later"))
    assert first_held[0] == later_held[0] == "shared" and timing_held[0] == "exclusive"
    assert first_held[2] <= timing_held[1] < timing_held[2] <= later_held[1]


def test_a_checkpoint_lets_a_waiting_timing_job_in_and_a_span_goes_on_where_none_waits(tmp_path):
    """A shared job of two stages: a timing job that asks during the first runs at the checkpoint
    between them; the shared job's checkpoint where nobody waits leaves one span."""
    path = str(tmp_path / "jobs.lock")

    def two_stages():
        with job_slot(tmp_path / "stages.log", path=path) as slot:
            time.sleep(0.4)
            slot.checkpoint()
            time.sleep(0.1)
            slot.checkpoint()  # nobody waits here
            time.sleep(0.1)

    def timing_job():
        with job_slot(tmp_path / "timing.log", path=path) as slot:
            slot.exclusive()
            time.sleep(0.2)

    stages = threading.Thread(target=two_stages)
    stages.start()
    time.sleep(0.1)
    timing = threading.Thread(target=timing_job)
    timing.start()
    for thread in (stages, timing):
        thread.join(10)
    (_, start1, end1), (_, start2, end2) = spans(tmp_path / "stages.log")
    timing_spans = spans(tmp_path / "timing.log")
    assert [mode for mode, *_ in timing_spans] == ["shared", "exclusive"]
    _, timing_start, timing_end = timing_spans[-1]
    assert end1 <= timing_start < timing_end <= start2 and end2 - start2 > 0.15  # both last stages: one span


def test_shared_jobs_run_side_by_side(tmp_path):
    path = str(tmp_path / "jobs.lock")
    threads = [threading.Thread(target=lambda n=n: _hold(tmp_path / f"{n}.log", path, 0.4)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    (_, start0, end0), (_, start1, end1) = held(tmp_path / "0.log"), held(tmp_path / "1.log")
    assert max(start0, start1) < min(end0, end1)


def _hold(log, path, seconds):
    with job_slot(log, path=path):
        time.sleep(seconds)


def test_without_a_lock_the_job_still_runs_and_says_so(tmp_path):
    ran = []
    with job_slot(tmp_path / "job.log", path=str(tmp_path / "no" / "such" / "folder" / "x.lock")) as slot:
        slot.checkpoint()
        slot.exclusive()
        ran.append(True)
    assert ran and "job slot: no lock" in (tmp_path / "job.log").read_text()


def test_an_error_in_the_job_releases_the_lock_and_is_raised(tmp_path):
    path = str(tmp_path / "jobs.lock")
    with pytest.raises(ZeroDivisionError), job_slot(tmp_path / "a.log", path=path) as slot:
        slot.exclusive()
        raise ZeroDivisionError("the job failed")
    with job_slot(tmp_path / "b.log", path=path) as slot:
        slot.exclusive()
    assert held(tmp_path / "b.log")[0] == "exclusive"


def test_cpu_only_hides_the_accelerators(monkeypatch):
    for name in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "JAX_PLATFORMS"):
        monkeypatch.setenv(name, "0")
    cpu_only()
    assert os.environ["CUDA_VISIBLE_DEVICES"] == os.environ["HIP_VISIBLE_DEVICES"] == ""
    assert os.environ["JAX_PLATFORMS"] == "cpu"


def test_gpu_memory_growth_under_tensorflow(monkeypatch):
    import keras
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the tests run under another Keras backend")
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    gpu_memory_growth()  # no GPU here: it must only not fail
    assert os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" and os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


def test_gpu_memory_growth_never_imports_tensorflow_under_another_backend():
    pytest.importorskip("torch")
    code = ("import os, sys; from sham_core.common.jobenv import gpu_memory_growth; gpu_memory_growth(); "
            "print('tensorflow' in sys.modules, os.environ['TF_FORCE_GPU_ALLOW_GROWTH'])")
    environ = {key: value for key, value in os.environ.items() if key != "TF_FORCE_GPU_ALLOW_GROWTH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True,
                         env={**environ, "KERAS_BACKEND": "torch"})
    assert out.stdout.split() == ["False", "true"]


def test_resources_grow_with_the_attempt_the_model_and_the_data():
    mini, vgg19 = {"model": "vgg_mini"}, {"model": "vgg19"}
    own = {"model": "mine", "model_file": "mine.keras"}
    assert resources.mem_mb("compress", mini, 0.5) < resources.mem_mb("compress", vgg19, 0.5)
    assert resources.mem_mb("train", vgg19, 800) > resources.mem_mb("train", vgg19, 1) + 2000
    for stage in resources.STAGES:
        for experiment in (mini, vgg19, own):
            assert resources.mem_mb(stage, experiment, 10, attempt=2) == 2 * resources.mem_mb(stage, experiment, 10)
            assert resources.runtime(stage, experiment, attempt=3) == 3 * resources.runtime(stage, experiment)
    assert resources.mem_mb("train", own, 0) == resources.OWN_MODEL_MB["train"]
    assert resources.other_mem_mb("aggregate", 1, attempt=2) == 2 * resources.other_mem_mb("aggregate", 1)
    assert resources.other_runtime("plots", 2) == 2 * resources.other_runtime("plots")
    with pytest.raises(ValueError, match="unknown stage 'plot'"):
        resources.runtime("plot", mini)
