"""Flattening per-run JSON into summary rows: psi over the compressed groups, failed runs, labels."""
import pytest

from sham_core.formats import FORMATS
from sham_core.aggregate.summary import baseline_seed_row, history_rows, matmul_rows, metric_label, run_row

IDENTITY = {"experiment": "m-d", "model": "m", "dataset": "d", "task": "regression", "higher_is_better": False,
            "layers_selection": "both", "method": "cws+pr_cws", "config": "16/90",
            "param_path": "conv.k~16/dense.p~90/dense.k~8/seed~2", "point": "conv.k~16/dense.p~90/dense.k~8",
            "seed": 2}


def group_bytes(scale):
    return {**{name: 100 * scale for name in FORMATS}, "choice": 10 * scale, "entropy": 5 * scale,
            "direct": 8 * scale, "baseline": 20 * scale}


def encoding():
    return {"status": "ok", "seconds": 2.0, "weights": {"dense": 100, "conv": 50, "network": 200},
            "bytes": {"dense": group_bytes(2), "conv": group_bytes(1), "network": group_bytes(4)},
            "psi": {"dense": {"choice": 0.05}, "conv": {"choice": 0.05}, "network": {"choice": 0.3}},
            "study_estimate": {"dense": {"ham": 30, "sham": 40, "choice": 30}, "conv": {"im": 12, "choice": 12}},
            "inference": [{"format": "sham", "metric": 0.5, "equal": True},
                          {"format": "ham", "metric": 0.5, "equal": True}],
            "matmul": [{"name": "fc1", "zero_fraction": 0.9, "formats": {"sham": {
                "ratio_b1_dense": 0.5, "ratio_b64_dense": 2.0, "ratio_b1_scipy": 1.5, "ratio_b64_scipy": 3.0}}}],
            "machine": {"cpu": "x", "numba_threads": 2}}


def test_psi_covers_the_compressed_groups_together():
    metrics = {**IDENTITY, "status": "ok", "metric": "mse", "baseline": 0.40, "after_compress": 0.6,
               "after_retrain": 0.45, "epochs": 3, "seconds": 9.0, "history": {"train": [1], "test": [2]},
               "layers": [{"kind": "dense", "values": 8}, {"kind": "conv", "values": 16}]}
    row = run_row(metrics, encoding(), (10.0, 500.0), (3.0, 700.0))
    assert row["psi"] == pytest.approx(30 / 600) and row["psi_entropy"] == pytest.approx(15 / 600)
    assert row["psi_sham"] == pytest.approx(300 / 600) and row["psi_study"] == row["psi"]
    assert row["psi_direct"] == pytest.approx(24 / 600) and row["psi_baseline"] == pytest.approx(60 / 600)
    assert row["psi_network"] == 0.3 and row["psi_dense_layers"] == 0.05
    assert row["psi_study_estimate"] == pytest.approx(42 / 600)
    assert row["delta"] == pytest.approx(-0.05), "lower is better for MSE"
    assert row["metric"] == "mse" and row["values"] == "8/16"
    assert row["inference_metric"] == 0.5 and row["inference_equal"] is True
    assert row["wall_s"] == 13.0 and row["max_rss_mb"] == 700.0


def test_the_study_estimate_covers_the_selected_groups_and_is_none_in_old_encodings():
    metrics = {**IDENTITY, "layers_selection": "dense", "status": "ok", "metric": "loss", "baseline": 0.4,
               "after_compress": 0.5, "after_retrain": 0.5, "epochs": 1, "seconds": 1.0, "layers": []}
    enc = encoding()
    del enc["weights"]["conv"]
    assert run_row(metrics, enc, (1.0, 1.0), (1.0, 1.0))["psi_study_estimate"] == pytest.approx(30 / 400)
    del enc["study_estimate"]
    assert run_row(metrics, enc, (1.0, 1.0), (1.0, 1.0))["psi_study_estimate"] is None


def test_baseline_rows_carry_the_study_estimate():
    from sham_core.aggregate.summary import baseline_row
    metrics = {"task": "classification", "metric": "accuracy", "test": 0.9, "epochs": 3, "seconds": 5.0}
    row = baseline_row("m-d", metrics, encoding(), "d", "m")
    assert row["psi"] == 1.0 and row["psi_study_estimate"] == pytest.approx(42 / 600)


def test_a_failed_run_keeps_its_identity_and_error():
    row = run_row({**IDENTITY, "status": "failed", "error": "k too large"}, {"status": "failed"},
                  (1.0, 100.0), (0.5, 90.0))
    assert row["status"] == "failed" and row["error"] == "k too large" and "psi" not in row


def test_matmul_and_history_rows():
    identity = {"experiment": "m-d", "layers": "dense", "method": "cws", "params": "k~8", "seed": 1}
    rows = matmul_rows(identity, encoding())
    assert [(r["b"], r["ratio_numpy"], r["cpu"]) for r in rows] == [(1, 0.5, "x"), (64, 2.0, "x")]
    assert history_rows(identity, {"history": {"train": [0.1, 0.2], "test": None}})[1]["epoch"] == 2


