"""The DAVIS reproduction (issue 17): its configs cover every published DAVIS row, build their DAGs,
and the committed space comparison (docs/reproduction/) matches config/reference."""
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import validate

from sham_core.workflow.config import expand_grid
from test_workflow_config import dry_run, job_counts

pytestmark = pytest.mark.e2e  # end to end: make test-fast leaves it out

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "config" / "reference" / "paper_results.csv"
COMPARISON = ROOT / "docs" / "reproduction" / "davis_space_comparison.csv"
CONFIGS = ("davis.yaml", "davis_space.yaml")
KEY = ["selection", "layers", "method", "paper_config"]


def published_davis():
    """The study's 30 DAVIS rows, their config as text (e.g. "60-16", "256/70")."""
    reference = pd.read_csv(REFERENCE, dtype={"config": str})
    return reference[(reference["net"] == "DeepDTA") & (reference["dataset"] == "DAVIS")]


def load(name):
    config = yaml.safe_load((ROOT / "config" / name).read_text())
    validate(config, str(ROOT / "config" / "schema.yaml"))
    return config


def test_there_are_30_published_davis_rows_of_29_configurations():
    rows = published_davis()
    assert len(rows) == 30 and Counter(rows["layers"]) == {"dense": 18, "conv": 4, "both": 8}
    assert len(rows.drop_duplicates(["layers", "method", "config"])) == 29


@pytest.mark.parametrize("name", CONFIGS)
def test_config_runs_every_published_davis_configuration_and_no_other(name):
    runs = expand_grid(load(name))
    assert {run.experiment for run in runs} == {"deepdta-davis"}
    ours = Counter((run.layers, run.method, run.config_label) for run in runs)
    published = {(row.layers, row.method, row.config) for row in published_davis().itertuples()}
    assert set(ours) == published and max(ours.values()) == 1
    pr_x = [run for run in runs if "pr_" in run.method]
    assert len(pr_x) == 12 and all(run.prune_quantize == "study" and "pq~study" in run.path for run in pr_x)


def test_both_configs_build_their_dags(tmp_path):
    expected = {"davis.yaml": {"train_baseline_seed": 2}, "davis_space.yaml": {}}
    for name in CONFIGS:
        counts = job_counts(dry_run("-d", str(tmp_path / name), "--configfile", str(ROOT / "config" / name)))
        assert counts == {"download": 1, "data": 1, "train_baseline": 1, **expected[name], "compress": 29,
                          "encode": 29, "encode_baseline": 1, "aggregate": 1, "plots": 1, "all": 1}, name


def test_the_committed_space_comparison_has_the_30_published_rows():
    df = pd.read_csv(COMPARISON, dtype={"paper_config": str, "our_config": str})
    assert len(df) == 30 and set(df["experiment"]) == {"deepdta-davis"}
    published = published_davis().rename(columns={"config": "paper_config"})
    assert Counter(map(tuple, df[KEY].to_numpy())) == Counter(map(tuple, published[KEY].to_numpy()))
    assert (df["our_match"] == "same config").all() and (df["our_config"] == df["paper_config"]).all()
    for column in ("paper_psi", "our_psi", "our_psi_direct"):
        assert df[column].between(0, 1).all(), column
    quantized = df[~df["method"].str.contains("slr")]  # the study's estimate does not fit slr's float factors
    assert quantized["our_psi_estimate"].between(0, 1).all()
    merged = df.merge(published, on=KEY)
    assert (merged["paper_psi"] == merged["psi"]).all() and (merged["paper_perf"] == merged["perf"]).all()
    assert (df["paper_baseline"] == 0.3223).all()
    md = COMPARISON.with_suffix(".md").read_text()
    assert "config/davis_space.yaml" in md and "wall time" in md.lower()
