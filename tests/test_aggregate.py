"""The study's selections, recommendation, writers and paper comparison on hand-made summaries."""
from pathlib import Path

import pandas as pd
import pytest

from sham_core.aggregate import (best_table, failed_runs, paper_comparison, recommendation,
                                 write_best, write_paper_comparison)

REFERENCE = Path(__file__).resolve().parent.parent / "config" / "reference" / "paper_results.csv"
# experiment: (task, metric, higher_is_better, baseline metric)
EXPERIMENTS = {"vgg_mini-digits": ("classification", "accuracy", True, 0.95),
               "vgg19-cifar10": ("classification", "accuracy", True, 0.9344),
               "deepdta-kiba": ("regression", "mse", False, 0.1756)}


def run(experiment, layers, method, config, perf, psi, status="ok", error="", **psis):
    """One summary row of a compression run, with delta computed as the summary builder does.

    psis: optional psi_direct and psi_baseline; without them the row is an older summary's.
    """
    task, metric, hib, base = EXPERIMENTS[experiment]
    ok = status == "ok"
    delta = (perf - base if hib else base - perf) if ok else float("nan")
    params = "/".join(f"{k}~{v}" for k, v in zip("pk" if "-" in config else "k", config.split("-")))
    return {"experiment": experiment, "model": experiment.split("-")[0],
            "dataset": experiment.split("-")[1], "task": task, "metric": metric,
            "higher_is_better": hib, "layers": layers, "method": method, "config": config,
            "params": f"{layers}/{params}", "status": status, "error": error, "baseline": base,
            "after_compress": perf if ok else float("nan"),
            "after_retrain": perf if ok else float("nan"), "delta": delta,
            "psi": psi if ok else float("nan"), "epochs": 2, **psis}


def make_summary(*runs):
    """A summary table: the given runs plus one baseline row per experiment they use."""
    baselines = []
    for exp in dict.fromkeys(r["experiment"] for r in runs):
        task, metric, hib, base = EXPERIMENTS[exp]
        baselines.append({"experiment": exp, "model": exp.split("-")[0],
                          "dataset": exp.split("-")[1], "task": task, "metric": metric,
                          "higher_is_better": hib, "layers": "", "method": "baseline",
                          "config": "", "params": "", "status": "ok", "error": "",
                          "baseline": base, "after_compress": base, "after_retrain": base,
                          "delta": 0.0, "psi": 1.0, "epochs": 0})
    return pd.DataFrame(baselines + list(runs))


def pick(best, layers, method, selection):
    """The single best-table row for a layers x method x selection."""
    rows = best[(best["layers"] == layers) & (best["method"] == method)
                & (best["selection"] == selection)]
    assert len(rows) == 1
    return rows.iloc[0]


D = "vgg_mini-digits"


def test_best_perf_takes_the_best_metric_and_breaks_ties_by_smaller_psi():
    best = best_table(make_summary(run(D, "dense", "cws", "16", 0.96, 0.15),
                                   run(D, "dense", "cws", "32", 0.97, 0.20),
                                   run(D, "dense", "cws", "64", 0.97, 0.10),
                                   run(D, "dense", "cws", "2", 0.90, 0.03)))
    row = pick(best, "dense", "cws", "best_perf")
    assert (row["config"], row["perf"], row["psi"]) == ("64", 0.97, 0.10)
    assert row["matches_baseline"]


def test_best_space_is_the_smallest_psi_that_keeps_the_baseline_and_counts_equality():
    best = best_table(make_summary(run(D, "dense", "pr_uq", "90-32", 0.97, 0.05),
                                   run(D, "dense", "pr_uq", "95-16", 0.95, 0.02),
                                   run(D, "dense", "pr_uq", "99-2", 0.80, 0.005)))
    row = pick(best, "dense", "pr_uq", "best_space")
    assert (row["config"], row["delta"], row["matches_baseline"]) == ("95-16", 0.0, True)
    assert list(best.columns) == ["experiment", "layers", "method", "prune_quantize", "selection", "config",
                                  "params", "values", "perf", "baseline", "delta", "psi",
                                  "matches_baseline", "perf_std", "seeds", "latency_b1_ratio",
                                  "peak_mb", "artifact", "psi_direct", "psi_baseline",
                                  "baseline_mean", "baseline_std", "baseline_seeds", "psi_network",
                                  "kernel_fraction", "skipped_layers"]


