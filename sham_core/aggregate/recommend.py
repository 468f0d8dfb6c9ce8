"""The study's choice rule on psi_direct: per experiment and layer selection, which method to use."""
from pandas import isna, notna

from .frames import (KEEPS_BASELINE, direct_psi, experiment_info, experiments, layer_order, runs, shown_method,
                     tidy_best)
from .frames import label, usable
from .selection import failed_runs
from .text import failed_section, fmt_delta, fmt_fraction, fmt_perf, fmt_psi

SMALL_SHARE = 0.5  # below this share of the kernel parameters compressed, the recommendation warns

INTRO = ("Following the study's rule, on the formats that compute x @ W directly: among the methods "
         "whose best_direct run keeps the baseline performance, choose the one with the "
         "smallest psi_direct; if no method keeps it, choose the method with the best performance. "
         "psi = compressed bytes / float32 bytes of the compressed layers: psi_direct for the smallest "
         "format that multiplies on its stored form, psi_study for the study's format (index map for "
         "conv, HAM or sHAM for dense; what the paper comparison uses), psi_baseline for the smallest "
         "general-purpose compressor (gzip, xz, zstd), which must decode the weights before every "
         "multiply. Summaries without psi_direct are ranked on psi_study. psi_network: the whole network's "
         "stored bytes over its float32 bytes, shown beside; the ranking stays on the compressed layers' psi, "
         "the study's rule, with a warning where those layers hold under half of the model's kernel "
         "parameters (kernels only: biases, normalization and non-trainable state excluded). delta > 0 means "
         f"better than the uncompressed network. {KEEPS_BASELINE}\n")


def _psi_text(row):
    """The run's psi_direct, with psi_study and psi_baseline beside it."""
    if isna(row.psi_direct):
        return f"psi_study {fmt_psi(row.psi)} (psi_direct not measured)"
    text = f"psi_direct {fmt_psi(row.psi_direct)} (psi_study {fmt_psi(row.psi)}"
    if notna(row.psi_baseline):
        text += f", psi_baseline {fmt_psi(row.psi_baseline)}"
    if notna(getattr(row, "psi_network", None)):
        text += f", psi_network {fmt_psi(row.psi_network)}"
    return text + ")"


def _coverage_warning(rows):
    """A bold sentence when the compressed layers hold under SMALL_SHARE of the model's kernel parameters."""
    fractions = rows["kernel_fraction"].astype(float).dropna() if "kernel_fraction" in rows.columns else []
    if not len(fractions) or fractions.max() >= SMALL_SHARE:
        return ""
    skipped = next((label(text) for text in rows.get("skipped_layers", []) if label(text)), "")
    networks = rows["psi_network"].astype(float).dropna() if "psi_network" in rows.columns else []
    network = f" (psi_network {fmt_psi(networks.min())} at best)" if len(networks) else ""
    left = f"; not compressed: {skipped}" if skipped else ""
    return (f" **Warning: the compressed layers hold only {fmt_fraction(fractions.max())} of the model's kernel "
            f"parameters, so the psi above says little about the whole network{network}{left}.**")


def _baseline_note(row):
    """A sentence when a general-purpose compressor stores the weights in less than psi_direct."""
    if isna(row.psi_direct) or isna(row.psi_baseline) or row.psi_baseline >= row.psi_direct:
        return ""
    return (f" A general-purpose compressor stores these weights smaller (psi_baseline "
            f"{row.psi_baseline / row.psi_direct:.2f}x psi_direct), but it must decode them to dense "
            f"before multiplying; the direct format multiplies on its stored form.")


def _run_text(row, metric):
    """'method (config): psi ..., metric ..., delta ...' for one best-table row, and what it costs to run."""
    text = (f"**{shown_method(row)}** (config {row.config}): {_psi_text(row)}, "
            f"{metric} {fmt_perf(row.perf)}, delta {fmt_delta(row.delta)}")
    if notna(getattr(row, "latency_b1_ratio", None)):
        text += f", latency {row.latency_b1_ratio:.2f}x the uncompressed model at batch 1"
    if notna(getattr(row, "peak_mb", None)):
        text += f", peak memory {row.peak_mb:.0f} MB"
    if notna(getattr(row, "artifact", None)):
        text += f"; the model: `{row.artifact}`"
    return text


