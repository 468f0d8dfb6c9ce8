"""config/transformer.yaml end to end on a subset: vit_mini's attention, feed-forward and embedding kernels."""
import pandas as pd
import pytest
import yaml

from test_workflow_run import ROOT, snakemake

pytestmark = pytest.mark.e2e  # end to end: make test-fast leaves it out


def test_the_transformer_config_runs_and_its_tables_show_the_fraction_compressed(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "transformer.yaml").read_text())
    config["experiments"][0].update(train={"epochs": 3, "batch_size": 64}, retrain={"epochs": 1, "batch_size": 64})
    config["grid"] = {"dense": {"pr": {"p": [50]}}, "all": {"pr_uq": {"p": [50], "k": [16]}}}
    config["encode"] = {"timing_repeats": 3, "timing_budget_s": 0.01, "memory": False}
    (tmp_path / "subset.yaml").write_text(yaml.safe_dump(config))
    snakemake(tmp_path, tmp_path / "subset.yaml")
    summary = pd.read_csv(tmp_path / "results" / "tables" / "summary.csv")
    runs = summary[summary.method != "baseline"].set_index("layers")
    assert (runs.status == "ok").all() and set(runs.index) == {"dense", "all"}
    assert runs.loc["all", "kernel_fraction"] == 1.0 and pd.isna(runs.loc["all", "skipped_layers"])
    assert runs.loc["dense", "kernel_fraction"] == 8640 / 9152  # the 512 position-embedding weights left
    assert runs.loc["dense", "skipped_layers"] == "positions (AddPositions, 512)"
    assert 0 < runs.loc["all", "psi_embedding_layers"] < 1 and pd.isna(runs.loc["dense", "psi_embedding_layers"])
    best = (tmp_path / "results" / "tables" / "best.md").read_text()
    assert "kernels compressed" in best and "positions (AddPositions, 512)" in best
