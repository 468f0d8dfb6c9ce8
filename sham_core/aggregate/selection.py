"""The study's two per-method selections (best performance, best space), best direct, and the failed runs."""
import pandas as pd

from .frames import BEST_COLUMNS, FAILED_COLUMNS, direct_psi, keeps_baseline, label, layer_order, ok_runs, runs, usable


def _perf_order(group):
    """Runs from best to worst after_retrain; ties go to the smaller psi, then by params."""
    hib = bool(group["higher_is_better"].iloc[0])
    return group.sort_values(["after_retrain", "psi", "params"], ascending=[not hib, True, True],
                             na_position="last", kind="mergesort")


def _row(run, selection, matches):
    """One best-table row from a run (or a grid point's mean over seeds, with its spread)."""
    return {"experiment": run["experiment"], "layers": run["layers"], "method": run["method"],
            "prune_quantize": run.get("prune_quantize", ""), "selection": selection, "config": run["config"],
            "params": run["params"], "values": run.get("values", ""),
            "perf": run["after_retrain"], "baseline": run["baseline"], "delta": run["delta"],
            "psi": run["psi"], "matches_baseline": bool(matches),
            "perf_std": run.get("perf_std", 0.0), "seeds": run.get("seeds", 1),
            "latency_b1_ratio": run.get("latency_b1_ratio"), "peak_mb": run.get("peak_mb"),
            "artifact": run.get("artifact"), "psi_direct": run.get("psi_direct"),
            "psi_baseline": run.get("psi_baseline"), "baseline_mean": run.get("baseline_mean"),
            "baseline_std": run.get("baseline_std"), "baseline_seeds": run.get("baseline_seeds"),
            "psi_network": run.get("psi_network"), "kernel_fraction": run.get("kernel_fraction"),
            "skipped_layers": run.get("skipped_layers")}


def _smallest(group, psi, selection):
    """Smallest psi among the runs that keep the baseline (ties: larger delta); else the largest delta, unmatched."""
    group = group.assign(rank_psi=psi)
    matching = group[keeps_baseline(group)]
    if len(matching):
        run = matching.sort_values(["rank_psi", "delta", "params"], ascending=[True, False, True],
                                   kind="mergesort").iloc[0]
        return _row(run, selection, True)
    run = group.sort_values(["delta", "rank_psi", "params"], ascending=[False, True, True],
                            na_position="last", kind="mergesort").iloc[0]
    return _row(run, selection, False)


def best_table(summary):
    """Per experiment x layers x method (x prune_quantize mode), the best_perf, best_space and best_direct runs.

    best_space is the study's rule on the study's psi; best_direct is the same rule on psi_direct
    (the smallest format that computes x @ W directly), which the recommendation ranks on.
    """
    if summary.empty:
        return pd.DataFrame(columns=BEST_COLUMNS)
    ok = ok_runs(summary)
    rows = []
    groups = dict(list(ok.groupby(["experiment", "layers", "method", "prune_quantize"])))
    for key in sorted(groups, key=lambda k: (k[0], layer_order(k[1]), k[2], k[3])):
        group = groups[key]
        top = _perf_order(group).iloc[0]
        rows.append(_row(top, "best_perf", keeps_baseline(group)[top.name]))
        rows.append(_smallest(group, group["psi"], "best_space"))
        rows.append(_smallest(group, direct_psi(group), "best_direct"))
    return pd.DataFrame(rows, columns=BEST_COLUMNS)


def failed_runs(summary):
    """The runs whose status is not "ok", or whose kept model diverged, with their error text."""
    if summary.empty:
        return pd.DataFrame(columns=FAILED_COLUMNS)
    df = runs(summary)
    df = df[~usable(df)]
    error = df["error"].map(label) if "error" in df.columns else pd.Series("", index=df.index)
    if "diverged" in df.columns:
        diverged = df["diverged"].map(label)
        error = error.where(diverged == "", "diverged at " + diverged)
    failed = df.assign(error=error)[FAILED_COLUMNS]
    return failed.sort_values(FAILED_COLUMNS[:4], kind="mergesort").reset_index(drop=True)
