"""The ``formats`` benchmark (``python -m sham_core.bench formats --help``).

``formats`` measures, for seeded random matrices over a grid of shapes, sparsities p (%),
numbers k of distinct nonzero values and zero layouts (scattered uniformly, or whole dead
rows or columns, as pruning leaves them): the size of every format against the entropy
bound, encode and decode throughput, and ``X @ W`` time for one row, as a vector x (n,)
(b1) and as a matrix (1, n) (1xn, what a model at batch 1 passes), and for batches of 4,
16 and 64 rows (b4, b16, b64), relative to numpy dense and scipy CSC on the same matrix and
to the format's own b1. Each result is
checked while it is measured: ``to_dense`` must round-trip bit-exactly and ``matmul`` must
match numpy within a float32 rounding bound. The general-purpose baselines (kind
"baseline": gzip, xz, zstd) sit beside the direct formats; their ``matmul`` decodes to
dense first, so its ratio shows what computing on the compressed form buys.

Timing: the JIT is warmed on small matrices first; each timing is ``sham_core.common.measure.measure``
over about 0.2 s, in at most ``--repeats`` samples (the median is kept). A format's ``X @ W``
timings take their samples in turn (``measure_in_turn``), so that its ratios between batch sizes
compare samples taken moments apart.
"""
import csv
import os
import sys
import tempfile
import time
from functools import partial

import numpy as np
import scipy.sparse

from ..formats import BASELINES, DIRECT, FORMATS, entropy_bits
from ..common.measure import (BATCH, OPERANDS, machine_info, make_matrix, make_operands, matches, measure,
                              measure_in_turn, warm_up)

DEFAULT_SHAPES = ((512, 512), (4096, 4096), (512, 4096), (1024, 1))
DEFAULT_P = (0.0, 50.0, 90.0, 99.0)
DEFAULT_K = (2, 32, 256)
# --quick leaves out the slow baselines (xz, zstd -19: about 1 M weights/s to encode).
QUICK_GRID = {"shapes": ((512, 512),), "p": (90.0,), "k": (32,), "zeros": ("uniform",),
              "formats": (*DIRECT, "gzip", "zstd3", "im_zstd3")}
COLUMNS = ("shape", "n", "m", "p", "k", "zeros", "format", "kind", "nbytes", "psi", "table_psi", "entropy_psi",
           "entropy_nz_psi", "bits_per_entry", "encode_mws", "decode_mws", "matmul_b1_s",
           "matmul_b64_s", "ratio_b1_dense", "ratio_b64_dense", "ratio_b1_scipy",
           "ratio_b64_scipy", "numpy_b1_s", "numpy_b64_s", "scipy_b1_s", "scipy_b64_s",
           "matmul_1xn_s", "matmul_b4_s", "matmul_b16_s", "ratio_1xn_dense", "ratio_1xn_b1",
           "ratio_b4_b1", "ratio_b16_b1", "verified")
TABLE = ("{shape:>9} {p:>4} {k:>4} {zeros:<7} {format:<9} {kind:<8} {psi:>6} {entropy_psi:>6} "
         "{entropy_nz_psi:>6} {encode_mws:>8} {decode_mws:>8} {ratio_b1_dense:>7} "
         "{ratio_b1_scipy:>7} {ratio_b64_dense:>7} {ratio_b64_scipy:>7} {ratio_1xn_b1:>7} "
         "{ratio_b16_b1:>7} {verified:>4}")
TABLE_HEADER = dict(shape="shape", p="p%", k="k", zeros="zeros", format="format", kind="kind", psi="psi",
                    entropy_psi="H psi", entropy_nz_psi="Hnz", encode_mws="enc M/s",
                    decode_mws="dec M/s", ratio_b1_dense="b1/np", ratio_b1_scipy="b1/sp",
                    ratio_b64_dense="b64/np", ratio_b64_scipy="b64/sp", ratio_1xn_b1="1xn/b1",
                    ratio_b16_b1="b16/b1", verified="ok")


