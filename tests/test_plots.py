"""Every figure writes a non-empty PNG and SVG, also from empty tables, and the Pareto front."""
from pathlib import Path

import pandas as pd
import pytest

from sham_core.aggregate import plots
from sham_core.aggregate import best_table
from test_aggregate import make_summary, run

D, K = "vgg_mini-digits", "deepdta-kiba"


@pytest.fixture(scope="module")
def summary():
    """Two experiments (one regression), three layer selections, a failed and an unmatched run."""
    return make_summary(run(D, "dense", "cws", "16", 0.96, 0.15),
                        run(D, "dense", "cws", "2", 0.93, 0.03),
                        run(D, "dense", "pr_uq", "90-32", 0.955, 0.02),
                        run(D, "dense", "pr_uq", "99-32", 0.90, 0.006),
                        run(D, "conv", "uq", "256", 0.94, 0.25),
                        run(D, "conv", "uq", "16", 0.91, 0.12),
                        run(D, "dense", "slr", "64", 0, 0, status="failed", error="boom"),
                        run(K, "both", "cws+pr_cws", "64/50", 0.165, 0.13),
                        run(K, "both", "cws+slr", "64/64", 0.30, 0.17))


def matmul_table():
    """Time ratios of three formats at three sparsities, for b = 1 and 64."""
    rows = [{"experiment": D, "layers": "dense", "method": "pr_uq", "params": "p~90/k~32",
             "layer": f"fc{i}", "format": fmt, "b": b, "zero_fraction": z,
             "ratio_numpy": r * (1 + z) / (2 if b == 64 else 1), "ratio_scipy": r}
            for i, z in enumerate((0.5, 0.9, 0.99))
            for fmt, r in (("csc", 2.0), ("ham", 8.0), ("sham", 0.7)) for b in (1, 64)]
    return pd.DataFrame(rows)


def history_table():
    """Three epochs of test metric for three runs."""
    runs = [(D, "dense", "cws", "k~16"), (D, "dense", "pr_uq", "p~90/k~32"),
            (K, "both", "cws+pr_cws", "conv/k~64/dense/p~50/k~32")]
    return pd.DataFrame([{"experiment": e, "layers": l, "method": m, "params": p, "epoch": ep,
                          "train": 0.9 + ep / 100, "test": 0.9 + ep / 90}
                         for e, l, m, p in runs for ep in (1, 2, 3)])


def assert_written(paths, tmp_path, stem):
    """Both files exist, are non-empty, and no (hidden) temporary file is left behind."""
    assert sorted(p.name for p in paths) == [f"{stem}.png", f"{stem}.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in paths[1].read_bytes()
    assert not list(tmp_path.rglob(".*"))


def test_psi_vs_performance(tmp_path, summary):
    assert_written(plots.psi_vs_performance(summary, tmp_path / "psi"), tmp_path, "psi")


@pytest.mark.parametrize("selection", ["best_perf", "best_space"])
def test_paired_bars(tmp_path, summary, selection):
    paths = plots.paired_bars(best_table(summary), selection, tmp_path / "figs" / selection)
    assert_written(paths, tmp_path, selection)


def test_matmul_ratios(tmp_path):
    assert_written(plots.matmul_ratios(matmul_table(), tmp_path / "matmul"), tmp_path, "matmul")


def test_retraining_curves(tmp_path, summary):
    paths = plots.retraining_curves(history_table(), summary, tmp_path / "hist")
    assert_written(paths, tmp_path, "hist")


ALL_FAILED = make_summary(run(D, "dense", "cws", "2", 0, 0, status="failed"))


@pytest.mark.parametrize("draw", [
    lambda stem: plots.psi_vs_performance(pd.DataFrame(), stem),
    lambda stem: plots.psi_vs_performance(ALL_FAILED, stem),
    lambda stem: plots.paired_bars(pd.DataFrame(), "best_space", stem),
    lambda stem: plots.paired_bars(best_table(pd.DataFrame()), "best_perf", stem),
    lambda stem: plots.matmul_ratios(pd.DataFrame(), stem),
    lambda stem: plots.matmul_ratios(matmul_table().iloc[:0], stem),
    lambda stem: plots.retraining_curves(pd.DataFrame(), pd.DataFrame(), stem),
    lambda stem: plots.retraining_curves(history_table(), pd.DataFrame(), stem),
], ids=["psi-empty", "psi-all-failed", "bars-empty", "bars-no-rows", "matmul-empty",
        "matmul-no-rows", "history-empty", "history-without-summary"])
def test_empty_inputs_still_write_a_figure(tmp_path, draw):
    assert_written(draw(tmp_path / "empty"), tmp_path, "empty")


def test_a_wrong_table_is_refused_with_the_missing_columns():
    with pytest.raises(ValueError, match="lacks column.*ratio_numpy"):
        plots.matmul_ratios(matmul_table().drop(columns="ratio_numpy"), "unused")


@pytest.mark.parametrize("hib, front", [(True, ([0.1, 0.2, 0.4], [0.90, 0.95, 0.97])),
                                        (False, ([0.1, 0.2], [0.30, 0.20]))])
def test_pareto_front_keeps_only_undominated_runs(hib, front):
    psi = [0.4, 0.1, 0.2, 0.3, 0.2, 0.5]
    perf = [0.97, 0.90, 0.95, 0.94, 0.20, 0.96] if hib else [0.25, 0.30, 0.20, 0.22, 0.40, 0.21]
    assert plots.pareto_front(psi, perf, hib) == front


def test_psi_vs_performance_draws_seed_spread(tmp_path):
    summary = make_summary(run(D, "dense", "cws", "16", 0.96, 0.15)).assign(perf_std=0.01, seeds=2,
                                                                              baseline_std=0.005)
    paths = plots.psi_vs_performance(summary, tmp_path / "spread")
    assert all(Path(path).stat().st_size > 0 for path in paths)


def test_latency_vs_psi(tmp_path):
    summary = make_summary(run(D, "dense", "cws", "16", 0.96, 0.15)).assign(latency_b1_ratio=1.4,
                                                                            latency_b64_ratio=0.9)
    assert all(Path(path).stat().st_size > 0 for path in plots.latency_vs_psi(summary, tmp_path / "lat"))
    assert all(Path(path).stat().st_size > 0 for path in plots.latency_vs_psi(summary.iloc[:0], tmp_path / "e"))
