"""Our selections next to the study's published figures (paper_results.csv)."""
from pathlib import Path

import pandas as pd

from ..common.atomic import write_csv, write_text
from .frames import experiment_info, keeps_baseline, label, require_columns, tidy_best
from .frames import experiments as experiment_names
from .text import failed_section, fmt_delta, fmt_perf, fmt_psi, markdown_table

REFERENCE_COLUMNS = ("selection", "net", "dataset", "metric", "layers", "method", "config",
                     "perf", "psi", "baseline_perf")
NETS = {"VGG19": "vgg19", "DeepDTA": "deepdta"}
HIGHER_IS_BETTER = {"accuracy": True, "mse": False}
# conv_only and both_layers are per-method best-performance picks on conv / both layers.
OUR_SELECTION = {"best_perf": "best_perf", "best_space": "best_space",
                 "conv_only": "best_perf", "both_layers": "best_perf"}
COLUMNS = ["experiment", "layers", "method", "selection", "paper_config", "paper_perf",
           "paper_psi", "paper_baseline", "our_match", "our_config", "our_perf", "our_psi_estimate", "our_psi",
           "our_psi_direct", "our_baseline",
           "paper_delta", "our_delta", "perf_diff", "psi_diff", "our_matches_baseline"]
HEADER = ["selection", "layers", "method", "paper config", "paper perf", "paper psi",
          "paper delta", "ours", "our config", "our perf", "our psi (study's estimate)", "our psi (exact)",
          "our psi_direct", "our delta", "psi diff"]
# Why the study's published psi face our psi_study_estimate, with our exact psi beside it.
PSI_NOTE = ("The study's psi are estimates, not stored bytes (a dictionary of Python strings at len(code) + 13 "
            "bytes an entry, code streams in whole 64-bit words, CSC index widths chosen by the number of rows), so "
            "they face our psi_study_estimate, the same estimate of our weights; our psi (exact) is the bytes of the "
            "study's format choice as we store it (psi_study), our psi_direct those of our smallest format that "
            "multiplies without decoding (what the .sham file stores). The study did not estimate slr or "
            "unquantized pr this way: on those rows our estimate applies its rules anyway (to slr's two factors).")


def read_reference(reference):
    """The published results as a DataFrame, from a DataFrame or a CSV path; labels stay text."""
    if isinstance(reference, (str, Path)):
        reference = pd.read_csv(reference, dtype={"config": str})
    require_columns(reference, REFERENCE_COLUMNS, "reference")
    unknown = set(reference["selection"]) - set(OUR_SELECTION)
    if unknown:
        raise ValueError(f"reference has unknown selection(s) {sorted(unknown)}; "
                         f"known: {sorted(OUR_SELECTION)}")
    return reference


def _paper_rows(reference):
    """Reference rows renamed to our vocabulary: experiment names, paper_* columns, deltas."""
    metric = reference["metric"].map(lambda m: HIGHER_IS_BETTER.get(str(m).lower()))
    if metric.isna().any():
        raise ValueError(f"reference metric(s) {sorted(set(reference['metric'][metric.isna()]))} "
                         f"unknown; known: {sorted(HIGHER_IS_BETTER)}")
    sign = metric.map(lambda hib: 1.0 if hib else -1.0)
    net = reference["net"].map(lambda n: NETS.get(n, str(n).lower()))
    return pd.DataFrame({
        "experiment": net + "-" + reference["dataset"].str.lower(),
        "layers": reference["layers"], "method": reference["method"],
        "selection": reference["selection"],
        "our_selection": reference["selection"].map(OUR_SELECTION),
        "paper_config": reference["config"].map(label), "paper_perf": reference["perf"],
        "paper_psi": reference["psi"], "paper_baseline": reference["baseline_perf"],
        "paper_delta": sign * (reference["perf"] - reference["baseline_perf"])})


def paper_comparison(best, summary, reference):
    """Per published row of our experiments, the study's figures next to ours.

    pr_X rows face only our runs in the study's mode (prune_quantize "study"), never those that
    quantize the survivors of pruning. Every published row, best_space included, faces our run
    with the same config label ("same config") where we have one; else a row the study picked by
    performance (best_perf, conv_only, both_layers) faces our best_perf selection, and a
    best_space row our best_space selection.
    psi_diff compares like with like: our psi_study_estimate less the published psi.
    """
    best, summary = _study_mode_only(tidy_best(best)), _study_mode_only(summary)
    ours = set(experiment_names(summary)) | set(best["experiment"])
    paper = _paper_rows(read_reference(reference))
    paper = paper[paper["experiment"].isin(ours)].reset_index(drop=True)
    mine = best.rename(columns={"selection": "our_selection", "config": "our_config",
                                "perf": "our_perf", "psi": "our_psi", "baseline": "our_baseline",
                                "delta": "our_delta", "matches_baseline": "our_matches_baseline",
                                "psi_direct": "our_psi_direct"})
    df = paper.merge(mine, how="left", on=["experiment", "layers", "method", "our_selection"])
    df["our_psi_estimate"] = _estimates(df, summary)
    df["our_match"] = "our " + df["our_selection"]
    df = _same_config_where_we_have_it(df, summary)
    if len(summary):
        baselines = {e: i["baseline"] for e, i in experiment_info(summary).items()}
        df["our_baseline"] = df["our_baseline"].fillna(df["experiment"].map(baselines))
    df.loc[df["our_config"].isna(), "our_match"] = "no run"
    df["perf_diff"] = df["our_perf"] - df["paper_perf"]
    df["psi_diff"] = df["our_psi_estimate"] - df["paper_psi"]
    df = df.sort_values("experiment", kind="mergesort").reset_index(drop=True)
    return df[COLUMNS]


