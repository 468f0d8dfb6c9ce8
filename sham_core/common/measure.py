"""What the benchmarks and the encode stage share, below both: seeded matrices and operands, the timer,
the JIT warm-up and the machine's description.

Timing: every timed call runs once untimed just before it is timed, and a timing is the median
of 3 to ``max_repeats`` samples taken with ``time.perf_counter``, as many as give about
``BUDGET_S`` in all; calls shorter than ``BUDGET_S / max_repeats`` are looped within a sample,
so that the timer's resolution and overhead do not count. A call of ``LONG_S`` seconds or more
(xz or zstd -19 on a large matrix) is run only once, and that run is its sample. Calls whose
times are compared (one format's batch sizes) take their samples in turn (``measure_in_turn``).
"""
import math
import os
import platform
import resource
import statistics
import time

import numba
import numpy as np
import scipy
import scipy.sparse

from ..formats import FORMATS

# Where the zeros lie: scattered uniformly, whole dead rows (inputs) or whole dead columns (neurons).
ZEROS = ("uniform", "rows", "cols")
BATCH = 64
BUDGET_S = 0.2
LONG_S = 1.0
# The timed operands: label -> rows of X, None for the vector x (n,); "1xn" is x as (1, n).
OPERANDS = {"b1": None, "1xn": 1, "b4": 4, "b16": 16, "b64": BATCH}


def make_matrix(shape, p, k, seed, zeros="uniform"):
    """Seeded float32 matrix of k distinct nonzero Laplace values, p % zeros laid out as ``zeros``.

    uniform: p % of the entries, anywhere; rows / cols: p % of the rows / columns (rounded to
    whole ones), entirely zero.
    """
    n, m = shape
    if n < 1 or m < 1 or not 0 <= p < 100 or k < 1 or zeros not in ZEROS:
        raise ValueError(f"need a positive shape, 0 <= p < 100, k >= 1 and zeros in {ZEROS}; "
                         f"got {shape}, {p}, {k}, {zeros!r}")
    rng = np.random.default_rng(seed)
    values = np.empty(0, np.float32)
    while values.size < k:
        draw = rng.laplace(size=2 * k).astype(np.float32)
        values = np.concatenate([values, draw[draw != 0]])
        values = values[np.sort(np.unique(values, return_index=True)[1])]
    W = values[:k][rng.integers(0, k, size=n * m, dtype=np.int32)]
    if zeros != "uniform":
        W = W.reshape(n, m)
        lines = W if zeros == "rows" else W.T
        lines[rng.permutation(len(lines))[:round(p / 100 * len(lines))]] = 0.0
        return W
    zero = np.zeros(n * m, bool)
    zero[:round(p / 100 * n * m)] = True
    rng.shuffle(zero)
    W[zero] = 0.0
    return W.reshape(n, m)


def make_operands(n, seed):
    """The seeded float32 vector x (n,) and batch X (64, n) that multiply a matrix with n rows."""
    rng = np.random.default_rng((seed, n))
    X = rng.standard_normal((BATCH + 1, n), dtype=np.float32)
    return X[0].copy(), X[1:].copy()


def _timed(fn, number=1):
    """Seconds per call of ``number`` calls of fn() in a row (at least 1e-9)."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return max(time.perf_counter() - start, 1e-9) / number


def _calls_per_sample(seconds, sample_s):
    """Calls looped in one sample: 1 for a call of ``sample_s`` or more, else enough to fill it."""
    return 1 if seconds >= sample_s else math.ceil(sample_s / seconds)


def _repeats(sample_seconds, max_repeats, budget_s):
    """Samples of ``sample_seconds`` each that fill ``budget_s``: 3 to ``max_repeats``."""
    return min(max_repeats, max(3, math.ceil(budget_s / sample_seconds)))


def measure(fn, max_repeats, budget_s=BUDGET_S):
    """Median seconds per call of fn() after one untimed call, and that call's result.

    About ``budget_s`` seconds in all, in at most ``max_repeats`` samples (at least 3);
    a first call of ``LONG_S`` or more is the only sample.
    """
    start = time.perf_counter()
    result = fn()
    untimed = time.perf_counter() - start
    if untimed >= LONG_S:
        return untimed, result
    first = _timed(fn)
    number = _calls_per_sample(first, budget_s / max_repeats)
    samples = [first] if number == 1 else []
    repeats = _repeats(first * number, max_repeats, budget_s)
    while len(samples) < repeats:
        samples.append(_timed(fn, number))
    return statistics.median(samples), result


def measure_in_turn(fns, max_repeats, budget_s=BUDGET_S):
    """(median seconds per call, result) for each of ``fns``, their samples taken in turn.

    Like ``measure`` with ``budget_s`` for each, but the samples alternate (a, b, c, a, b, c, ...),
    so that a ratio between two of them compares samples taken moments apart and a slow spell
    of a shared machine falls on all alike. If any first call takes ``LONG_S`` or more, each
    is measured apart: that first call is a long one's sample, ``measure`` times the others.
    """
    results, firsts = [], []
    for fn in fns:
        start = time.perf_counter()
        results.append(fn())
        firsts.append(time.perf_counter() - start)
    if max(firsts, default=0.0) >= LONG_S:
        return [(first, result) if first >= LONG_S else measure(fn, max_repeats, budget_s)
                for fn, first, result in zip(fns, firsts, results)]
    numbers = [_calls_per_sample(_timed(fn), budget_s / max_repeats) for fn in fns]
    samples = [[_timed(fn, number)] for fn, number in zip(fns, numbers)]
    rounds = _repeats(max(taken[0] * number for taken, number in zip(samples, numbers)), max_repeats, budget_s)
    for _ in range(rounds - 1):
        for fn, number, taken in zip(fns, numbers, samples):
            taken.append(_timed(fn, number))
    return [(statistics.median(taken), result) for taken, result in zip(samples, results)]


def matches(Y, reference, bound):
    """Whether float32 Y has the reference's shape and lies within bound of it entrywise."""
    return (Y.shape == reference.shape and Y.dtype == np.float32
            and bool(np.all(np.abs(Y - reference) <= bound)))


def warm_up(names):
    """Compile (or load) every kernel, and numpy's and scipy's, on small matrices."""
    for shape, p, k in (((40, 24), 0, 2), ((40, 24), 90, 256), ((24, 1), 50, 32)):
        W = make_matrix(shape, p, k, seed=0)
        x, X = make_operands(shape[0], seed=0)
        St = scipy.sparse.csc_array(W).T
        x @ W, X @ W, St @ x, (St @ X.T).T
        for name in names:
            enc = FORMATS[name].from_dense(W)
            enc.to_dense(), enc.matmul(x), enc.matmul(X)
            for rows in OPERANDS.values():  # each small-batch width compiles apart
                if rows is not None:
                    enc.matmul(X[:rows])


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, else platform.processor()."""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info():
    """CPU model, numba threads, load and library versions, as printable lines."""
    cpu = cpu_model()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [f"# cpu: {cpu} ({os.cpu_count()} logical cpus), numba threads: "
            f"{numba.get_num_threads()}, load average before the run: {load}",
            f"# python {platform.python_version()}, numpy {np.__version__}, "
            f"numba {numba.__version__}, scipy {scipy.__version__}"]


def with_peak_rss(record):
    """``record`` with the job's peak resident memory so far, in MB (``peak_rss_mb``): this process's peak
    plus its largest child's (the memory child), a bound on what the job held at once. The summary's
    max_rss_mb: the benchmark file of a job forked from the job server watched only the waiting script."""
    own, child = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return dict(record, peak_rss_mb=(own + child) / 1024)