def bench_matrix(shape, p, k, zeros, names, seed, repeats):
    """One CSV row per format for the matrix make_matrix(shape, p, k, seed, zeros)."""
    n, m = shape
    W = make_matrix(shape, p, k, seed, zeros)
    x, X = make_operands(n, seed)
    abs_W = np.abs(W)
    tolerance = 4 * n * np.finfo(np.float32).eps
    bounds = (tolerance * (np.abs(x) @ abs_W), tolerance * (np.abs(X) @ abs_W))
    del abs_W
    numpy_b1_s, y1 = measure(lambda: x @ W, repeats)
    numpy_b64_s, y64 = measure(lambda: X @ W, repeats)
    St = scipy.sparse.csc_array(W).T  # a CSR view of the CSC matrix: St @ x is x @ W
    scipy_b1_s, s1 = measure(lambda: St @ x, repeats)
    scipy_b64_s, s64 = measure(lambda: (St @ X.T).T, repeats)
    if not (matches(s1, y1, bounds[0]) and matches(s64, y64, bounds[1])):
        raise RuntimeError(f"scipy and numpy disagree on x @ W for {n}x{m}, p={p:g}, k={k}, zeros={zeros}")
    St = s1 = s64 = None  # free them before the formats' matrices
    common = dict(shape=f"{n}x{m}", n=n, m=m, p=f"{p:g}", k=k, zeros=zeros,
                  entropy_psi=entropy_bits(W) / (32 * n * m),
                  entropy_nz_psi=entropy_bits(W, nonzero_only=True) / (32 * n * m),
                  numpy_b1_s=numpy_b1_s, numpy_b64_s=numpy_b64_s,
                  scipy_b1_s=scipy_b1_s, scipy_b64_s=scipy_b64_s)
    for name in names:
        row = bench_format(FORMATS[name], W, (x, X), (y1, y64), bounds, repeats)
        b1 = row["matmul_b1_s"]
        yield {**common, **row,
               "ratio_b1_dense": b1 / numpy_b1_s,
               "ratio_b64_dense": row["matmul_b64_s"] / numpy_b64_s,
               "ratio_b1_scipy": b1 / scipy_b1_s,
               "ratio_b64_scipy": row["matmul_b64_s"] / scipy_b64_s,
               "ratio_1xn_dense": row["matmul_1xn_s"] / numpy_b1_s,
               "ratio_1xn_b1": row["matmul_1xn_s"] / b1,
               "ratio_b4_b1": row["matmul_b4_s"] / b1,
               "ratio_b16_b1": row["matmul_b16_s"] / b1}


def bench_format(fmt, W, operands, references, bounds, repeats):
    """Size, timings and verification of one format on W.

    operands: (x, X) with X of BATCH rows; references: (x @ W, X @ W) from numpy, and bounds
    the tolerance of each. Every OPERANDS entry is timed, its rows taken from X.
    """
    weights = W.size
    encode_s, enc = measure(partial(fmt.from_dense, W), repeats)
    decode_s, D = measure(enc.to_dense, repeats)
    verified = (D.shape == W.shape and D.dtype == np.float32
                and np.array_equal(D.view(np.uint32), W.view(np.uint32)))
    del D
    row = dict(format=fmt.name, kind="baseline" if fmt.name in BASELINES else "direct",
               nbytes=enc.nbytes, psi=enc.psi, table_psi=enc.table_nbytes / (4 * weights),
               bits_per_entry=8 * enc.nbytes / weights,
               encode_mws=weights / encode_s / 1e6, decode_mws=weights / decode_s / 1e6)
    (x, X), (y1, y64), (bound1, bound64) = operands, references, bounds
    checks = {}
    for label, rows in OPERANDS.items():
        if rows is None:
            checks[label] = (x, y1, bound1)
        elif label == "1xn":
            checks[label] = (x[None], y1[None], bound1[None])
        else:
            checks[label] = (X[:rows].copy(), y64[:rows], bound64[:rows])
    timed = measure_in_turn([partial(enc.matmul, operand) for operand, _, _ in checks.values()], repeats)
    for (label, (_, reference, bound)), (seconds, Y) in zip(checks.items(), timed):
        row[f"matmul_{label}_s"] = seconds
        verified = verified and matches(Y, reference, bound)
    row["verified"] = verified
    return row