def _estimates(df, summary):
    """psi_study_estimate of the run behind each row (matched on its params), NaN where not recorded."""
    key = ["experiment", "layers", "method", "params"]
    if not len(summary) or "psi_study_estimate" not in summary.columns:
        return float("nan")
    runs = summary[(summary["status"] == "ok") & (summary["method"] != "baseline")]
    runs = runs.assign(**{column: runs[column].map(label) for column in key})
    means = runs.groupby(key)["psi_study_estimate"].agg(lambda s: pd.to_numeric(s).mean())
    return [means.get(tuple(row), float("nan")) for row in df[key].itertuples(index=False)]


def _study_mode_only(df):
    """The rows the study's figures may face: pr_X runs in the study's mode (prune_quantize "study"), other methods."""
    if "prune_quantize" not in df.columns:
        return df
    return df[~df["prune_quantize"].map(label).str.contains("survivors")]


def _same_config_where_we_have_it(df, summary):
    """Replace our figures by our run with the paper's own config label, wherever we have one.

    best_space rows too: the authors picked those configurations by hand, and the same
    configuration is the like-for-like comparison (our own best_space pick is a different one).
    """
    if not len(summary):
        return df
    runs = summary[(summary["status"] == "ok") & (summary["method"] != "baseline")]
    runs = runs.assign(config=runs["config"].map(label), keeps=keeps_baseline(runs))
    runs = runs.drop_duplicates(["experiment", "layers", "method", "config"])
    runs = runs.set_index(["experiment", "layers", "method", "config"])
    for i, row in df.iterrows():
        key = (row.experiment, row.layers, row.method, row.paper_config)
        if key in runs.index:
            run = runs.loc[key]
            df.loc[i, ["our_config", "our_perf", "our_psi", "our_delta", "our_match"]] = [
                row.paper_config, run["after_retrain"], run["psi"], run["delta"], "same config"]
            df.loc[i, "our_psi_estimate"] = run.get("psi_study_estimate", float("nan"))
            df.loc[i, "our_psi_direct"] = run.get("psi_direct", float("nan"))
            df.loc[i, "our_matches_baseline"] = run["keeps"]
    return df


def _cells(row):
    """Formatted markdown cells of one comparison row; our cells are "-" where we have no run."""
    if pd.isna(row.our_config):
        ours = ["-"] * 8
    else:
        unmatched = row.our_match == "our best_space" and not row.our_matches_baseline
        mark = " (no match)" if unmatched else ""
        ours = [row.our_match, label(row.our_config) + mark, fmt_perf(row.our_perf), fmt_psi(row.our_psi_estimate),
                fmt_psi(row.our_psi), fmt_psi(row.our_psi_direct), fmt_delta(row.our_delta),
                fmt_psi(row.psi_diff, signed=True)]
    return [row.selection, row.layers, row.method, row.paper_config, fmt_perf(row.paper_perf),
            fmt_psi(row.paper_psi), fmt_delta(row.paper_delta), *ours]


def _experiment_md(df, exp):
    """Markdown block of one experiment: a sentence when unpublished, else its table."""
    rows = df[df["experiment"] == exp]
    if rows.empty:
        return (f"\n`{exp}` has no published counterpart: the study reports VGG19 on MNIST, "
                "CIFAR10, CIFAR100 and DeepDTA on DAVIS, KIBA only, so there is nothing to "
                "compare it with.\n")
    missing = int(rows["our_config"].isna().sum())
    first = rows.iloc[0]
    note = f"{missing} of {len(rows)} published rows have no run of ours (\"-\").\n\n"
    note = note if missing else ""
    return (f"\n## {exp}\n\nBaseline: study {fmt_perf(first['paper_baseline'])}, "
            f"ours {fmt_perf(first['our_baseline'])}.\n\n{note}"
            + markdown_table(HEADER, [_cells(r) for r in rows.itertuples()]))


def comparison_markdown(df, experiments_run, failed=None, note=None):
    """The comparison as markdown: an explanation, then one block per experiment.

    note: a line set in bold under the title (e.g. that this is a smoke run).
    """
    text = ["# Our results next to the study's\n\n", f"**{note}**\n\n" if note else "",
            "Study: Marinò et al. 2023 (paper_results.csv). Every published row, best_space included, "
            "faces our run with the same config label (\"same config\") where we have one; else a row the "
            "study picked by performance (best_perf, conv_only, both_layers) faces our best_perf selection "
            "and a best_space row (chosen by the study's authors) our best_space selection. "
            "delta = performance against the network's own "
            "baseline (> 0: better); psi diff = our psi (study's estimate) - the study's; \"(no match)\": "
            "no run of ours kept our baseline, so our best_space shows the closest run. " + PSI_NOTE + "\n"]
    names = list(dict.fromkeys([*map(label, experiments_run), *df["experiment"]]))
    if not names:
        text.append("\nNo experiment to compare.\n")
    text.extend(_experiment_md(df, exp) for exp in names)
    return "".join(text) + failed_section(failed)


def write_paper_comparison(df, csv_path, md_path, experiments, failed=None, note=None):
    """Write the comparison as CSV (header only when nothing is published) and markdown."""
    require_columns(df, COLUMNS, "paper comparison")
    write_csv(df[COLUMNS], csv_path)
    write_text(md_path, comparison_markdown(df, experiments, failed, note))
