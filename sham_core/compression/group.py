"""Compress one group of kernels (all selected layers of one kind) with one method, in numpy.

Quantizers are unified: the surviving weights of every kernel in the group share one codebook.
"""
from dataclasses import dataclass, field

import numpy as np

from .pruning import prune_mask
from .slr import slr_factorize


@dataclass
class CompressedLayer:
    """One compressed kernel. ``codebook[0]`` is always 0 and ``kernel == codebook[indices]``.

    mask: True where pruning kept a weight (pruning methods only).
    codebook / indices: the shared values and each weight's entry (quantizing methods only).
    factors: (U·diag(S), V) with ``kernel == factors[0] @ factors[1]`` (slr only).
    zeroed: weights pruning kept that the quantizer rounded to exactly 0 (they stay 0).
    info: method details; for quantizers ``values``, the number of distinct nonzero values.
    """

    name: str
    kind: str
    method: str
    kernel: np.ndarray
    mask: np.ndarray | None = None
    codebook: np.ndarray | None = None
    indices: np.ndarray | None = None
    factors: tuple | None = None
    zeroed: int = 0
    info: dict = field(default_factory=dict)

    @property
    def shape(self):
        return self.kernel.shape


def compress_group(method, params, named_kernels, rng):
    """Apply ``method`` to ``[(name, kind, kernel), ...]``; return one CompressedLayer per kernel."""
    if method.factorize:
        return [_factorized(method, params, name, kind, kernel, rng) for name, kind, kernel in named_kernels]
    masks = [prune_mask(kernel, params["p"]) if method.prune else None for _, _, kernel in named_kernels]
    if method.quantize is None:
        return [CompressedLayer(name, kind, method.name, np.where(mask, kernel, 0).astype(np.float32), mask=mask)
                for (name, kind, kernel), mask in zip(named_kernels, masks)]
    return _quantized(method, params, named_kernels, masks, rng)


def _factorized(method, params, name, kind, kernel, rng):
    us, v = slr_factorize(kernel, params["q"], params["sr"], params["rr"], rng)
    return CompressedLayer(name, kind, method.name, us @ v, factors=(us, v),
                           info={"rank": us.shape[1]})


def _quantized(method, params, named_kernels, masks, rng):
    """Quantize the survivors of all kernels together; weights sent to exactly 0 join the zeros."""
    kept = [np.ones(kernel.shape, bool) if mask is None else mask for (_, _, kernel), mask in zip(named_kernels, masks)]
    values = np.concatenate([kernel[keep] for (_, _, kernel), keep in zip(named_kernels, kept)]).astype(np.float32)
    if values.size == 0:
        raise ValueError(f"{method.name}: no weight survives pruning, nothing to quantize; lower p")
    if params["k"] > values.size:
        raise ValueError(f"{method.name}: k={params['k']} exceeds the {values.size} weights to quantize; lower k")
    result = method.quantize(values, params, rng)
    nonzero = result.centroids != 0
    codebook = np.concatenate([[0], result.centroids[nonzero]]).astype(np.float32)
    remap = np.zeros(len(result.centroids), np.int32)
    remap[nonzero] = np.arange(1, codebook.size, dtype=np.int32)
    entries = remap[result.indices]
    layers, start = [], 0
    for (name, kind, kernel), keep, mask in zip(named_kernels, kept, masks):
        indices = np.zeros(kernel.shape, np.int32)
        indices[keep] = entries[start:start + int(keep.sum())]
        start += int(keep.sum())
        zeroed = int(np.count_nonzero(indices[keep] == 0))
        layers.append(CompressedLayer(name, kind, method.name, codebook[indices], mask=mask, codebook=codebook,
                                      indices=indices, zeroed=zeroed, info=dict(result.info, values=codebook.size - 1)))
    return layers
