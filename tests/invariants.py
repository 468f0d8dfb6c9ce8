"""Checks every compression result must pass, after compression and after retraining.

Plain functions over a CompressionResult, so that the backend parity script reuses them.
"""
import numpy as np
from keras import ops

from sham_core.compression import METHODS
from sham_core.models.selection import all_layers


def kernels(model):
    return {layer.name: ops.convert_to_numpy(layer.kernel) for layer in all_layers(model) if hasattr(layer, "kernel")}


def weights(model):
    return {layer.name: [np.array(w) for w in layer.get_weights()] for layer in all_layers(model)}


def check_result(original, original_weights, res, method_of, params_of):
    """All invariants; ``method_of[kind]`` / ``params_of[kind]`` give what was asked for each kind."""
    assert [layer.name for layer in all_layers(res.model)] == [layer.name for layer in all_layers(original)]
    assert res.model.compiled == original.compiled
    _check_untouched(original, original_weights, res)
    final = kernels(res.model)
    for record in res.layers:
        np.testing.assert_array_equal(final[record.name], record.kernel)
    for kind in {record.kind for record in res.layers}:
        group = [record for record in res.layers if record.kind == kind]
        method = METHODS[method_of[kind]]
        params = params_of[kind]
        if method.prune:
            _check_pruned(group, params["p"], exact=method.quantize is None)
        if method.quantize is not None:
            _check_shared(group, params["k"], ecsq=method.name.endswith("ecsq"))
        if method.factorize:
            _check_factors(group, params, original_weights)


def _check_untouched(original, original_weights, res):
    """The input model is unchanged, and so is every layer that was not selected."""
    for name, values in weights(original).items():
        for before, now in zip(original_weights[name], values):
            np.testing.assert_array_equal(before, now)
    compressed = {record.name for record in res.layers}
    for name, values in weights(res.model).items():
        if name not in compressed:
            assert len(values) == len(original_weights[name])
            for before, now in zip(original_weights[name], values):
                np.testing.assert_array_equal(before, now, err_msg=f"unselected layer {name} changed")


def _check_pruned(group, p, exact):
    for record in group:
        assert record.mask.shape == record.kernel.shape
        assert np.all(record.kernel[~record.mask] == 0), "a pruned weight is not exactly 0"
        zero_fraction = np.mean(record.kernel == 0)
        if exact:
            assert abs(zero_fraction - p / 100) <= 0.01 + 1 / record.kernel.size
        else:
            assert zero_fraction >= p / 100 - 1 / record.kernel.size
            assert np.count_nonzero(record.kernel[record.mask] == 0) == record.zeroed


def _check_shared(group, k, ecsq):
    codebook = group[0].codebook
    assert codebook[0] == 0
    values = np.unique(np.concatenate([record.kernel.ravel() for record in group]))
    nonzero = values[values != 0]
    assert len(nonzero) <= (3 * k if ecsq else k)
    for record in group:
        assert record.codebook is codebook, "one codebook per group (unified quantization)"
        np.testing.assert_array_equal(codebook[record.indices], record.kernel)
        assert record.info["values"] == len(nonzero) == codebook.size - 1


def _check_factors(group, params, original_weights):
    """Rank <= q; the lightest rows of U·S and columns of V keep only their first rr·q components."""
    for record in group:
        us, v = record.factors
        kernel = original_weights[record.name][0]
        n, m = kernel.shape
        rank = min(params["q"], n, m)
        assert us.shape == (n, rank) and v.shape == (rank, m)
        assert np.linalg.matrix_rank(us @ v) <= params["q"]
        np.testing.assert_allclose(us @ v, record.kernel, rtol=1e-5, atol=1e-6)
        keep = min(rank, int(params["rr"] * params["q"]))
        rows = np.argsort(np.abs(kernel).sum(axis=1), kind="stable")[:int(params["sr"] * n)]
        cols = np.argsort(np.abs(kernel).sum(axis=0), kind="stable")[:int(params["sr"] * m)]
        assert np.all(us[rows, keep:] == 0) and np.all(v[keep:, cols] == 0)
        assert np.count_nonzero(us[:, keep:]) <= (n - len(rows)) * (rank - keep)
