"""The methods give the same guarantees under KERAS_BACKEND=torch (skipped where torch is absent).

A comma-separated SHAM_REQUIRE naming "torch" turns the skip into a failure (CI sets it).
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def required(name):
    return name in os.environ.get("SHAM_REQUIRE", "").split(",")


@pytest.mark.parametrize("backend", ["torch"])
def test_compression_invariants_hold_on_backend(backend):
    if importlib.util.find_spec(backend) is None:
        if required(backend):
            pytest.fail(f"SHAM_REQUIRE names {backend}, but it is not installed")
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(TESTS))
    run = subprocess.run([sys.executable, str(TESTS / "backend_parity.py")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert run.stdout.count(f"{backend} ") == 5, run.stdout
