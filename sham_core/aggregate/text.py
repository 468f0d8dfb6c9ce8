"""Plain-text rendering: number formats, markdown and LaTeX tables."""
import pandas as pd


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#",
                  "$": r"\$", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _missing(x):
    """True for None, NaN and NA, the empty cells of a table."""
    return x is None or pd.isna(x)


def fmt_perf(x):
    """A metric value with 4 decimals, as the study prints them."""
    return "" if _missing(x) else f"{float(x):.4f}"


def fmt_delta(x):
    """A signed difference with 4 decimals."""
    return "" if _missing(x) else f"{float(x):+.4f}"


def fmt_psi(x, signed=False):
    """A psi with 4 decimals as the study prints them; below 0.001, 3 significant digits."""
    if _missing(x):
        return ""
    sign = "+" if signed else ""
    spec = ".4f" if x == 0 or abs(x) >= 0.001 else ".2e"
    return f"{float(x):{sign}{spec}}"


def fmt_fraction(x):
    """A share as a percentage with one decimal, e.g. "42.5 %"."""
    return "" if _missing(x) else f"{100 * float(x):.1f} %"


def markdown_table(header, rows):
    """A GitHub markdown table from a header list and rows of already formatted cells."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)]) + "\n"


def latex_escape(text):
    """Escape LaTeX's special characters (underscores above all) in a cell."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def latex_tabular(header, sections):
    """A LaTeX tabular; sections is a list of (title, rows), each title spanning all columns."""
    n = len(header)
    out = [f"\\begin{{tabular}}{{{'l' * n}}}", "\\hline",
           " & ".join(map(latex_escape, header)) + r" \\", "\\hline"]
    for title, rows in sections:
        out.append(f"\\multicolumn{{{n}}}{{l}}{{\\textbf{{{latex_escape(title)}}}}}" + r" \\")
        out.extend(" & ".join(map(latex_escape, row)) + r" \\" for row in rows)
        out.append("\\hline")
    out.append("\\end{tabular}")
    return "\n".join(out) + "\n"


def _last_line(error, limit=200):
    """The last non-empty line of an error text (a traceback's message), cut to limit."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= limit else last[:limit - 3] + "..."


def failed_section(failed):
    """Markdown section listing the failed runs, or an empty string when there are none."""
    if failed is None or failed.empty:
        return ""
    rows = [[r.experiment, r.layers, r.method, r.params, _last_line(r.error)]
            for r in failed.itertuples()]
    return ("\n## Failed runs\n\n"
            f"{len(rows)} run(s) failed, or kept a diverged model (NaN loss, constant outputs), and are left "
            f"out of every selection.\n\n"
            + markdown_table(["experiment", "layers", "method", "params", "error"], rows))
