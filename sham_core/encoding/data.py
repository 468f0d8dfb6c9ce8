"""The kernels an encoding run reads: from a run's npz or from a model."""
from dataclasses import dataclass

import numpy as np
from ..formats import as_matrix


@dataclass
class Kernel:
    """One kernel to encode: its layer, its 2-D matrix, and the 2-D parts stored (slr: us and v)."""

    name: str
    kind: str
    method: str
    shape: tuple
    matrix: np.ndarray
    parts: list

    @property
    def weights(self):
        """The number of weights of the layer's kernel."""
        return self.matrix.size


def stored_kernel(stored, entry):
    """The Kernel of one metrics.json layer entry, read from the compress job's npz ``stored``.

    Kernels of 3 to 5 axes (conv, EinsumDense) are encoded as as_matrix(kernel): prod(shape[:-1]) x shape[-1].
    """
    name = entry["name"]
    keys = [f"{name}:kernel"] + ([f"{name}:us", f"{name}:v"] if entry["method"] == "slr" else [])
    missing = [key for key in keys if key not in stored.files]
    if missing:
        raise ValueError(f"the compressed npz lacks {', '.join(missing)}: the compress job must store "
                         f"every compressed kernel (and slr's factors us, v) under these keys")
    kernel = stored[keys[0]]
    if list(kernel.shape) != list(entry["shape"]):
        raise ValueError(f"layer {name}: npz kernel has shape {kernel.shape}, metrics.json says "
                         f"{entry['shape']}; they must come from the same compression run")
    matrix = as_matrix(kernel)
    parts = [stored[key] for key in keys[1:]] or [matrix]
    return Kernel(name, entry["kind"], entry["method"], tuple(kernel.shape), matrix, parts)


def model_kernel(slot):
    """The Kernel of an uncompressed model's kernel slot (models.selection.Slot; method "none")."""
    kernel = slot.value
    matrix = as_matrix(kernel)
    return Kernel(slot.name, slot.kind, "none", tuple(kernel.shape), matrix, [matrix])
