"""The study's choice rule, computed: per experiment and layer selection, which method to use."""
from pandas import notna

from .frames import experiment_info, experiments, layer_order, runs, tidy_best
from .selection import failed_runs
from .text import failed_section, fmt_delta, fmt_perf, fmt_psi

INTRO = ("Following the study: among the methods whose best_space run keeps the baseline "
         "performance (delta >= 0), choose the one with the smallest psi; if no method keeps it, "
         "choose the method with the best performance. psi = compressed bytes / float32 bytes of "
         "the compressed layers; delta > 0 means better than the uncompressed network.\n")


def _run_text(row, metric):
    """'method (config): psi ..., metric ..., delta ...' for one best-table row, and what it costs to run."""
    text = (f"**{row.method}** (config {row.config}): psi {fmt_psi(row.psi)}, "
            f"{metric} {fmt_perf(row.perf)}, delta {fmt_delta(row.delta)}")
    if notna(getattr(row, "psi_direct", None)) and notna(getattr(row, "psi_baseline", None)):
        text += (f" (smallest direct format: psi {fmt_psi(row.psi_direct)}; best general-purpose "
                 f"compressor, which must decode first: psi {fmt_psi(row.psi_baseline)})")
    if notna(getattr(row, "latency_b1_ratio", None)):
        text += f", latency {row.latency_b1_ratio:.2f}x the uncompressed model at batch 1"
    if notna(getattr(row, "peak_mb", None)):
        text += f", peak memory {row.peak_mb:.0f} MB"
    if notna(getattr(row, "artifact", None)):
        text += f"; the model: `{row.artifact}`"
    return text


def _smallest_psi(space, metric):
    """Sentence choosing the smallest psi among methods that match the baseline."""
    ranked = space.sort_values(["psi", "delta", "method"], ascending=[True, False, True],
                               kind="mergesort")
    first = next(ranked.itertuples())
    text = f"choose {_run_text(first, metric)}."
    if len(ranked) == 1:
        return text + " It is the only method that kept the baseline performance."
    second = list(ranked.itertuples())[1]
    gap = second.psi - first.psi
    ratio = f", {second.psi / first.psi:.2f}x" if first.psi > 0 else ""
    return (text + f" Runner-up: {second.method} ({second.config}), psi {fmt_psi(second.psi)} "
            f"({fmt_psi(gap, signed=True)}{ratio}). "
            f"{len(ranked)} methods kept the baseline performance.")


def _best_perf(perf, metric, hib):
    """Sentence choosing the best performance when no method matches the baseline."""
    ranked = perf.sort_values(["perf", "psi", "method"], ascending=[not hib, True, True],
                              kind="mergesort", na_position="last")
    first = next(ranked.itertuples())
    text = (f"no method kept the baseline performance; the best performance is "
            f"{_run_text(first, metric)}.")
    if len(ranked) > 1:
        second = list(ranked.itertuples())[1]
        text += (f" Runner-up: {second.method} ({second.config}), {metric} "
                 f"{fmt_perf(second.perf)}, {abs(first.perf - second.perf):.4f} worse.")
    return text


def _layer_line(best, exp, layers, n_failed, info):
    """One bullet for an experiment x layer selection."""
    rows = best[(best["experiment"] == exp) & (best["layers"] == layers)]
    if rows.empty:
        return f"- **{layers}**: every run failed ({n_failed}); nothing to recommend."
    space = rows[(rows["selection"] == "best_space") & rows["matches_baseline"]]
    if len(space):
        text = _smallest_psi(space, info["metric"])
    else:
        perf = rows[rows["selection"] == "best_perf"]
        text = _best_perf(perf, info["metric"], info["higher_is_better"])
    if n_failed:
        text += f" ({n_failed} failed run(s) left out.)"
    return f"- **{layers}**: {text}"


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
        status = mine[mine["layers"] == layers]["status"]
        lines.append(_layer_line(best, exp, layers, int((status != "ok").sum()), info))
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
