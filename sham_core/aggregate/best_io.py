"""Writers for the best table: CSV, markdown with a header line per experiment, LaTeX."""
from pandas import notna

from ..common.atomic import write_csv, write_text
from .frames import BEST_COLUMNS, KEEPS_BASELINE, label, layer_order, shown_method, tidy_best
from .text import failed_section, fmt_delta, fmt_fraction, fmt_perf, fmt_psi, latex_tabular, markdown_table

HEADER = ["layers", "method", "selection", "config", "values", "perf", "delta", "psi study", "psi direct",
          "psi baseline", "matches baseline", "kernels compressed"]
NO_MATCH = "no: closest run"


def _cells(row):
    """Formatted cells of one best-table row; an unmatched best_space is marked as such."""
    if row.matches_baseline:
        matches = "yes"
    else:
        matches = "no" if row.selection == "best_perf" else NO_MATCH
    perf = fmt_perf(row.perf)
    if row.seeds > 1:
        perf += f" ± {fmt_perf(row.perf_std)} ({row.seeds} seeds)"
    return [row.layers, shown_method(row), row.selection, row.config, row.values, perf, fmt_delta(row.delta),
            fmt_psi(row.psi), fmt_psi(row.psi_direct), fmt_psi(row.psi_baseline), matches,
            fmt_fraction(row.kernel_fraction)]


def _sections(best):
    """(title, rows) per experiment, the title giving the baseline metric."""
    out = []
    for exp, group in best.groupby("experiment", sort=True):
        first = group.iloc[0]
        title = f"{exp} (baseline {fmt_perf(first['baseline'])}"
        if notna(first["baseline_std"]):
            title += (f"; over {first['baseline_seeds']:.0f} seeds {fmt_perf(first['baseline_mean'])} "
                      f"± {fmt_perf(first['baseline_std'])}")
        title += ")"
        out.append((title, [_cells(r) for r in group.itertuples()]))
    return out


def best_markdown(best, failed=None):
    """The best table as markdown: an explanation, then one table per experiment."""
    text = ["# Best configuration per method\n",
            "best_perf: the run with the best performance after retraining (ties: smaller psi). "
            "best_space: the smallest psi study (the study's format, as the paper comparison uses it) among "
            "runs that keep the uncompressed baseline; best_direct: the same rule on psi direct "
            "(the smallest format that computes x @ W directly), which the recommendation ranks on; "
            f"where no run matches the baseline the row says \"{NO_MATCH}\" "
            "and shows the run with the largest delta instead. psi baseline: the smallest "
            "general-purpose compressor (gzip, xz, zstd), which must decode before multiplying. "
            "delta > 0 means better than the baseline; psi = compressed bytes / float32 bytes. "
            "values: the distinct nonzero values the compressed layers really hold after retraining "
            "(conv/dense for both), which can be fewer than k. pr_X \"(study mode)\" quantized the whole pruned "
            "matrix, zeros included, as the study's code does; other pr_X quantized the survivors of pruning. "
            "kernels compressed: the share of the model's kernel parameters in the compressed layers (kernels "
            "only: biases, normalization and non-trainable state excluded); the layers holding the rest are listed "
            "under each table, and psi covers the compressed layers only. "
            f"{KEEPS_BASELINE}\n"]
    if best.empty:
        text.append("\nNo successful compression run.\n")
    for (title, rows), (_, group) in zip(_sections(best), best.groupby("experiment", sort=True)):
        text.append(f"\n**{title}**\n\n" + markdown_table(HEADER, rows) + _skipped_lines(group))
    return "".join(text) + failed_section(failed)


def _skipped_lines(group):
    """Per layer selection of one experiment, the layers its runs left uncompressed (none: no line)."""
    lines = []
    for layers in sorted(set(group["layers"]), key=layer_order):
        skipped = sorted({label(text) for text in group[group["layers"] == layers]["skipped_layers"]} - {""})
        if skipped:
            lines.append(f"\nNot compressed with layers {layers}: {' / '.join(skipped)}\n")
    return "".join(lines)


def write_best(best, csv_path, md_path, tex_path, failed=None):
    """Write the best table as CSV, markdown and a LaTeX tabular; failed runs get a section."""
    best = tidy_best(best)
    write_csv(best[BEST_COLUMNS], csv_path)
    write_text(md_path, best_markdown(best, failed))
    write_text(tex_path, latex_tabular(HEADER, _sections(best)))
