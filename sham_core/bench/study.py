"""`python -m sham_core.bench study`: our quantizers and byte counts beside the study's on seeded matrices.

Three tables. The values each pr_X method really keeps in the study's mode (the whole pruned
matrix quantized, then masked) and in ours (the survivors quantized), at equal k. The squared
error of our CWS k-means (Lloyd to convergence) against the study's MiniBatchKMeans. And our
exact HAM and sHAM bytes over the study's estimate of them (``study_bytes``).
The matrices follow the study oracle's recipe: Laplace(0, 0.05) weights, 512 x 256.
"""
import numpy as np
import pandas as pd

from ..common.atomic import write_csv
from ..compression.group import compress_group
from ..compression.kmeans import cws_quantize, cws_study_quantize
from ..compression.methods import METHODS
from ..formats import FORMATS, study_bytes

PR_X = ("pr_cws", "pr_pws", "pr_uq", "pr_ecsq")
SHAPE = (512, 256)


def laplace_matrix(seed, shape=SHAPE):
    """The oracle's test matrix for ``seed`` (seed 0 is the oracle's W_laplace)."""
    return np.random.default_rng(seed).laplace(0, 0.05, shape).astype(np.float32)


def values_kept(method, kernel, p, k, mode, seed=0):
    """Distinct nonzero values left in ``kernel`` by ``method`` at (p, k) in ``mode``."""
    layer, = compress_group(METHODS[method], {"p": p, "k": k}, [("w", "dense", kernel)],
                            np.random.default_rng(seed), mode)
    return int(np.unique(layer.kernel[layer.kernel != 0]).size)


def values_rows(seeds, ps, ks):
    """One row per method x p x k: mean, min and max values kept over ``seeds`` in each mode."""
    rows = []
    for method in PR_X:
        for p in ps:
            for k in ks:
                row = {"method": method, "p": p, "k": k}
                for mode in ("study", "survivors"):
                    kept = [values_kept(method, laplace_matrix(s), p, k, mode) for s in seeds]
                    row.update({f"{mode}_mean": float(np.mean(kept)), f"{mode}_min": min(kept),
                                f"{mode}_max": max(kept)})
                rows.append(row)
    return rows


def squared_error(quantization, values):
    """Sum of squared errors of a quantization of ``values``."""
    return float(np.sum((quantization.centroids[quantization.indices].astype(np.float64) - values) ** 2))


def kmeans_rows(seeds, ks):
    """One row per k: our CWS error over the study k-means' error, min and max over ``seeds``."""
    rows = []
    for k in ks:
        ratios = []
        for s in seeds:
            values = laplace_matrix(s).ravel()
            ours = squared_error(cws_quantize(values, k, np.random.default_rng(s)), values)
            ratios.append(ours / squared_error(cws_study_quantize(values, k, None), values))
        rows.append({"k": k, "error_ratio_min": min(ratios), "error_ratio_max": max(ratios)})
    return rows


def bytes_rows(seeds, shape=SHAPE):
    """Per matrix kind and format: our exact bytes over the study's estimate, min and max over ``seeds``."""
    kinds = {"pruned p=90, unquantized": lambda w: _pruned(w, "pr_uq", None),
             "pr_cws p=90 k=32, study mode": lambda w: _pruned(w, "pr_cws", 32),
             "pr_cws p=90 k=32, study mode, first 256 rows": lambda w: _pruned(w, "pr_cws", 32)[:256]}
    rows = []
    for kind, make in kinds.items():
        matrices = [make(laplace_matrix(s)) for s in seeds]
        for fmt in ("ham", "sham"):
            ratios = [FORMATS[fmt].from_dense(m).nbytes / study_bytes([m], fmt) for m in matrices]
            rows.append({"matrix": kind, "format": fmt, "ratio_min": min(ratios), "ratio_max": max(ratios)})
    return rows


def _pruned(kernel, method, k):
    """``kernel`` pruned at p = 90, then quantized by pr_X in study mode when ``k`` is given."""
    if k is None:
        layer, = compress_group(METHODS["pr"], {"p": 90}, [("w", "dense", kernel)], np.random.default_rng(0))
    else:
        layer, = compress_group(METHODS[method], {"p": 90, "k": k}, [("w", "dense", kernel)],
                                np.random.default_rng(0), "study")
    return layer.kernel


def markdown(values, kmeans, sizes):
    """The three tables as markdown."""
    lines = ["| method | p | k | values kept, study mode | values kept, survivors mode |", "|---|---|---|---|---|"]
    lines += [f"| {r['method']} | {r['p']} | {r['k']} | {_spread(r, 'study')} | {_spread(r, 'survivors')} |"
              for r in values]
    lines += ["", "| k | our CWS error / study k-means error |", "|---|---|"]
    lines += [f"| {r['k']} | {r['error_ratio_min']:.2f}-{r['error_ratio_max']:.2f} |" for r in kmeans]
    lines += ["", "| matrix | format | our exact bytes / the study's estimate |", "|---|---|---|"]
    lines += [f"| {r['matrix']} | {r['format']} | {r['ratio_min']:.3f}-{r['ratio_max']:.3f} |" for r in sizes]
    return "\n".join(lines)


def _spread(row, mode):
    low, high = row[f"{mode}_min"], row[f"{mode}_max"]
    return str(low) if low == high else f"{row[f'{mode}_mean']:.1f} ({low}-{high})"


def run_study(args):
    """Compute both tables, print them as markdown and write them as CSV."""
    values = values_rows(range(args.seeds), args.p, args.k)
    kmeans = kmeans_rows(range(args.seeds), args.k)
    sizes = bytes_rows(range(args.seeds))
    write_csv(pd.DataFrame(values), args.out)
    write_csv(pd.DataFrame(kmeans), args.out.replace(".csv", "_kmeans.csv"))
    write_csv(pd.DataFrame(sizes), args.out.replace(".csv", "_bytes.csv"))
    print(markdown(values, kmeans, sizes))


def add_parser(commands, comma_list, int_at_least):
    """Register the ``study`` subcommand."""
    parser = commands.add_parser("study", help="values kept by pr_X in the study's mode and ours; CWS error")
    parser.add_argument("--p", type=comma_list(int), default=(50, 90), metavar="P,...",
                        help="pruning percentiles (default: 50,90)")
    parser.add_argument("--k", type=comma_list(int_at_least(2, "k")), default=(8, 32), metavar="K,...",
                        help="numbers of values (default: 8,32)")
    parser.add_argument("--seeds", type=int_at_least(1, "seeds"), default=5,
                        help="seeded matrices, 0 to n - 1 (default: %(default)s)")
    parser.add_argument("--out", default="results/bench/study_values.csv",
                        help="CSV to write; the k-means and bytes tables go beside it (default: %(default)s)")
    parser.set_defaults(run=run_study)
