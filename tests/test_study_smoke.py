"""One real-data run of the study's pipeline: DeepDTA on a few hundred DAVIS pairs, from the mirror.

Skipped where the shared datasets folder is absent, unless SHAM_REQUIRE names "shared".
"""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from requirements import shared_or_skip

ROOT = Path(__file__).resolve().parent.parent


def test_deepdta_on_davis_from_the_mirror(tmp_path):
    mirror = shared_or_skip()
    config = {"data": {"mirror": str(mirror)},
              "datasets": {"davis": {"source": "davis", "subset": {"train": 300, "test": 100}}},
              "experiments": [{"model": "deepdta", "dataset": "davis",
                               "train": {"epochs": 1, "batch_size": 64, "optimizer": "adam"},
                               "retrain": {"epochs": 1, "batch_size": 64, "optimizer": "adam",
                                           "learning_rate": 1e-4, "lr_cumulative": 1e-7}}],
              "grid": {"dense": {"pr_cws": {"p": [90], "k": [16]}}, "conv": {"cws": {"k": [32]}}},
              "encode": {"timing_repeats": 3, "timing_budget_s": 0.01}}
    (tmp_path / "davis.yaml").write_text(yaml.safe_dump(config))
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "-s", str(ROOT / "Snakefile"),
                          "-d", str(tmp_path), "--configfile", str(tmp_path / "davis.yaml")],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    summary = pd.read_csv(tmp_path / "results" / "tables" / "summary.csv")
    runs = summary[summary.method != "baseline"]
    assert list(runs.status) == ["ok", "ok"] and set(runs.metric) == {"mse"}
    assert (runs.after_retrain > 0).all() and runs.psi.between(0, 1).all()
    dense = runs[runs.layers == "dense"].iloc[0]
    assert dense.inference_equal
    manifest = (tmp_path / "results" / "downloads" / "davis" / "manifest.json").read_text()
    assert "folds/test_fold_setting1.txt" in manifest
