"""The registry of compression methods and the validation of their parameters.

A method prunes, shares values through a codebook, or factorizes; the pr_X methods do
the first two in turn. Adding a method is one quantizer file plus one line in METHODS.
"""
import numbers
from collections.abc import Callable
from dataclasses import dataclass

from .ecsq import DEFAULT_LAMBDAS, ecsq_quantize
from .kmeans import cws_quantize, cws_study_quantize
from .pws import pws_quantize
from .uniform import uq_quantize
from ..common.kinds import KINDS


def _cws(values, params, rng):
    return cws_quantize(values, params["k"], rng)


def _cws_study(values, params, rng):
    return cws_study_quantize(values, params["k"], rng)


def _pws(values, params, rng):
    return pws_quantize(values, params["k"], rng)


def _uq(values, params, rng):
    return uq_quantize(values, params["k"])


def _ecsq(values, params, rng):
    return ecsq_quantize(values, params["k"], params.get("lambdas", DEFAULT_LAMBDAS))


@dataclass(frozen=True)
class Method:
    """What a method does to the selected kernels, and which parameters it takes."""

    name: str
    params: tuple
    prune: bool = False
    quantize: Callable | None = None   # (values, params, rng) -> Quantization
    study_quantize: Callable | None = None  # the study's quantizer, where ours differs (prune_quantize="study")
    factorize: bool = False
    optional: tuple = ()
    kinds: tuple = KINDS


METHODS = {m.name: m for m in (
    Method("pr", ("p",), prune=True),
    Method("cws", ("k",), quantize=_cws),
    Method("pws", ("k",), quantize=_pws),
    Method("uq", ("k",), quantize=_uq),
    Method("ecsq", ("k",), quantize=_ecsq, optional=("lambdas",)),
    Method("pr_cws", ("p", "k"), prune=True, quantize=_cws, study_quantize=_cws_study),
    Method("pr_pws", ("p", "k"), prune=True, quantize=_pws),
    Method("pr_uq", ("p", "k"), prune=True, quantize=_uq),
    Method("pr_ecsq", ("p", "k"), prune=True, quantize=_ecsq, optional=("lambdas",)),
    Method("slr", ("q", "sr", "rr"), factorize=True, kinds=("dense", "embedding", "recurrent")),
)}


def get_method(name):
    """The registered method called ``name``; ValueError listing the valid names otherwise."""
    if not isinstance(name, str) or name not in METHODS:
        raise ValueError(f"unknown compression method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]


def check_params(method, params):
    """Return ``params`` validated for ``method``: every required key, nothing unknown, values in range."""
    if not isinstance(params, dict):
        raise ValueError(f"params for {method.name!r} must be a dict with keys {', '.join(method.params)}")
    missing = [key for key in method.params if key not in params]
    unknown = [key for key in params if key not in method.params + method.optional]
    if missing or unknown:
        raise ValueError(
            f"method {method.name!r} takes params {', '.join(method.params + method.optional)}; "
            f"missing: {', '.join(missing) or 'none'}, unknown: {', '.join(unknown) or 'none'}")
    checked = dict(params)
    for key, value in params.items():
        if key != "lambdas" and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise ValueError(f"{key} must be a number, got {value!r}")
        checked[key] = _CHECKS[key](value)
    return checked


PRUNE_QUANTIZE = ("survivors", "study")


def check_prune_quantize(method, mode):
    """``mode`` checked for ``method``: "survivors" or "study", and "study" only for a pr_X method."""
    if not isinstance(mode, str) or mode not in PRUNE_QUANTIZE:
        raise ValueError(f"prune_quantize must be one of {', '.join(PRUNE_QUANTIZE)}, got {mode!r}")
    if mode == "study" and not (method.prune and method.quantize):
        raise ValueError(f"prune_quantize='study' applies to pruning + quantization (pr_cws, pr_pws, pr_uq, "
                         f"pr_ecsq), not to {method.name!r}; drop it or pick a pr_X method")
    return mode


def _int_at_least_one(name):
    def check(value):
        if not float(value).is_integer() or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        return int(value)
    return check


def _percentile(value):
    if not 0 <= value < 100:
        raise ValueError(f"p is a pruning percentile and must lie in [0, 100), got {value!r}")
    return float(value)


def _fraction(name):
    def check(value):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} is a fraction and must lie in [0, 1], got {value!r}")
        return float(value)
    return check


def _lambdas(value):
    values = list(value) if isinstance(value, (list, tuple)) else []
    if not values or not all(isinstance(v, numbers.Real) and v > 0 for v in values):
        raise ValueError(f"lambdas must be a non-empty list of positive numbers, got {value!r}")
    return [float(v) for v in values]


_CHECKS = {
    "p": _percentile, "k": _int_at_least_one("k"), "q": _int_at_least_one("q"),
    "sr": _fraction("sr"), "rr": _fraction("rr"), "lambdas": _lambdas,
}