def test_best_space_ties_on_psi_go_to_the_better_run():
    best = best_table(make_summary(run(D, "dense", "uq", "16", 0.951, 0.05),
                                   run(D, "dense", "uq", "32", 0.958, 0.05),
                                   run(D, "dense", "uq", "64", 0.960, 0.09)))
    assert pick(best, "dense", "uq", "best_space")["config"] == "32"


def test_tables_read_back_from_csv_give_the_same_selection(tmp_path):
    summary = make_summary(run(D, "dense", "uq", "16", 0.951, 0.05),
                           run(D, "dense", "uq", "2", 0.90, 0.01),
                           run(D, "dense", "cws", "4", 0, 0, status="failed"))
    summary.to_csv(tmp_path / "summary.csv", index=False)
    back = pd.read_csv(tmp_path / "summary.csv")  # configs come back as numbers, "" as NaN
    pd.testing.assert_frame_equal(best_table(back), best_table(summary))
    best = best_table(summary)
    best.to_csv(tmp_path / "best.csv", index=False)
    again = pd.read_csv(tmp_path / "best.csv")
    assert recommendation(back, again) == recommendation(summary, best)


def test_without_a_matching_run_best_space_is_the_closest_run_marked_as_unmatched():
    best = best_table(make_summary(run(D, "conv", "uq", "16", 0.90, 0.12),
                                   run(D, "conv", "uq", "256", 0.94, 0.25),
                                   run(D, "conv", "uq", "2", 0.50, 0.03)))
    row = pick(best, "conv", "uq", "best_space")
    assert (row["config"], row["matches_baseline"]) == ("256", False)
    assert row["delta"] == pytest.approx(-0.01)
    assert not pick(best, "conv", "uq", "best_perf")["matches_baseline"]


def test_regression_prefers_the_lower_error():
    K = "deepdta-kiba"
    best = best_table(make_summary(run(K, "dense", "slr", "32", 0.160, 0.02),
                                   run(K, "dense", "slr", "64", 0.150, 0.05),
                                   run(K, "dense", "slr", "128", 0.190, 0.10)))
    assert pick(best, "dense", "slr", "best_perf")["config"] == "64"
    space = pick(best, "dense", "slr", "best_space")
    assert space["config"] == "32" and space["delta"] == pytest.approx(0.0156)


def test_failed_runs_are_excluded_from_selections_and_listed():
    summary = make_summary(run(D, "dense", "cws", "16", 0.96, 0.15),
                           run(D, "dense", "cws", "2", 0.99, 0.01, status="failed",
                               error="Traceback (most recent call last):\n  ...\nValueError: boom"),
                           run(D, "dense", "pws", "16", 0, 0, status="failed", error="OOM"))
    best = best_table(summary)
    assert set(best["method"]) == {"cws"}
    assert pick(best, "dense", "cws", "best_perf")["config"] == "16"
    failed = failed_runs(summary)
    assert list(failed.columns) == ["experiment", "layers", "method", "params", "error"]
    assert list(failed["method"]) == ["cws", "pws"] and failed["error"][0].startswith("Traceback")
    text = recommendation(summary, best)
    assert "2 run(s) failed" in text and "## Failed runs" in text and "| ValueError: boom |" in text
    assert "**pws**" not in text.split("## Failed runs")[0]


def test_a_run_whose_kept_model_diverged_is_never_recommended_and_is_listed():
    K = "deepdta-kiba"
    collapsed = dict(run(K, "dense", "uq", "16", 0.150, 0.005), diverged="epoch 1: constant outputs")
    summary = make_summary(run(K, "dense", "slr", "32", 0.160, 0.02), collapsed,
                           dict(run(K, "dense", "cws", "16", 0.170, 0.01), diverged=""))
    best = best_table(summary)
    assert set(best["method"]) == {"slr", "cws"}
    failed = failed_runs(summary)
    assert list(failed["method"]) == ["uq"] and failed["error"][0] == "diverged at epoch 1: constant outputs"
    text = recommendation(summary, best)
    assert "**uq**" not in text.split("## Failed runs")[0] and "(1 failed or diverged run(s) left out.)" in text
    assert "| diverged at epoch 1: constant outputs |" in text


