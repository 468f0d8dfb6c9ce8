"""The aggregation stage's jobs (rules aggregate and plots): the tables and plots of a whole run."""
import pandas as pd

from ..common.atomic import write_csv, write_text
from .best_io import write_best
from .paper import paper_comparison, write_paper_comparison
from .recommend import recommendation
from .selection import best_table, failed_runs
from .summary import points, tables


def aggregate_job(inputs, outputs, experiments, note=None):
    """Write every table of the aggregate rule; ``note`` (the config's) heads the paper comparison."""
    summary, matmul, history = tables(inputs, experiments)
    write_csv(summary, outputs["summary"])
    by_point = points(summary)
    write_csv(by_point, outputs["points"])
    write_csv(matmul, outputs["matmul"])
    write_csv(history, outputs["history"])
    best, failed = best_table(by_point), failed_runs(summary)
    write_best(best, outputs["best_csv"], outputs["best_md"], outputs["best_tex"], failed=failed)
    write_text(outputs["recommendation"], recommendation(by_point, best))
    comparison = paper_comparison(best, by_point, inputs["reference"])
    write_paper_comparison(comparison, outputs["comparison_csv"], outputs["comparison_md"],
                           list(experiments), failed=failed, note=note)
    print(f"{len(summary)} rows ({int((summary.status == 'failed').sum())} failed runs), "
          f"{len(best)} best selections")


def plots_job(inputs, outputs):
    """Draw every plot of the plots rule from the tables (each output is a [png, svg] pair)."""
    from . import plots
    summary, best = pd.read_csv(inputs["points"]), pd.read_csv(inputs["best"])
    stem = {name: str(files[0])[:-len(".png")] for name, files in outputs.items()}
    plots.psi_vs_performance(summary, stem["psi_vs_performance"])
    plots.paired_bars(best, "best_perf", stem["best_perf"])
    plots.paired_bars(best, "best_space", stem["best_space"])
    plots.matmul_ratios(pd.read_csv(inputs["matmul"]), stem["matmul_ratios"])
    plots.retraining_curves(pd.read_csv(inputs["history"]), summary, stem["retraining_curves"])
    plots.latency_vs_psi(summary, stem["latency_vs_psi"])