def test_points_average_the_seeds_and_keep_all_failed_points():
    import pandas as pd
    from sham_core.aggregate.summary import SUMMARY_COLUMNS, points
    base = {"experiment": "e", "layers": "dense", "method": "cws", "params": "k~8", "status": "ok",
            "higher_is_better": True, "psi": 0.1, "delta": 0.0}
    rows = [dict(base, seed=1, after_retrain=0.90), dict(base, seed=2, after_retrain=0.94),
            dict(base, seed=3, status="failed", error="x"),
            dict(base, params="k~9", seed=1, status="failed", error="y")]
    table = points(pd.DataFrame(rows, columns=SUMMARY_COLUMNS))
    ok = table[table.params == "k~8"].iloc[0]
    assert ok.after_retrain == pytest.approx(0.92) and ok.perf_std == pytest.approx(0.02) and ok.seeds == 2
    assert table[table.params == "k~9"].iloc[0].status == "failed"


def test_a_diverged_run_says_so_and_its_seed_is_left_out_of_its_point():
    import pandas as pd
    from sham_core.aggregate.summary import SUMMARY_COLUMNS, points
    metrics = {**IDENTITY, "status": "ok", "metric": "mse", "baseline": 0.40, "after_compress": 0.6,
               "after_retrain": 9.0, "epochs": 1, "kept_epoch": 1, "diverged": "epoch 1: constant outputs",
               "seconds": 9.0, "layers": [{"kind": "dense", "values": 8}, {"kind": "conv", "values": 16}]}
    row = run_row(metrics, encoding(), (10.0, 500.0), (3.0, 700.0))
    assert row["diverged"] == "epoch 1: constant outputs" and row["kept_epoch"] == 1
    fine = dict(row, seed=1, after_retrain=0.5, diverged="")
    table = points(pd.DataFrame([fine, row], columns=SUMMARY_COLUMNS))
    assert len(table) == 1 and table.iloc[0].after_retrain == 0.5 and table.iloc[0].seeds == 1
    alone = points(pd.DataFrame([row], columns=SUMMARY_COLUMNS))
    assert alone.iloc[0].seeds == 0 and alone.iloc[0].diverged == "epoch 1: constant outputs"


def test_metric_label_is_the_metric_as_recorded_shortened():
    assert metric_label("regression", "mae") == "mae" and metric_label("regression", "mean_squared_error") == "mse"
    assert metric_label("classification", "accuracy") == "accuracy" and metric_label("regression", "huber") == "huber"


def test_baseline_seeds_make_rows_and_their_spread_reaches_every_point():
    import pandas as pd
    from sham_core.aggregate.summary import SUMMARY_COLUMNS, points
    main = {"experiment": "e", "model": "m", "dataset": "d", "task": "classification", "metric": "accuracy",
            "higher_is_better": True, "layers": "", "method": "baseline", "config": "", "params": "", "seed": 1,
            "status": "ok", "error": "", "baseline": 0.90, "after_compress": 0.90, "after_retrain": 0.90,
            "delta": 0.0, "psi": 1.0}
    seeds = [baseline_seed_row(main, {"test": test, "epochs": 30, "seconds": 7.0}, seed)
             for seed, test in ((2, 0.92), (3, 0.94))]
    assert seeds[0]["seed"] == 2 and seeds[0]["delta"] == pytest.approx(0.02) and seeds[0]["baseline"] == 0.90
    run = {"experiment": "e", "layers": "dense", "method": "cws", "params": "k~8", "status": "ok", "seed": 1,
           "higher_is_better": True, "psi": 0.1, "after_retrain": 0.89, "delta": -0.01}
    other = dict(run, experiment="f")
    table = points(pd.DataFrame([main, *seeds, run, other], columns=SUMMARY_COLUMNS))
    base = table[table.method == "baseline"].iloc[0]
    assert base.after_retrain == pytest.approx(0.92) and base.seeds == 3 and base.psi == 1.0
    assert base.perf_std == pytest.approx(0.0163, abs=1e-4) and base.seed == 1
    mine = table[(table.method == "cws") & (table.experiment == "e")].iloc[0]
    assert (mine.baseline_mean, mine.baseline_std, mine.baseline_seeds) == (
        pytest.approx(0.92), pytest.approx(base.perf_std), 3)
    assert pd.isna(table[table.experiment == "f"].iloc[0].baseline_std), "no baseline rows: no spread"


def test_a_single_baseline_training_has_no_spread():
    import pandas as pd
    from sham_core.aggregate.summary import SUMMARY_COLUMNS, points
    main = {"experiment": "e", "layers": "", "method": "baseline", "params": "", "status": "ok",
            "higher_is_better": True, "after_retrain": 0.9}
    row = points(pd.DataFrame([main], columns=SUMMARY_COLUMNS)).iloc[0]
    assert row.baseline_seeds == 1 and pd.isna(row.baseline_std)


def test_the_jobs_own_peak_memory_wins_over_the_benchmark_files():
    """A job forked from the job server is not the process its benchmark file watched."""
    metrics = {**IDENTITY, "status": "failed", "error": "x", "peak_rss_mb": 900.0}
    assert run_row(metrics, encoding(), (10.0, 50.0), (3.0, 60.0))["max_rss_mb"] == 900.0
    assert run_row(metrics, dict(encoding(), peak_rss_mb=950.0), (10.0, 50.0), (3.0, 60.0))["max_rss_mb"] == 950.0
