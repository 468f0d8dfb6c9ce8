"""A workflow job's output (C-level library logs included) to its log file; where a finished run's results are."""
import contextlib
import os
import sys
import traceback


@contextlib.contextmanager
def logging_to(path):
    """Redirect stdout and stderr (file descriptors 1 and 2) to ``path``; log a traceback on error."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            traceback.print_exc()
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


WHERE_TO_LOOK = (("results/tables/recommendation.md", "which method to choose, per layer selection"),
                 ("results/tables/best.md", "the best run of every method"),
                 ("results/tables/summary.csv", "one row per run"),
                 ("results/plots/psi_vs_performance.png", "psi against performance (more in results/plots/)"))


def where_to_look(root="."):
    """The lines a finished workflow prints: its main tables and plots that exist under ``root``,
    and the command that writes the HTML report."""
    found = [f"  {path}: {what}" for path, what in WHERE_TO_LOOK if os.path.exists(os.path.join(root, path))]
    if not found:
        return ""
    return "\n".join(["Results:", *found,
                      "  snakemake --report results/report.html: all of it as one HTML page"])
