"""Aggregation of the per-run summary: the study's selections, recommendation, paper comparison.

    best = best_table(summary); write_best(best, "best.csv", "best.md", "best.tex")
    recommendation(summary, best); paper_comparison(best, summary, "paper_results.csv")
"""
from .best_io import write_best
from .paper import paper_comparison, write_paper_comparison
from .recommend import recommendation
from .selection import best_table, failed_runs

__all__ = ["best_table", "failed_runs", "paper_comparison", "recommendation", "write_best",
           "write_paper_comparison"]
