"""The methods give the same guarantees under KERAS_BACKEND=torch (skipped where torch is absent).

A comma-separated SHAM_REQUIRE naming "torch" turns the skip into a failure (CI sets it).
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from requirements import skip_unless

TESTS = Path(__file__).parent


@pytest.mark.parametrize("backend", ["torch"])
def test_compression_invariants_hold_on_backend(backend):
    skip_unless(importlib.util.find_spec(backend) is not None, backend, f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(TESTS))
    run = subprocess.run([sys.executable, str(TESTS / "backend_parity.py")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert run.stdout.count(f"{backend} ") == 10, run.stdout  # 5 cases, then 5 model shapes (any_models)
