"""``X @ W`` on the encoded kernels, timed against numpy dense and scipy CSC as sham_core.bench does."""
import os
from functools import partial

import numba
import numpy as np
import scipy
import scipy.sparse

from ..common.measure import cpu_model, make_operands, measure


def chain(encodings, X):
    """X times the encoded parts in turn: X @ W, or X @ us @ v for slr."""
    for enc in encodings:
        X = enc.matmul(X)
    return X


def time_layer(kernel, encodings, repeats, budget_s, seed=0):
    """Seconds of b=1 and b=64 products for every format, and their ratios to numpy and scipy.

    The references multiply the layer's kernel matrix (for slr the product us @ v); scipy
    uses the CSR view of the CSC matrix, (St @ X.T).T, its fast form, as in the benchmark.
    """
    W = kernel.matrix
    x, X = make_operands(W.shape[0], seed)
    St = scipy.sparse.csc_array(W).T
    reference = {"numpy_b1_s": measure(lambda: x @ W, repeats, budget_s)[0],
                 "numpy_b64_s": measure(lambda: X @ W, repeats, budget_s)[0],
                 "scipy_b1_s": measure(lambda: St @ x, repeats, budget_s)[0],
                 "scipy_b64_s": measure(lambda: (St @ X.T).T, repeats, budget_s)[0]}
    formats = {}
    for name, encs in encodings.items():
        row = {f"{label}_s": measure(partial(chain, encs, operand), repeats, budget_s)[0]
               for label, operand in (("b1", x), ("b64", X))}
        for label in ("b1", "b64"):
            row[f"ratio_{label}_dense"] = row[f"{label}_s"] / reference[f"numpy_{label}_s"]
            row[f"ratio_{label}_scipy"] = row[f"{label}_s"] / reference[f"scipy_{label}_s"]
        formats[name] = row
    zeros = sum(int(np.count_nonzero(part == 0)) for part in kernel.parts)
    return {"name": kernel.name, "method": kernel.method, "shape": list(W.shape),
            "factored": len(kernel.parts) > 1,
            "zero_fraction": zeros / sum(part.size for part in kernel.parts),
            **reference, "formats": formats}


def machine():
    """Where the timings were taken: CPU, thread counts and library versions."""
    return {"cpu": cpu_model(), "logical_cpus": os.cpu_count(),
            "numba_threads": numba.get_num_threads(), "numba": numba.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__}