def test_empty_summary_gives_empty_tables_and_text():
    best = best_table(pd.DataFrame())
    assert best.empty and "matches_baseline" in best.columns
    assert failed_runs(pd.DataFrame()).empty
    assert "No experiment" in recommendation(pd.DataFrame(), best)


def test_missing_columns_are_named_in_the_error():
    with pytest.raises(ValueError, match="lacks column.*psi"):
        best_table(make_summary(run(D, "dense", "cws", "16", 0.96, 0.15)).drop(columns="psi"))


def test_recommendation_picks_the_smallest_matching_psi_and_names_the_runner_up():
    summary = make_summary(run(D, "dense", "pr_uq", "99-16", 0.951, 0.006),
                           run(D, "dense", "pr_cws", "99-32", 0.955, 0.009),
                           run(D, "dense", "uq", "2", 0.90, 0.001))
    text = recommendation(summary, best_table(summary))
    assert "Baseline accuracy: 0.9500 (higher is better)" in text
    line = next(l for l in text.splitlines() if l.startswith("- **dense**"))
    assert "choose **pr_uq** (config 99-16): psi_study 0.0060 (psi_direct not measured)" in line
    assert "Runner-up: pr_cws (99-32), psi_study 0.0090 (+0.0030, 1.50x)" in line


def test_best_space_keeps_the_study_psi_and_best_direct_ranks_on_psi_direct():
    summary = make_summary(run(D, "dense", "pr_uq", "90-32", 0.96, 0.050, psi_direct=0.030),
                           run(D, "dense", "pr_uq", "95-16", 0.95, 0.040, psi_direct=0.035),
                           run(D, "dense", "pr_uq", "99-2", 0.80, 0.001, psi_direct=0.001))
    best = best_table(summary)
    assert pick(best, "dense", "pr_uq", "best_space")["config"] == "95-16"
    direct = pick(best, "dense", "pr_uq", "best_direct")
    assert (direct["config"], direct["psi"], direct["psi_direct"]) == ("90-32", 0.05, 0.03)
    assert direct["matches_baseline"]


def test_recommendation_ranks_on_psi_direct_and_reports_study_and_baseline_beside_it():
    summary = make_summary(
        run(D, "dense", "pr_uq", "99-16", 0.951, 0.006, psi_direct=0.006, psi_baseline=0.008),
        run(D, "dense", "pr_cws", "99-32", 0.955, 0.005, psi_direct=0.009, psi_baseline=0.004))
    line = next(l for l in recommendation(summary, best_table(summary)).splitlines()
                if l.startswith("- **dense**"))
    assert ("choose **pr_uq** (config 99-16): psi_direct 0.0060 (psi_study 0.0060, "
            "psi_baseline 0.0080), accuracy 0.9510") in line
    assert "Runner-up: pr_cws (99-32), psi_direct 0.0090 (+0.0030, 1.50x)" in line
    assert "must decode" not in line


def test_recommendation_says_when_a_general_purpose_compressor_is_smaller():
    summary = make_summary(run(D, "conv", "uq", "16", 0.96, 0.12, psi_direct=0.10, psi_baseline=0.08))
    line = next(l for l in recommendation(summary, best_table(summary)).splitlines()
                if l.startswith("- **conv**"))
    assert "psi_direct 0.1000 (psi_study 0.1200, psi_baseline 0.0800)" in line
    assert "smaller (psi_baseline 0.80x psi_direct), but it must decode them to dense" in line


def test_paper_comparison_stays_on_the_study_psi():
    C = "vgg19-cifar10"
    summary = make_summary(run(C, "dense", "pr_uq", "99-16", 0.9360, 0.0060, psi_direct=0.0010),
                           run(C, "dense", "pr_uq", "90-32", 0.9370, 0.0200, psi_direct=0.0005))
    df = paper_comparison(best_table(summary), summary, REFERENCE)
    space = df[(df["selection"] == "best_space") & (df["method"] == "pr_uq")].iloc[0]
    assert (space["our_config"], space["our_psi"]) == ("99-16", 0.0060)


