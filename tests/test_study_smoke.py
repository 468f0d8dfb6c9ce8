"""One real-data run of the study's pipeline on another Keras backend: DeepDTA (deepdta_mini, its layers at a
small width) on a few hundred DAVIS pairs, from the mirror, under KERAS_BACKEND=torch with TensorFlow made
unimportable, as on the GPU machines (torch, no TensorFlow).

Every stage runs: download, data, training, compression with retraining, encoding with its latency and its
peak-memory child processes, aggregate and plots. A stub ``tensorflow`` package first on the PYTHONPATH of the
workflow and of every job and child process raises ImportError and logs who imported it, so that a hidden import
anywhere fails the test: one that nothing catches fails its job, one that is caught (Keras probes for TensorFlow
whatever the backend) is in the log. The TensorFlow backend runs the workflow in test_workflow_run.py.

Skipped where the shared datasets folder or torch is absent, unless SHAM_REQUIRE names "shared" or "torch".
"""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from requirements import shared_or_skip, skip_unless

pytestmark = pytest.mark.e2e  # end to end: make test-fast leaves it out

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = "tensorflow imported under KERAS_BACKEND=torch"
STUB = f'''"""Stands in for TensorFlow in tests/test_study_smoke.py: being imported is the failure under test."""
import os
import traceback

with open(os.environ["SHAM_TENSORFLOW_IMPORTS"], "a") as log:
    log.write(f"process {{os.getpid()}} imported tensorflow:\\n{{''.join(traceback.format_stack())}}\\n")
raise ImportError("{MESSAGE} (the stub of tests/test_study_smoke.py)")
'''
# Imported by every job that loads the model, memory children included (the experiment's imports:).
PROBE = '''import importlib.util
import os

with open(os.environ["SHAM_TENSORFLOW_PROBE"], "a") as log:
    log.write(f"{os.getpid()} {importlib.util.find_spec('tensorflow').origin}\\n")
'''


def torch_without_tensorflow(folder):
    """The environment of the run: KERAS_BACKEND=torch, the stub and the probe module first on PYTHONPATH.

    One OpenMP thread a process: torch's two threads per small Conv1D wait on each other whenever the
    two cores are busy (another job, another test), 50 ms a call instead of 0.3 ms.
    """
    stub = folder / "stub"
    (stub / "tensorflow").mkdir(parents=True)
    (stub / "tensorflow" / "__init__.py").write_text(STUB)
    (stub / "tensorflow_probe.py").write_text(PROBE)
    path = os.pathsep.join(filter(None, [str(stub), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, KERAS_BACKEND="torch", PYTHONPATH=path, OMP_NUM_THREADS="1",
                SHAM_TENSORFLOW_IMPORTS=str(folder / "tensorflow_imports.log"),
                SHAM_TENSORFLOW_PROBE=str(folder / "tensorflow_probe.log"))


def test_deepdta_on_davis_from_the_mirror_under_torch_without_tensorflow(tmp_path):
    mirror = shared_or_skip()
    skip_unless(importlib.util.find_spec("torch") is not None, "torch", "torch is not installed")
    env = torch_without_tensorflow(tmp_path)
    sanity = subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True)
    assert sanity.returncode != 0 and MESSAGE in sanity.stderr, sanity.stderr[-2000:]
    Path(env["SHAM_TENSORFLOW_IMPORTS"]).unlink()
    config = {"data": {"mirror": str(mirror)},
              "datasets": {"davis": {"source": "davis", "subset": {"train": 128, "test": 64}}},
              "experiments": [{"model": "deepdta_mini", "dataset": "davis", "imports": ["tensorflow_probe"],
                               "train": {"epochs": 1, "batch_size": 64, "optimizer": "adam"},
                               "retrain": {"epochs": 1, "batch_size": 64, "optimizer": "adam",
                                           "learning_rate": 1e-4, "lr_cumulative": 1e-7}}],
              "grid": {"both": [{"conv": {"cws": {"k": [32]}},
                                 "dense": {"pr_cws": {"p": [90], "k": [16], "prune_quantize": "study"}}}]},
              "encode": {"timing_repeats": 3, "timing_budget_s": 0.01, "baselines": ["gzip"]}}
    (tmp_path / "davis.yaml").write_text(yaml.safe_dump(config))
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "-s", str(ROOT / "Snakefile"),
                          "-d", str(tmp_path), "--configfile", str(tmp_path / "davis.yaml")],
                         env=env, capture_output=True, text=True, timeout=900)
    imports = Path(env["SHAM_TENSORFLOW_IMPORTS"])
    assert not imports.exists(), imports.read_text()[-6000:]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    probes = [line.split(" ", 1) for line in Path(env["SHAM_TENSORFLOW_PROBE"]).read_text().splitlines()]
    assert {origin for _, origin in probes} == {str(tmp_path / "stub" / "tensorflow" / "__init__.py")}
    assert len({pid for pid, _ in probes}) >= 5  # compress, encode, encode_baseline and two memory children

    summary = pd.read_csv(tmp_path / "results" / "tables" / "summary.csv")
    run_row = summary[summary.method != "baseline"].iloc[0]
    assert len(summary) == 2 and run_row.backend == "torch"
    assert run_row.status == "ok" and run_row.metric == "mse" and run_row.layers == "both"
    assert run_row.after_retrain > 0 and 0 < run_row.psi < 1 and run_row.inference_equal
    assert run_row.latency_b64_s > 0 and run_row.peak_mb > 0
    provenance = json.loads(next((tmp_path / "results" / "runs").glob("**/provenance.json")).read_text())
    assert provenance["backend"] == "torch" and provenance["versions"]["torch"]
    assert (tmp_path / "results" / "plots" / "psi_vs_performance.png").stat().st_size > 1000
    manifest = (tmp_path / "results" / "downloads" / "davis" / "manifest.json").read_text()
    assert "folds/test_fold_setting1.txt" in manifest
