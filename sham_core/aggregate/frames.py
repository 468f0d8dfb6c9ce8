"""Shared checks and small helpers over the tidy summary table."""
import pandas as pd

SUMMARY_COLUMNS = ("experiment", "layers", "method", "config", "params", "status",
                   "higher_is_better", "baseline", "after_retrain", "delta", "psi")
BEST_COLUMNS = ["experiment", "layers", "method", "prune_quantize", "selection", "config", "params", "values",
                "perf", "baseline", "delta", "psi", "matches_baseline", "perf_std", "seeds",
                "latency_b1_ratio", "peak_mb", "artifact", "psi_direct", "psi_baseline",
                "baseline_mean", "baseline_std", "baseline_seeds", "psi_network", "kernel_fraction", "skipped_layers"]
# The whole network's psi and the share of its kernel parameters compressed: empty in tables written before them.
COVERAGE_COLUMNS = ("psi_network", "kernel_fraction", "skipped_layers")
FAILED_COLUMNS = ["experiment", "layers", "method", "params", "error"]
# The rule of keeps_baseline, for the tables' explanations.
KEEPS_BASELINE = ("A run keeps the baseline when delta >= 0, or, where the config trains the baseline with "
                  "several seeds (baseline_seeds), when delta >= -std: within the standard deviation of the "
                  "baseline's test metric over its seeds (shown after the baseline), its seed-to-seed noise.")


def require_columns(df, columns, name):
    """Raise a ValueError naming the missing columns, so that a wrong table fails early."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} table lacks column(s) {', '.join(missing)}; "
                         f"it has: {', '.join(map(str, df.columns)) or 'none'}")


def as_bool(value):
    """Read a bool that may have come back from a CSV as text."""
    if isinstance(value, str):
        if value.strip().lower() in ("true", "1", "yes"):
            return True
        if value.strip().lower() in ("false", "0", "no", ""):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    return bool(value)


def label(value):
    """A label (config, method, ...) as text: CSV readers turn "32" into 32 or 32.0, "" into NaN."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def shown_method(row):
    """The method as the tables show it: pr_X in the study's mode marked "(study mode)"."""
    mode = label(getattr(row, "prune_quantize", ""))
    return f"{row.method} (study mode)" if "study" in mode else row.method


def runs(summary):
    """The compression runs (baseline rows dropped), with text labels and bool directions."""
    require_columns(summary, SUMMARY_COLUMNS, "summary")
    df = summary[summary["method"] != "baseline"].copy()
    if "prune_quantize" not in df.columns:
        df["prune_quantize"] = ""
    for col in ("experiment", "layers", "method", "prune_quantize", "config", "params", "status"):
        df[col] = df[col].map(label)
    df["higher_is_better"] = df["higher_is_better"].map(as_bool)
    return df


def ok_runs(summary):
    """The runs that selections may choose: status "ok" and a kept model that did not diverge."""
    df = runs(summary)
    return df[usable(df)]


def usable(df):
    """Rows with status "ok" whose ``diverged`` (why the kept model diverged, if it did) is empty."""
    diverged = df["diverged"].map(label) if "diverged" in df.columns else pd.Series("", index=df.index)
    return (df["status"].map(label) == "ok") & (diverged == "")


def tidy_best(best):
    """The best table checked, with text labels and bool matches, also when read from a CSV."""
    best = best.assign(**{column: None for column in COVERAGE_COLUMNS if column not in best.columns})
    require_columns(best, BEST_COLUMNS, "best")
    df = best.copy()
    for col in ("experiment", "layers", "method", "prune_quantize", "selection", "config", "params", "values"):
        df[col] = df[col].map(label)
    df["matches_baseline"] = df["matches_baseline"].map(as_bool)
    return df


def experiment_info(summary):
    """Per experiment: metric name, higher_is_better and baseline metric (baseline rows first)."""
    require_columns(summary, ("experiment", "method", "higher_is_better", "baseline"), "summary")
    info = {}
    ordered = pd.concat([summary[summary["method"] == "baseline"],
                         summary[summary["method"] != "baseline"]])
    for _, row in ordered.iterrows():
        exp = label(row["experiment"])
        if exp not in info:
            info[exp] = {"metric": label(row.get("metric", "")) or "metric",
                         "higher_is_better": as_bool(row["higher_is_better"]),
                         "baseline": float(row["baseline"])}
    return info


def experiments(summary):
    """Sorted experiment names in the summary."""
    if summary.empty:
        return []
    require_columns(summary, ("experiment",), "summary")
    return sorted(set(summary["experiment"].map(label)))


def direct_psi(df):
    """psi_direct where measured, else the study's psi (summaries from before psi_direct)."""
    if "psi_direct" not in df.columns:
        return df["psi"].astype(float)
    return df["psi_direct"].astype(float).fillna(df["psi"].astype(float))


def keeps_baseline(df):
    """Rows that keep the baseline: delta >= -baseline_std, its std over seeds (delta >= 0 where none was measured).

    A run worse than the baseline by less than the baseline's own seed-to-seed spread is within noise.
    """
    noise = df["baseline_std"].astype(float).fillna(0.0) if "baseline_std" in df.columns else 0.0
    return df["delta"] >= -noise


def layer_order(layers):
    """Sort key that puts layer selections in the study's order (dense, conv, both), then the others."""
    order = ("dense", "conv", "both", "embedding", "recurrent", "all")
    return order.index(layers) if layers in order else len(order), layers