def test_paper_comparison_faces_pr_x_rows_with_study_mode_runs_only(tmp_path):
    C = "vgg19-cifar10"
    survivors = run(C, "dense", "pr_uq", "99-16", 0.9370, 0.0050, prune_quantize="survivors", values="16")
    study = run(C, "dense", "pr_uq", "99-16", 0.9350, 0.0060, prune_quantize="study", values="15")
    study["params"] += "/pq~study"
    summary = make_summary(survivors, study, run(C, "dense", "uq", "16", 0.93, 0.05, prune_quantize=""))
    best = best_table(summary)
    assert sorted(best.loc[best["method"] == "pr_uq", "prune_quantize"].unique()) == ["study", "survivors"]
    df = paper_comparison(best, summary, REFERENCE)
    for selection in ("best_perf", "best_space"):
        row = df[(df["selection"] == selection) & (df["method"] == "pr_uq")].iloc[0]
        assert (row["our_perf"], row["our_psi"]) == (0.9350, 0.0060), selection
    assert df[(df["selection"] == "best_perf") & (df["method"] == "uq")].iloc[0]["our_config"] == "16"
    paths = [tmp_path / n for n in ("best.csv", "best.md", "best.tex")]
    write_best(best, *paths)
    md = paths[1].read_text()
    assert "| dense | pr_uq (study mode) | best_perf | 99-16 | 15 |" in md
    assert "| dense | pr_uq | best_perf | 99-16 | 16 |" in md and "really hold after retraining" in md
    text = recommendation(summary, best)
    assert "**pr_uq** (config 99-16)" in text and "Runner-up: pr_uq (study mode) (99-16)" in text


def test_recommendation_says_when_no_method_kept_the_baseline():
    K = "deepdta-kiba"
    summary = make_summary(run(K, "both", "cws+slr", "64/64", 0.30, 0.17),
                           run(K, "both", "cws+pr_cws", "64/50", 0.20, 0.13))
    line = next(l for l in recommendation(summary, best_table(summary)).splitlines()
                if l.startswith("- **both**"))
    assert "no method kept the baseline performance" in line
    assert "**cws+pr_cws** (config 64/50)" in line and "mse 0.2000" in line


def test_write_best_writes_csv_markdown_and_escaped_latex(tmp_path):
    summary = make_summary(run(D, "dense", "pr_uq", "90-32", 0.97, 0.05),
                           run(D, "conv", "uq", "16", 0.90, 0.12),
                           run(D, "dense", "cws", "4", 0.9, 0.1, status="failed", error="boom"))
    best = best_table(summary)
    paths = [tmp_path / "out" / n for n in ("best.csv", "best.md", "best.tex")]
    write_best(best, *paths, failed=failed_runs(summary))
    back = pd.read_csv(paths[0], dtype={"config": str})
    assert len(back) == 6 and list(back["config"]) == list(best["config"])
    assert list(back["selection"][:3]) == ["best_perf", "best_space", "best_direct"]
    md = paths[1].read_text()
    assert "**vgg_mini-digits (baseline 0.9500)**" in md
    assert "| dense | pr_uq | best_perf | 90-32 |" in md and "| psi study | psi direct | psi baseline |" in md
    assert "no: closest run" in md and "## Failed runs" in md
    tex = paths[2].read_text()
    assert r"pr\_uq" in tex and "pr_uq" not in tex and tex.count(r"\begin{tabular}") == 1
    assert sorted(p.name for p in paths[0].parent.iterdir()) == ["best.csv", "best.md", "best.tex"]


