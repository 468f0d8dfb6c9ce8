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


def compress_group(method, params, named_kernels, rng, prune_quantize="survivors"):
    """Apply ``method`` to ``[(name, kind, kernel), ...]``; return one CompressedLayer per kernel.

    prune_quantize (pr_X methods): "survivors" quantizes only the weights pruning kept;
    "study" quantizes the whole pruned matrix, zeros included, then masks, as the study's
    pruning_u*.py do (its clusters then gather at 0 and fewer than k values survive).
    """
    if method.factorize:
        return [_factorized(method, params, name, kind, kernel, rng) for name, kind, kernel in named_kernels]
    masks = [prune_mask(kernel, params["p"]) if method.prune else None for _, _, kernel in named_kernels]
    if method.quantize is None:
        return [CompressedLayer(name, kind, method.name, np.where(mask, kernel, 0).astype(np.float32), mask=mask)
                for (name, kind, kernel), mask in zip(named_kernels, masks)]
    layers = _quantized(method, params, named_kernels, masks, rng, prune_quantize == "study")
    if method.prune:
        for layer in layers:
            layer.info["prune_quantize"] = prune_quantize
    return layers


def _factorized(method, params, name, kind, kernel, rng):
    if kernel.ndim != 2:
        raise ValueError(f"slr factorizes 2-D kernels; {name} has shape {kernel.shape}: select other layers")
    us, v = slr_factorize(kernel, params["q"], params["sr"], params["rr"], rng)
    return CompressedLayer(name, kind, method.name, us @ v, factors=(us, v),
                           info={"rank": us.shape[1]})


def _quantized(method, params, named_kernels, masks, rng, whole_pruned=False):
    """Quantize the group's kernels with one shared codebook; weights sent to exactly 0 join the zeros.

    By default only the survivors of pruning are quantized; ``whole_pruned`` quantizes every
    entry of the pruned kernels (pruned ones as 0) and keeps the values the survivors landed on.
    """
    kept = [np.ones(kernel.shape, bool) if mask is None else mask
            for (_, _, kernel), mask in zip(named_kernels, masks)]
    quantized = [np.ones(kernel.shape, bool) if whole_pruned else keep
                 for (_, _, kernel), keep in zip(named_kernels, kept)]
    values = np.concatenate([np.where(keep, kernel, 0)[entries] for (_, _, kernel), keep, entries
                             in zip(named_kernels, kept, quantized)]).astype(np.float32)
    if not any(keep.any() for keep in kept):
        raise ValueError(f"{method.name}: no weight survives pruning, nothing to quantize; lower p")
    if params["k"] > values.size:
        raise ValueError(f"{method.name}: k={params['k']} exceeds the {values.size} weights to quantize; lower k")
    quantize = method.study_quantize if whole_pruned and method.study_quantize else method.quantize
    result = quantize(values, params, rng)
    centroid_of = []
    start = 0
    for (_, _, kernel), entries in zip(named_kernels, quantized):
        indices = np.zeros(kernel.shape, np.int32)
        indices[entries] = result.indices[start:start + int(entries.sum())]
        start += int(entries.sum())
        centroid_of.append(indices)
    codebook, remap = _used_codebook(result.centroids, [ix[keep] for ix, keep in zip(centroid_of, kept)])
    layers = []
    for (name, kind, _kernel), keep, mask, indices in zip(named_kernels, kept, masks, centroid_of):
        indices = np.where(keep, remap[indices], 0).astype(np.int32)
        zeroed = int(np.count_nonzero(indices[keep] == 0))
        layers.append(CompressedLayer(name, kind, method.name, codebook[indices], mask=mask, codebook=codebook,
                                      indices=indices, zeroed=zeroed, info=dict(result.info, values=codebook.size - 1)))
    return layers


def _used_codebook(centroids, survivor_indices):
    """(codebook, remap): 0, then the nonzero centroids some surviving weight uses; remap[centroid] = entry."""
    used = np.zeros(len(centroids), bool)
    for indices in survivor_indices:
        used[indices] = True
    used &= centroids != 0
    codebook = np.concatenate([[0], centroids[used]]).astype(np.float32)
    remap = np.zeros(len(centroids), np.int32)
    remap[used] = np.arange(1, codebook.size, dtype=np.int32)
    return codebook, remap