TARGET_SHAPES = ("4096x4096", "512x4096")
# what, format (None: every direct format), p range, measured column, limit, worst case.
# b=1 is timed as a model at batch 1 calls it, X of shape (1, n) (1xn), against numpy's x @ W.
TARGETS = (
    ("HAM encode, M weights/s (min)", "ham", (0, 100), "encode_mws", 20, "min"),
    ("sHAM encode, M weights/s (min)", "sham", (0, 100), "encode_mws", 20, "min"),
    ("sHAM b=1 (1,n) / numpy dense, p >= 95", "sham", (95, 100), "ratio_1xn_dense", 1.0, "max"),
    ("sHAM b=1 (1,n) / numpy dense, p = 90", "sham", (90, 90), "ratio_1xn_dense", 1.5, "max"),
    ("sHAM b=1 / scipy CSC, p <= 95", "sham", (0, 95), "ratio_b1_scipy", 2.0, "max"),
    ("sHAM b=1 / scipy CSC, p = 99", "sham", (99, 99), "ratio_b1_scipy", 3.0, "max"),
    ("HAM b=1 (1,n) / numpy dense, p >= 90", "ham", (90, 100), "ratio_1xn_dense", 3.0, "max"),
    ("HAM bits/entry - entropy bound", "ham", (0, 100), "excess_bits", 1.0, "max"),
    ("hamx encode, M weights/s (min)", "hamx", (0, 100), "encode_mws", 20, "min"),
    ("shamx encode, M weights/s (min)", "shamx", (0, 100), "encode_mws", 20, "min"),
    ("hamx psi / (entropy + table) - 1, %", "hamx", (0, 100), "excess_percent", 1.0, "max"),
    ("shamx psi / min(sHAM, xz), p >= 50", "shamx", (50, 100), "vs_sham_xz", 1.0, "max"),
    ("hamx b=1 (1,n) / HAM b=1 (1,n)", "hamx", (0, 100), "b1_vs_ham", 1.5, "max"),
    ("shamx b=1 (1,n) / sHAM b=1 (1,n)", "shamx", (0, 100), "b1_vs_sham", 1.5, "max"),
    ("b=1 (1,n) / (n,), p = 90, direct", None, (90, 90), "ratio_1xn_b1", 1.05, "max"),
    ("b=16 / b=1, p = 90, direct", None, (90, 90), "ratio_b16_b1", 1.6, "max"),
)
# Targets that compare a format with others on the same matrix: column -> (formats, quantity).
SIBLING_COLUMNS = {"vs_sham_xz": (("sham", "xz"), "psi"), "b1_vs_ham": (("ham",), "matmul_1xn_s"),
                   "b1_vs_sham": (("sham",), "matmul_1xn_s")}


def with_siblings(rows):
    """Rows with the SIBLING_COLUMNS ratios: a format's measure over the smallest of the others'."""
    def matrix(row):
        return row["shape"], row["p"], row["k"], row.get("zeros", "uniform")
    by_matrix = {}
    for row in rows:
        by_matrix.setdefault(matrix(row), {})[row["format"]] = row
    out = []
    for row in rows:
        row = dict(row)
        siblings = by_matrix[matrix(row)]
        for column, (others, quantity) in SIBLING_COLUMNS.items():
            if quantity in row and all(name in siblings for name in others):
                row[column] = float(row[quantity]) / min(float(siblings[name][quantity]) for name in others)
        out.append(row)
    return out


def measured(row, column):
    """A row's value in column; excess_bits is the bits per entry above the entropy bound,
    excess_percent how far psi is above the entropy bound plus the format's tables."""
    if column == "excess_bits":
        return float(row["bits_per_entry"]) - 32 * float(row["entropy_psi"])
    if column == "excess_percent":
        bound = float(row["entropy_psi"]) + float(row["table_psi"])
        return 100 * (float(row["psi"]) / bound - 1)
    return float(row[column])


def target_lines(rows):
    """The issue's speed and size targets, each with its worst measured case."""
    lines = [f"# targets on {', '.join(TARGET_SHAPES)} with uniform zeros "
             "(worst case over p and k in range)"]
    rows = with_siblings(rows)
    for what, name, (low, high), column, limit, worst in TARGETS:
        cases = [r for r in rows if (r["format"] == name if name else r.get("kind") == "direct")
                 and r["shape"] in TARGET_SHAPES
                 and r.get("zeros", "uniform") == "uniform" and low <= float(r["p"]) <= high
                 and (column in r or column.startswith("excess"))]
        if not cases:
            continue
        value = partial(measured, column=column)
        pick = (min if worst == "min" else max)(cases, key=value)
        met = value(pick) >= limit if worst == "min" else value(pick) <= limit
        where = "" if name else f"{pick['format']}, "
        lines.append(f"{what:<38} target {'>=' if worst == 'min' else '<='} {limit:<5g} "
                     f"measured {value(pick):8.2f}  ({where}{pick['shape']}, p={pick['p']}, "
                     f"k={pick['k']})  {'met' if met else 'NOT MET'}")
    return lines