def test_paper_comparison_maps_names_selections_and_leaves_missing_runs_empty(tmp_path):
    C = "vgg19-cifar10"
    summary = make_summary(run(C, "dense", "pr_uq", "99-16", 0.9360, 0.0060, psi_study_estimate=0.0070),
                           run(C, "dense", "pr_uq", "90-32", 0.9370, 0.0200, psi_study_estimate=0.0300),
                           run(C, "conv", "uq", "256", 0.9350, 0.2500),
                           run(C, "both", "uq+pr_uq", "256/95", 0.9300, 0.1400),
                           run(D, "dense", "cws", "16", 0.96, 0.15))
    df = paper_comparison(best_table(summary), summary, REFERENCE)
    assert set(df["experiment"]) == {C} and len(df) == 9 + 9 + 4 + 8
    perf = df[(df["selection"] == "best_perf") & (df["method"] == "pr_uq")].iloc[0]
    assert (perf["paper_config"], perf["our_config"], perf["our_perf"]) == ("99-16", "99-16", 0.936)
    assert perf["our_match"] == "same config" and perf["our_psi_estimate"] == 0.0070
    space = df[(df["selection"] == "best_space") & (df["method"] == "pr_uq")].iloc[0]
    assert space["our_config"] == "99-16" and (space["our_psi_estimate"], space["our_psi"]) == (0.0070, 0.0060)
    assert space["psi_diff"] == pytest.approx(0.0014), "the study's estimate faces the published psi"
    conv = df[(df["selection"] == "conv_only") & (df["method"] == "uq")].iloc[0]
    assert conv["our_config"] == "256" and conv["paper_delta"] == pytest.approx(0.0016)
    both = df[df["selection"] == "both_layers"].set_index("method")
    assert both.loc["uq+pr_uq", "our_config"] == "256/95"
    assert pd.isna(both.loc["cws+slr", "our_perf"])
    assert both.loc["cws+slr", "our_baseline"] == 0.9344
    csv, md = tmp_path / "cmp.csv", tmp_path / "cmp.md"
    write_paper_comparison(df, csv, md, [C, D])
    text = md.read_text()
    assert "## vgg19-cifar10" in text and "26 of 30 published rows have no run of ours" in text
    assert "`vgg_mini-digits` has no published counterpart" in text
    assert "| our psi (study's estimate) | our psi (exact) |" in text
    assert "| 0.0070 | 0.0060 |" in text and "The study's psi are estimates, not stored bytes" in text
    assert "did not estimate slr or unquantized pr this way" in text
    assert len(pd.read_csv(csv)) == len(df)


def test_best_space_rows_face_our_run_of_the_same_config_else_our_best_space(tmp_path):
    C = "vgg19-cifar10"
    summary = make_summary(run(C, "dense", "cws", "2", 0.9300, 0.0313, psi_direct=0.0300, psi_study_estimate=0.0320),
                           run(C, "dense", "cws", "16", 0.9360, 0.1200, psi_direct=0.1100),
                           run(C, "dense", "cws", "256", 0.9367, 0.2500, psi_direct=0.2400),
                           run(C, "dense", "pws", "8", 0.9350, 0.0900, psi_direct=0.0800))
    best = best_table(summary)
    assert pick(best, "dense", "cws", "best_space")["config"] == "16"
    df = paper_comparison(best, summary, REFERENCE)
    rows = df[df["layers"] == "dense"].set_index(["selection", "method"])
    space = rows.loc[("best_space", "cws")]
    assert (space["our_match"], space["our_config"], space["our_perf"]) == ("same config", "2", 0.9300)
    assert (space["our_psi_estimate"], space["our_psi"], space["our_psi_direct"]) == (0.0320, 0.0313, 0.0300)
    assert not space["our_matches_baseline"]
    assert rows.loc[("best_perf", "cws"), "our_config"] == "256"
    fallback = rows.loc[("best_space", "pws")]
    assert (fallback["our_match"], fallback["our_config"], fallback["our_psi_direct"]) == ("our best_space", "8", 0.08)
    csv, md = tmp_path / "cmp.csv", tmp_path / "cmp.md"
    write_paper_comparison(df, csv, md, [C])
    assert "our_psi_direct" in pd.read_csv(csv).columns
    text = md.read_text()
    assert "| our psi (study's estimate) | our psi (exact) | our psi_direct |" in text
    assert "| best_space | dense | cws | 2 | 0.9355 | 0.0313 | +0.0011 | same config | 2 | 0.9300 |" in text
    assert "| best_space | dense | pws | 2 |" in text and "| our best_space | 8 |" in text
    assert "(no match)" not in text.split("## vgg19-cifar10")[1], "every run here keeps the baseline or is same config"
    assert "Every published row, best_space included, faces our run with the same config label" in text


