"""Exact stored sizes: every format per kernel, the study's choice of format, and psi per group."""
from ..formats import FORMATS, entropy_bits

CODED = ("ham", "sham")


def encode_parts(parts):
    """{format name: [encoding of each part]} for one kernel's 2-D parts."""
    return {name: [fmt.from_dense(part) for part in parts] for name, fmt in FORMATS.items()}


def choose(kind, encodings):
    """The study's choice and its bytes: IM for conv; for dense the smaller of HAM and sHAM per part.

    For slr (two parts) the label is "ham+sham" (us, v) when the factors choose differently.
    """
    if kind == "conv":
        return "im", sum(enc.nbytes for enc in encodings["im"])
    picks = [min(CODED, key=lambda name: encodings[name][i].nbytes) for i in range(len(encodings["ham"]))]
    label = picks[0] if len(set(picks)) == 1 else "+".join(picks)
    return label, sum(encodings[name][i].nbytes for i, name in enumerate(picks))


def layer_sizes(kernel, encodings):
    """The per-layer record: bytes in every format (summed over parts), entropy bound, choice."""
    bits = sum(entropy_bits(part) for part in kernel.parts)
    choice, choice_bytes = choose(kernel.kind, encodings)
    return {"name": kernel.name, "kind": kernel.kind, "method": kernel.method,
            "shape": list(kernel.shape), "matrices": [list(part.shape) for part in kernel.parts],
            "weights": int(kernel.weights),
            "bytes": {name: int(sum(enc.nbytes for enc in encs)) for name, encs in encodings.items()},
            "entropy_bits": float(bits), "entropy_bytes": float(bits) / 8,
            "choice": choice, "choice_bytes": int(choice_bytes)}


def totals(layers, other_weights=0):
    """(weights, bytes, psi) of some layer records; ``other_weights`` count as float32, 4 bytes each.

    bytes and psi are keyed by format, "choice" and "entropy" (the entropy bound).
    """
    weights = sum(layer["weights"] for layer in layers) + other_weights
    stored = {name: sum(layer["bytes"][name] for layer in layers) for name in FORMATS}
    stored["choice"] = sum(layer["choice_bytes"] for layer in layers)
    stored["entropy"] = sum(layer["entropy_bytes"] for layer in layers)
    stored = {key: value + 4 * other_weights for key, value in stored.items()}
    return weights, stored, {key: value / (4 * weights) for key, value in stored.items()}


def groups(layers, model_weights):
    """{"weights", "bytes", "psi"}, each keyed by group: "dense", "conv" (those present), "network".

    The network counts every model weight; the encoded kernels at their size, all else as float32.
    """
    kinds = [kind for kind in ("dense", "conv") if any(layer["kind"] == kind for layer in layers)]
    parts = {kind: totals([layer for layer in layers if layer["kind"] == kind]) for kind in kinds}
    encoded = sum(layer["weights"] for layer in layers)
    parts["network"] = totals(layers, model_weights - encoded)
    return {key: {group: values[i] for group, values in parts.items()}
            for i, key in enumerate(("weights", "bytes", "psi"))}
