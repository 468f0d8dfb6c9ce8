"""Whole-network latency (b=1 and 64) and the peak memory of a fresh process, measured from outside."""
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from sham_core.encoding import latency
from keras_models import classification_data, regression_data, small_cnn, two_input_regressor

ALLOCATE_200_MB = "b = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1"


def test_latency_of_a_keras_model_for_batches_of_1_and_64():
    x, _ = classification_data(n=64)
    result = latency.inference_latency(latency.keras_predict(small_cnn()), x, runs=5)
    assert set(result) == {1, 64} and all(seconds > 0 for seconds in result.values())


def test_latency_of_a_two_input_model():
    x, _ = regression_data(n=64)
    result = latency.inference_latency(latency.keras_predict(two_input_regressor()), x, runs=5)
    assert set(result) == {1, 64} and all(seconds > 0 for seconds in result.values())


def test_latency_is_the_median_of_runs_calls_after_warm_up():
    calls = []
    result = latency.inference_latency(lambda batch: calls.append(len(batch[1])), [np.zeros(70), np.ones(70)],
                                       runs=20, warm_up=2)
    assert calls == [1] * 22 + [64] * 22
    assert set(result) == {1, 64}


@pytest.mark.parametrize("batch_sizes, runs", [((1, 65), 20), ((0,), 20), ((1,), 0)])
def test_impossible_batches_or_runs_are_refused(batch_sizes, runs):
    with pytest.raises(ValueError):
        latency.inference_latency(lambda batch: None, np.zeros((64, 2)), batch_sizes, runs)


def test_peak_memory_sees_a_child_allocation_not_this_process():
    ballast = np.ones(300 * 2**20 // 8)  # this process's memory must not count in its children's
    idle = latency.peak_memory_mb(["-c", "pass"])
    allocating = latency.peak_memory_mb(["-c", ALLOCATE_200_MB])
    assert idle < 100 < 150 + idle <= allocating < 300
    del ballast


def test_a_failing_child_raises_with_its_error():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        latency.peak_memory_mb(["-c", "1 / 0"])


def test_a_child_past_its_timeout_is_killed(tmp_path):
    pid_file = tmp_path / "pid"
    script = f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)"
    with pytest.raises(subprocess.TimeoutExpired):
        latency.peak_memory_mb(["-c", script], timeout=2)
    status = Path(f"/proc/{pid_file.read_text()}/status")
    deadline = time.monotonic() + 5
    while status.exists() and "zombie" not in status.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not status.exists() or "zombie" in status.read_text()


def test_keras_model_memory_exceeds_the_keras_import(tmp_path):
    model, (x, _) = small_cnn(), classification_data(n=32)
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "inputs.npy", x)
    peak = latency.model_peak_memory_mb("keras", tmp_path / "model.keras", tmp_path / "inputs.npy")
    assert 0 < latency.keras_import_mb() <= peak


def test_the_keras_kind_feeds_a_two_input_model_the_arrays_of_an_npz(tmp_path):
    model, (x, _) = two_input_regressor(), regression_data(n=32)
    model.save(tmp_path / "model.keras")
    np.savez(tmp_path / "inputs.npz", *x)
    assert latency.peak_memory_mb(latency.memory_args("keras", tmp_path / "model.keras", tmp_path / "inputs.npz")) > 0


def test_the_artifact_kind_loads_the_model_file_and_predicts(tmp_path):
    from sham_core.artifact import save
    from sham_core.compression import compress
    (x, _), model = classification_data(n=32), small_cnn()
    save(compress(model, "pr_uq", "dense", {"p": 50, "k": 4}), tmp_path / "m.sham")
    np.save(tmp_path / "inputs.npy", x)
    assert latency.model_peak_memory_mb("artifact", tmp_path / "m.sham", tmp_path / "inputs.npy") > 0
    np.save(tmp_path / "wrong.npy", x[:, :2])
    with pytest.raises(RuntimeError, match="input"):
        latency.model_peak_memory_mb("artifact", tmp_path / "m.sham", tmp_path / "wrong.npy")
    with pytest.raises(ValueError):
        latency.memory_args("onnx", "m.onnx", "x.npy")


def test_paired_latency_interleaves_the_calls_and_alternates_their_order():
    calls = []
    predicts = {name: (lambda batch, name=name: calls.append((name, len(batch)))) for name in ("a", "b")}
    result = latency.paired_latency(predicts, np.zeros((8, 2)), batch_sizes=(1, 4), runs=3, warm_up=1)
    assert set(result) == {"a", "b"} and all(set(times) == {1, 4} for times in result.values())
    one = [name for name, size in calls if size == 1]
    assert one == ["a", "b"] + ["a", "b", "b", "a", "a", "b"]  # warm-up, then runs in alternating order
    assert all(seconds >= 0 for times in result.values() for seconds in times.values())