def test_summaries_without_the_study_estimate_leave_it_and_the_psi_diff_empty():
    C = "vgg19-cifar10"
    summary = make_summary(run(C, "dense", "pr_uq", "99-16", 0.9360, 0.0060))
    df = paper_comparison(best_table(summary), summary, REFERENCE)
    row = df[(df["selection"] == "best_space") & (df["method"] == "pr_uq")].iloc[0]
    assert row["our_psi"] == 0.0060 and pd.isna(row["our_psi_estimate"]) and pd.isna(row["psi_diff"])


def test_paper_comparison_of_digits_only_is_empty_with_a_sentence(tmp_path):
    summary = make_summary(run(D, "dense", "cws", "16", 0.96, 0.15))
    df = paper_comparison(best_table(summary), summary, REFERENCE)
    assert df.empty and "paper_perf" in df.columns
    csv, md = tmp_path / "cmp.csv", tmp_path / "cmp.md"
    write_paper_comparison(df, csv, md, ["vgg_mini-digits"])
    assert csv.read_text().startswith("experiment,layers,method,selection,paper_config")
    assert len(pd.read_csv(csv)) == 0
    assert "`vgg_mini-digits` has no published counterpart: the study reports" in md.read_text()


def test_deepdta_reference_deltas_are_signed_for_lower_is_better():
    K = "deepdta-kiba"
    summary = make_summary(run(K, "dense", "ecsq", "16", 0.16, 0.1))
    df = paper_comparison(best_table(summary), summary, REFERENCE)
    row = df[(df["selection"] == "best_perf") & (df["method"] == "ecsq")].iloc[0]
    assert row["paper_delta"] == pytest.approx(0.1756 - 0.1600)
    assert row["our_delta"] == pytest.approx(0.0156) and row["perf_diff"] == pytest.approx(0.0)


def test_a_note_heads_the_paper_comparison():
    from sham_core.aggregate.paper import comparison_markdown
    summary = make_summary(run(D, "dense", "cws", "16", 0.96, 0.15))
    df = paper_comparison(best_table(summary), summary, REFERENCE)
    assert "**Smoke run**" in comparison_markdown(df, [D], note="Smoke run")


def test_seed_spread_shows_in_the_best_markdown(tmp_path):
    summary = make_summary(run(D, "dense", "cws", "16", 0.96, 0.15))
    best = best_table(summary.assign(perf_std=0.004, seeds=3))
    paths = [tmp_path / name for name in ("b.csv", "b.md", "b.tex")]
    write_best(best, *paths)
    assert "± 0.0040 (3 seeds)" in paths[1].read_text()


def test_a_run_within_the_baseline_seed_noise_keeps_the_baseline(tmp_path):
    summary = make_summary(run(D, "dense", "uq", "2", 0.930, 0.01), run(D, "dense", "uq", "4", 0.945, 0.02),
                           run(D, "conv", "uq", "2", 0.930, 0.01))
    noisy = summary.assign(baseline_mean=0.948, baseline_std=0.01, baseline_seeds=3)
    assert not pick(best_table(summary), "dense", "uq", "best_space")["matches_baseline"]
    space = pick(best_table(noisy), "dense", "uq", "best_space")
    assert (space["config"], space["delta"], space["matches_baseline"]) == ("4", pytest.approx(-0.005), True)
    assert pick(best_table(noisy), "dense", "uq", "best_perf")["matches_baseline"]
    assert not pick(best_table(noisy), "conv", "uq", "best_space")["matches_baseline"], "0.02 below: beyond noise"
    paths = [tmp_path / name for name in ("b.csv", "b.md", "b.tex")]
    write_best(best_table(noisy), *paths)
    assert "**vgg_mini-digits (baseline 0.9500; over 3 seeds 0.9480 ± 0.0100)**" in paths[1].read_text()
    assert "delta >= -std" in paths[1].read_text()
