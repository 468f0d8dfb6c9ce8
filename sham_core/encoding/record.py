"""The encode stage's records: a run's encoding.json (encode), "ok" or "failed" (its run failed),
and the baseline's (encode_baseline)."""
from ..common.records import RecordKind

ENCODED = ("task", "layers", "weights", "bytes", "psi", "study_estimate", "machine", "matmul", "inference",
           "seconds")
ENCODE = RecordKind("encode", always=("experiment", "model", "dataset", "layers_selection", "method", "params",
                                      "param_path", "status"),
                    ok=(*ENCODED, "latency"), location="runs/**/encoding.json")
ENCODE_BASELINE = RecordKind("encode_baseline", always=("status", *ENCODED), ok=(),
                             location="models/*/encoding.json")
