"""The "encode" stage: exact stored sizes, psi, matmul speed and compressed inference of a run.

    encode_run(model_path, npz_path, metrics, data_path) -> dict   (a run's encoding.json)
    encode_baseline(model_path, data_path) -> dict                 (every kernel, uncompressed)

The dict: identity fields of metrics.json (encode_run only), status, task, seconds;
layers: [{name, kind, method, shape, matrices (the 2-D shapes encoded: conv kernels as
prod(shape[:-1]) x shape[-1], slr as us and v), weights, bytes {format: nbytes}, entropy_bits,
entropy_bytes, choice, choice_bytes}]; weights, bytes, psi: {group: ...} for "dense" and "conv"
(the kinds present) and "network", bytes and psi keyed by format, "choice" and "entropy";
study_estimate: the study's own byte estimates per group present (formats.study_bytes over the
group's 2-D parts together), dense {ham, sham, choice (the smaller)}, conv {im, choice}; machine;
matmul: [{name, method, shape, factored, zero_fraction, numpy_b1_s, numpy_b64_s,
scipy_b1_s, scipy_b64_s, formats: {format: {b1_s, b64_s, ratio_b1_dense, ratio_b64_dense,
ratio_b1_scipy, ratio_b64_scipy}}}] per dense layer; inference: [{format, metric_name,
metric, decoded_metric, equal}] for sham and ham ([] without a dense layer).
"""
# Imported on first use, so that reading this stage's record kinds (encoding.record, as the
# aggregate stage does) does not import Keras.
_LAZY = {"load_split": "..data", "EncodedDense": "..artifact.dense", "encode_baseline": ".run",
         "encode_run": ".run"}
__all__ = ["EncodedDense", "encode_baseline", "encode_run", "load_split"]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
