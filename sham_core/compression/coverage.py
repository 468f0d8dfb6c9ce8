"""What a compression covered: the share of the model's kernel parameters it compressed, and the layers it left.

Kernel parameters are the float weights with two or more axes: Dense and conv kernels, recurrent
kernels, embeddings, attention projections, whichever layer holds them. Biases (also the
per-head ones of attention, which have two axes), normalization scales and offsets, moving
statistics and other one-axis or integer state are not counted.
Keras is imported on first use: the tables read the texts below without it.
"""
import numpy as np

EXCLUDED = "kernels only: biases, normalization and non-trainable state excluded"


def kernel_params(layer):
    """The number of kernel parameters a layer holds (its sublayers' included)."""
    return sum(int(np.prod(weight.shape)) for weight in layer.weights
               if len(weight.shape) >= 2 and "float" in str(weight.dtype) and "bias" not in weight.name)


def coverage(model, records):
    """{kernel_fraction, kernel_params, compressed_params, skipped_layers} of ``model`` with ``records`` compressed.

    skipped_layers: [{path, class, params}] of every layer holding kernel parameters that were not
    compressed, the path through nested models joined by "/". kernel_fraction is None without kernels.
    """
    from ..models.selection import layer_paths
    total, skipped = 0, []
    for path, layer in layer_paths(model):
        params = kernel_params(layer)
        total += params
        left = params - sum(int(record.kernel.size) for record in records
                            if record.name == path or record.name.startswith(path + "/"))
        if left > 0:
            skipped.append({"path": path, "class": type(layer).__name__, "params": left})
    done = sum(int(record.kernel.size) for record in records)
    return {"kernel_fraction": done / total if total else None, "kernel_params": total,
            "compressed_params": done, "skipped_layers": skipped}


def skipped_text(skipped):
    """The skipped layers as one line, e.g. "lstm (LSTM, 4,352); emb (Embedding, 640)"; "" for none."""
    return "; ".join(f"{layer['path']} ({layer['class']}, {layer['params']:,})" for layer in skipped or [])


def coverage_text(cover):
    """One sentence: the share of kernel parameters compressed and the layers left uncompressed."""
    if cover.get("kernel_fraction") is None:
        return "the model has no kernel parameters"
    text = (f"compressed {100 * cover['kernel_fraction']:.1f} % of the model's {cover['kernel_params']:,} kernel "
            f"parameters ({EXCLUDED})")
    if cover["skipped_layers"]:
        text += f"; left uncompressed: {skipped_text(cover['skipped_layers'])}"
    return text
