"""The workflow end to end on config/test.yaml, and on a model and dataset brought by the user."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.e2e  # end to end: make test-fast leaves it out

ROOT = Path(__file__).resolve().parent.parent


def snakemake(workdir, configfile, *targets):
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "-s", str(ROOT / "Snakefile"),
                          "-d", str(workdir), *targets, "--configfile", str(configfile)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    return run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    run = snakemake(workdir, ROOT / "config" / "test.yaml")
    (workdir / "snakemake.out").write_text(run.stdout + run.stderr)
    return workdir


def test_a_finished_run_says_where_its_results_are(tiny_run):
    said = (tiny_run / "snakemake.out").read_text()
    assert "Results:" in said and "results/tables/recommendation.md" in said and "snakemake --report" in said


def test_summary_has_every_run_with_plausible_values(tiny_run):
    summary = pd.read_csv(tiny_run / "results" / "tables" / "summary.csv")
    runs = summary[summary.method != "baseline"]
    assert len(runs) == 4
    ok = runs[runs.status == "ok"]
    assert len(ok) == 3
    assert ok.psi.between(0, 1.2, inclusive="right").all()
    assert ok.psi_network.between(0, 1.2, inclusive="right").all()
    assert ok.after_retrain.between(0, 1).all() and ok.baseline.between(0, 1).all()
    with_dense = ok[ok.layers != "conv"]
    assert with_dense.inference_equal.astype(bool).all()
    assert np.allclose(with_dense.inference_metric, with_dense.after_retrain, rtol=1e-5)
    assert ok[ok.layers == "conv"].inference_metric.isna().all()
    assert (ok.seconds_compress > 0).all() and (ok.max_rss_mb > 0).all()
    assert (ok.latency_b1_ratio > 0).all() and (ok.latency_b64_s > 0).all() and (ok.peak_mb > 100).all()
    assert (ok.file_bytes > 0).all() and set(ok.backend) == {"tensorflow"} and ok.device.notna().all()
    slr = ok[ok.method == "cws+slr"].iloc[0]
    assert slr.psi < 0.5, "slr is measured on its factors, not on their product"


def test_the_baseline_trains_once_per_seed_and_its_spread_reaches_the_tables(tiny_run):
    tables = tiny_run / "results" / "tables"
    baselines = pd.read_csv(tables / "summary.csv").query("method == 'baseline'")
    assert list(baselines.seed) == [1, 2] and baselines.after_retrain.between(0, 1).all()
    points, best = pd.read_csv(tables / "points.csv"), pd.read_csv(tables / "best.csv")
    assert (points.baseline_seeds == 2).all() and points.baseline_std.notna().all()
    assert best.baseline_std.notna().all() and "over 2 seeds" in (tables / "best.md").read_text()


def test_failed_run_is_recorded_and_listed(tiny_run):
    summary = pd.read_csv(tiny_run / "results" / "tables" / "summary.csv")
    failed = summary[summary.status == "failed"]
    assert list(failed.method) == ["cws"] and "exceeds" in failed.error.iloc[0]
    metrics = json.loads(next((tiny_run / "results" / "runs").glob("*/dense/cws/**/metrics.json")).read_text())
    assert metrics["status"] == "failed"
    assert "failed" in (tiny_run / "results" / "tables" / "best.md").read_text().lower()


def test_tables_and_plots_exist(tiny_run):
    tables = tiny_run / "results" / "tables"
    for name in ("best.csv", "best.md", "best.tex", "recommendation.md", "paper_comparison.md", "matmul.csv",
                 "history.csv"):
        assert (tables / name).stat().st_size > 0, name
    assert "no published counterpart" in (tables / "paper_comparison.md").read_text()
    for png in ("psi_vs_performance", "best_perf", "best_space", "matmul_ratios", "retraining_curves",
                "latency_vs_psi"):
        assert (tiny_run / "results" / "plots" / f"{png}.png").stat().st_size > 1000
        assert (tiny_run / "results" / "plots" / f"{png}.svg").exists()


def test_each_run_keeps_a_model_file_that_runs(tiny_run):
    from sham_core.artifact import load
    from sham_core.data import load_split
    summary = pd.read_csv(tiny_run / "results" / "tables" / "summary.csv")
    run = summary[summary.method == "pr_cws"].iloc[0]
    x, y = load_split(tiny_run / "results" / "data" / "digits" / "data.npz", "test")
    accuracy = float(np.mean(load(tiny_run / run.artifact).predict(x).argmax(axis=1) == y))
    assert accuracy == pytest.approx(run.after_retrain, abs=1e-6)
    assert run.artifact in (tiny_run / "results" / "tables" / "recommendation.md").read_text()
    assert (tiny_run / run.artifact).with_name("provenance.json").exists()


def test_no_job_runs_beside_a_timing_job(tiny_run):
    """Each job logs when it held the machine's job lock (sham_core/common/jobenv.py); on this local run with --cores 2,
    no two timings (encode, encode_baseline once they time) overlap, and no other job's span overlaps a timing.
    The failed run's encode job times nothing; the baseline's and the three other runs' do."""
    spans = []
    for log in (tiny_run / "results" / "logs").rglob("*.log"):
        for mode, start, end in HELD.findall(log.read_text()):
            spans.append((mode, float(start), float(end), str(log.relative_to(tiny_run))))
    timing = [span for span in spans if span[0] == "exclusive"]
    assert len(timing) == 4 and all("/encode/" in span[3] for span in timing), spans
    assert len({span[3] for span in spans}) == 14, spans  # data, 2 trainings, 4 compress, 5 encode, aggregate, plots
    for _, start, end, log in timing:
        overlapping = [other for other in spans if other[3] != log and other[1] < end and start < other[2]]
        assert not overlapping, (log, start, end, overlapping)