def _smallest_psi(space, metric):
    """Sentence choosing the smallest psi_direct among methods that match the baseline."""
    ranked = space.assign(rank_psi=direct_psi(space)).sort_values(
        ["rank_psi", "delta", "method"], ascending=[True, False, True], kind="mergesort")
    rows = list(ranked.itertuples())
    first = rows[0]
    text = f"choose {_run_text(first, metric)}.{_baseline_note(first)}"
    if len(rows) == 1:
        return text + " It is the only method that kept the baseline performance."
    second = rows[1]
    gap = second.rank_psi - first.rank_psi
    ratio = f", {second.rank_psi / first.rank_psi:.2f}x" if first.rank_psi > 0 else ""
    name = "psi_study" if isna(second.psi_direct) else "psi_direct"
    return (text + f" Runner-up: {shown_method(second)} ({second.config}), {name} {fmt_psi(second.rank_psi)} "
            f"({fmt_psi(gap, signed=True)}{ratio}). "
            f"{len(rows)} methods kept the baseline performance.")


def _best_perf(perf, metric, hib):
    """Sentence choosing the best performance when no method matches the baseline."""
    ranked = perf.assign(rank_psi=direct_psi(perf)).sort_values(
        ["perf", "rank_psi", "method"], ascending=[not hib, True, True], kind="mergesort", na_position="last")
    first = next(ranked.itertuples())
    text = (f"no method kept the baseline performance; the best performance is "
            f"{_run_text(first, metric)}.{_baseline_note(first)}")
    if len(ranked) > 1:
        second = list(ranked.itertuples())[1]
        text += (f" Runner-up: {shown_method(second)} ({second.config}), {metric} "
                 f"{fmt_perf(second.perf)}, {abs(first.perf - second.perf):.4f} worse.")
    return text


def _layer_line(best, exp, layers, n_failed, info):
    """One bullet for an experiment x layer selection."""
    rows = best[(best["experiment"] == exp) & (best["layers"] == layers)]
    if rows.empty:
        return f"- **{layers}**: every run failed ({n_failed}); nothing to recommend."
    space = rows[(rows["selection"] == "best_direct") & rows["matches_baseline"]]
    if len(space):
        text = _smallest_psi(space, info["metric"])
    else:
        perf = rows[rows["selection"] == "best_perf"]
        text = _best_perf(perf, info["metric"], info["higher_is_better"])
    if n_failed:
        text += f" ({n_failed} failed or diverged run(s) left out.)"
    return f"- **{layers}**: {text}{_coverage_warning(rows)}"


def _experiment_block(best, all_runs, exp, info):
    """Markdown section of one experiment: header with the baseline, one bullet per layers."""
    direction = "higher is better" if info["higher_is_better"] else "lower is better"
    head = (f"\n## {exp}\n\nBaseline {info['metric']}: {fmt_perf(info['baseline'])} "
            f"({direction}).\n\n")
    mine = all_runs[all_runs["experiment"] == exp]
    if mine.empty:
        return head + "No compression run.\n"
    lines = []
    for layers in sorted(set(mine["layers"]), key=layer_order):
        lines.append(_layer_line(best, exp, layers, int((~usable(mine[mine["layers"] == layers])).sum()), info))
    return head + "\n".join(lines) + "\n"


def recommendation(summary, best):
    """Markdown text recommending one method per experiment and layer selection, with reasons."""
    best = tidy_best(best)
    text = ["# Which compression method to choose\n\n", INTRO]
    if summary.empty:
        return "".join(text) + "\nNo experiment in the summary.\n"
    info = experiment_info(summary)
    all_runs = runs(summary)
    for exp in experiments(summary):
        text.append(_experiment_block(best, all_runs, exp, info[exp]))
    return "".join(text) + failed_section(failed_runs(summary))