def baseline_lines(rows):
    """Per matrix, the smallest direct format against the smallest general-purpose baseline."""
    best = {}
    for row in rows:
        key = (row["shape"], row["p"], row["k"], row["zeros"], row["kind"])
        if key not in best or float(row["psi"]) < float(best[key]["psi"]):
            best[key] = row
    lines = ["# smallest psi per matrix: direct formats (x @ W on the stored form) "
             "vs baselines (decode first)"]
    for (shape, p, k, zeros, kind), direct in best.items():
        if kind != "direct" or (shape, p, k, zeros, "baseline") not in best:
            continue
        baseline = best[shape, p, k, zeros, "baseline"]
        ratio = float(baseline["psi"]) / float(direct["psi"])
        lines.append(f"{shape:>9} p={p:<3} k={k:<4} {zeros:<7} direct {direct['format']:<5} "
                     f"{float(direct['psi']):.4f}  baseline {baseline['format']:<9} "
                     f"{float(baseline['psi']):.4f}  baseline/direct {ratio:.2f}")
    return lines


def run_targets(args):
    """Print the target summary of an earlier ``formats`` run from its CSV."""
    with open(args.csv, newline="") as f:
        print("\n".join(target_lines(list(csv.DictReader(f)))))


def table_line(row):
    """One fixed-width line of the stdout table."""
    cells = dict(row)
    for key in ("psi", "entropy_psi", "entropy_nz_psi"):
        cells[key] = f"{row[key]:.3f}"
    for key in ("encode_mws", "decode_mws"):
        cells[key] = f"{row[key]:.0f}" if row[key] >= 100 else f"{row[key]:.3g}"
    for key in ("ratio_b1_dense", "ratio_b1_scipy", "ratio_b64_dense", "ratio_b64_scipy",
                "ratio_1xn_b1", "ratio_b16_b1"):
        cells[key] = f"{row[key]:.2f}" if row[key] < 100 else f"{row[key]:.0f}"
    cells["verified"] = "ok" if row["verified"] else "FAIL"
    return TABLE.format(**cells)


def write_csv(rows, path):
    """Write rows to path atomically (a temp file in the same folder, then os.replace)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".formats-", suffix=".csv.tmp")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def grid_of(args):
    """Shapes, p, k, zeros and formats to run: as given, else the quick or the full defaults."""
    defaults = {"shapes": DEFAULT_SHAPES, "p": DEFAULT_P, "k": DEFAULT_K, "zeros": ("uniform",),
                "formats": tuple(FORMATS)}
    return {key: getattr(args, key) or (QUICK_GRID[key] if args.quick else default)
            for key, default in defaults.items()}


def run_formats(args):
    """The ``formats`` benchmark: print the table, write the CSV; nonzero exit on a failure."""
    grid = grid_of(args)
    start = time.perf_counter()
    print("\n".join(machine_info()), flush=True)
    warm_up(grid["formats"])
    print(f"# warm-up {time.perf_counter() - start:.1f} s; ratios are format time / numpy "
          f"dense (np) or scipy CSC (sp) time, or / its own b1 time; b1: x @ W for x (n,), "
          f"1xn: x as (1, n), b16 and b64: X @ W with X 16 or {BATCH} x n (b4 in the CSV)")
    print(TABLE.format(**TABLE_HEADER), flush=True)
    rows = []
    for shape in grid["shapes"]:
        for p in grid["p"]:
            for k in grid["k"]:
                for zeros in grid["zeros"]:
                    for row in bench_matrix(shape, p, k, zeros, grid["formats"], args.seed, args.repeats):
                        print(table_line(row), flush=True)
                        rows.append(row)
    write_csv(rows, args.out)
    print(f"# {len(rows)} rows in {time.perf_counter() - start:.1f} s, written to {args.out}")
    print("\n".join(target_lines(rows) + baseline_lines(rows)))
    failed = [f"{r['shape']} p={r['p']} k={r['k']} {r['format']}" for r in rows
              if not r["verified"]]
    if failed:
        sys.exit("verification failed for: " + "; ".join(failed))
