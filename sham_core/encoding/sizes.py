"""Exact stored sizes: every format per kernel, the study's choice of format, and psi per group.

Besides the study's choice, each layer records the smallest format that computes x @ W
directly ("direct") and the smallest general-purpose baseline that decodes first ("baseline").
study_estimate gives the study's own byte estimates per group, which its published psi use.
"""
from ..common.kinds import KINDS
from ..formats import BASELINES, DIRECT, FORMATS, entropy_bits, smallest, study_bytes

CODED = ("ham", "sham")


def encode_parts(parts, names=DIRECT):
    """{format name: [encoding of each part]} for one kernel's 2-D parts, in the formats ``names``."""
    return {name: [FORMATS[name].from_dense(part) for part in parts] for name in names}


def choose(kind, encodings):
    """The study's choice and its bytes: IM for conv; for the other kinds the smaller of HAM and sHAM per part.

    For slr (two parts) the label is "ham+sham" (us, v) when the factors choose differently.
    """
    if kind == "conv":
        return "im", sum(enc.nbytes for enc in encodings["im"])
    return smallest(encodings, CODED)


def layer_sizes(kernel, encodings):
    """The per-layer record: bytes in every format (summed over parts), entropy bound, choice."""
    bits = sum(entropy_bits(part) for part in kernel.parts)
    choice, choice_bytes = choose(kernel.kind, encodings)
    direct, direct_bytes = smallest(encodings, DIRECT)
    baseline, baseline_bytes = smallest(encodings, BASELINES)
    return {"name": kernel.name, "kind": kernel.kind, "method": kernel.method,
            "shape": list(kernel.shape), "matrices": [list(part.shape) for part in kernel.parts],
            "weights": int(kernel.weights),
            "bytes": {name: int(sum(enc.nbytes for enc in encs)) for name, encs in encodings.items()},
            "entropy_bits": float(bits), "entropy_bytes": float(bits) / 8,
            "choice": choice, "choice_bytes": int(choice_bytes), "direct": direct, "direct_bytes": int(direct_bytes),
            "baseline": baseline, "baseline_bytes": baseline_bytes}


def totals(layers, other_weights=0):
    """(weights, bytes, psi) of some layer records; ``other_weights`` count as float32, 4 bytes each.

    bytes and psi are keyed by format, "choice", "direct", "baseline" (the smallest of each
    kind per layer, where measured) and "entropy" (the entropy bound).
    """
    weights = sum(layer["weights"] for layer in layers) + other_weights
    stored = {name: sum(layer["bytes"][name] for layer in layers) for name in layers[0]["bytes"]}
    for key in ("choice", "direct", "baseline", "entropy"):
        if all(layer.get(f"{key}_bytes") is not None for layer in layers):
            stored[key] = sum(layer[f"{key}_bytes"] for layer in layers)
    stored = {key: value + 4 * other_weights for key, value in stored.items()}
    return weights, stored, {key: value / (4 * weights) for key, value in stored.items()}


def groups(layers, model_weights):
    """{"weights", "bytes", "psi"}, each keyed by group: each kind present (dense, conv, ...), "network".

    The network counts every model weight; the encoded kernels at their size, all else as float32.
    """
    kinds = [kind for kind in KINDS if any(layer["kind"] == kind for layer in layers)]
    parts = {kind: totals([layer for layer in layers if layer["kind"] == kind]) for kind in kinds}
    encoded = sum(layer["weights"] for layer in layers)
    parts["network"] = totals(layers, model_weights - encoded)
    return {key: {group: values[i] for group, values in parts.items()}
            for i, key in enumerate(("weights", "bytes", "psi"))}


def study_estimate(kernels):
    """The study's byte estimates per group present: conv {im, choice}, the other kinds {ham, sham, choice}.

    Each group's 2-D parts (slr: us and v) share one dictionary, as the study's layers do.
    """
    estimate = {}
    for kind in KINDS:
        names = ("im",) if kind == "conv" else CODED
        parts = [part for kernel in kernels if kernel.kind == kind for part in kernel.parts]
        if parts:
            estimate[kind] = {name: study_bytes(parts, name) for name in names}
            estimate[kind]["choice"] = min(estimate[kind].values())
    return estimate