HELD = re.compile(r"job slot: (\w+) lock .*, waited [\d.]+ s, held from ([\d.]+) to ([\d.]+)")


def test_a_second_run_has_nothing_to_do(tiny_run):
    run = snakemake(tiny_run, ROOT / "config" / "test.yaml", "-n")
    assert "Nothing to be done" in run.stdout + run.stderr


@pytest.fixture(scope="module")
def own_run(tmp_path_factory):
    """The workflow on your own model and npz: a Dense regressor (Adam) on sklearn's unscaled diabetes targets."""
    from keras_models import diabetes_model_file
    workdir = tmp_path_factory.mktemp("own")
    npz, model = diabetes_model_file(workdir)
    config = {"datasets": {"mine": {"source": "npz", "path": str(npz), "task": "regression"}},
              "experiments": [{"model": "mynet", "model_file": str(model), "dataset": "mine",
                               "retrain": {"epochs": 2}}],
              "grid": {"dense": {"pr_cws": {"p": [50], "k": [4]}, "uq": {"k": [16]}}},
              "encode": {"timing_repeats": 3, "memory": False}}
    (workdir / "mine.yaml").write_text(yaml.safe_dump(config))
    snakemake(workdir, workdir / "mine.yaml", "results/tables/summary.csv")
    return workdir


def test_bring_your_own_model_and_npz_dataset(own_run):
    summary = pd.read_csv(own_run / "results" / "tables" / "summary.csv")
    runs = summary[summary.method != "baseline"]
    assert len(runs) == 2 and (runs.status == "ok").all() and (runs.experiment == "mynet-mine").all()
    assert (summary.metric == "mse").all() and not summary.higher_is_better.any()
    assert runs.inference_equal.all() and runs.psi.between(0, 1, inclusive="neither").all()


def test_retraining_your_own_model_never_ends_worse_than_not_retraining(own_run):
    summary = pd.read_csv(own_run / "results" / "tables" / "summary.csv")
    runs = summary[summary.method != "baseline"]
    assert (runs.after_retrain <= 1.2 * runs.after_compress).all(), runs[["method", "after_compress", "after_retrain"]]
    assert runs.diverged.isna().all() and runs.kept_epoch.notna().all()
    for path in (own_run / "results" / "runs").glob("**/metrics.json"):
        metrics = json.loads(path.read_text())
        validation = metrics["history"]["validation"]
        assert validation[metrics["kept_epoch"]] <= validation[0] and metrics["optimizer"] == "Adam lr 0.001"
    assert "diverged at" not in (own_run / "results" / "tables" / "recommendation.md").read_text()


def test_replacing_your_model_file_reruns_what_depends_on_it(own_run):
    """Kept last in this module: it leaves the workflow out of date."""
    import keras
    from test_workflow_config import job_counts
    config = own_run / "mine.yaml"
    up_to_date = snakemake(own_run, config, "-n", "results/tables/summary.csv")
    assert "Nothing to be done" in up_to_date.stdout + up_to_date.stderr
    model = keras.saving.load_model(own_run / "diabetes.keras")
    model.save(own_run / "diabetes.keras")  # the same path, a new file (as after retraining it elsewhere)
    run = snakemake(own_run, config, "-n", "results/tables/summary.csv", "--quiet", "rules")
    assert job_counts(run.stdout + run.stderr) == {"train_baseline": 1, "encode_baseline": 1, "compress": 2,
                                                   "encode": 2, "aggregate": 1}


def test_a_missing_model_file_fails_inside_its_job_not_when_the_dag_is_built(tmp_path):
    """As the Slurm test's broken experiment does (tests/slurm_config.yaml), without Slurm."""
    run = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "-s", str(ROOT / "Snakefile"),
                          "-d", str(tmp_path), "results/models/broken/metrics.json",
                          "--configfile", str(ROOT / "tests" / "slurm_config.yaml")], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode != 0 and "Error in rule train_baseline" in run.stdout + run.stderr, run.stderr[-3000:]
    assert "no/such/model.keras" in (tmp_path / "results" / "logs" / "train" / "broken.log").read_text()


def test_changing_one_grid_value_reruns_only_its_jobs(tiny_run, tmp_path):
    from test_workflow_config import job_counts
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    config["grid"]["conv"]["uq"]["k"] = [8]
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tiny_run, tmp_path / "changed.yaml", "-n", "--quiet", "rules")
    assert job_counts(run.stdout + run.stderr) == {"compress": 1, "encode": 1, "aggregate": 1, "plots": 1, "all": 1}


def test_a_rerun_reproduces_the_metrics(tiny_run):
    """Seeds make a run repeatable (kept last: it leaves the run's encoding out of date)."""
    path = next((tiny_run / "results" / "runs").glob("*/dense/pr_cws/**/metrics.json"))
    before = json.loads(path.read_text())
    path.unlink()
    snakemake(tiny_run, ROOT / "config" / "test.yaml", str(path.relative_to(tiny_run)))
    after = json.loads(path.read_text())
    for key in ("baseline", "after_compress", "after_retrain", "history", "layers"):
        assert after[key] == before[key], key
