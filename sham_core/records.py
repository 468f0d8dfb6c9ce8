"""The JSON records the workflow's stages hand on, typed: each kind's required fields and one version.

A record is checked when it is written and when it is read. A file an older sham_core wrote, or a
file of another kind, fails on reading with the field named and what to do, never silently.

- ``train``: an experiment's baseline metrics.json (train_baseline, train_baseline_seed);
- ``compress``: a run's metrics.json (compress), "ok" or "failed";
- ``encode``: a run's encoding.json (encode), "ok" or "failed" (its run failed);
- ``encode_baseline``: the baseline's encoding.json (encode_baseline).
"""
from .atomic import read_json, write_json

VERSION = 1
RUN_IDENTITY = ("experiment", "model", "dataset", "task", "higher_is_better", "layers_selection", "method",
                "params", "param_path", "point", "seed", "config", "prune_quantize")
ENCODED = ("task", "layers", "weights", "bytes", "psi", "study_estimate", "machine", "matmul", "inference",
           "seconds")
# kind -> {"always": fields of every record, "ok": more fields of a record whose status is "ok"}
FIELDS = {
    "train": {"always": ("metric", "test", "train", "epochs", "seconds", "task", "weights", "higher_is_better")},
    "compress": {"always": (*RUN_IDENTITY, "status", "error"),
                 "ok": ("metric", "baseline", "after_compress", "after_retrain", "history", "epochs", "kept_epoch",
                        "seconds", "layers", "values", "artifact", "kernel_fraction", "skipped_layers")},
    "encode": {"always": ("experiment", "model", "dataset", "layers_selection", "method", "params", "param_path",
                          "status"),
               "ok": (*ENCODED, "latency")},
    "encode_baseline": {"always": ("status", *ENCODED)},
}


class RecordError(ValueError):
    """A record that lacks a field its kind requires, or that is of another kind or version."""


def check(kind, record, where):
    """``record`` if it has every field ``kind`` requires (status "ok" requires more); else RecordError."""
    fields = FIELDS[kind]
    required = fields["always"] + (fields.get("ok", ()) if record.get("status", "ok") == "ok" else ())
    missing = [field for field in required if field not in record]
    if missing:
        raise RecordError(f"{where}: a {kind} record needs the field {missing[0]!r}"
                          + (f" (and {', '.join(map(repr, missing[1:]))})" if missing[1:] else ""))
    return record


def write_record(kind, record, path):
    """Check ``record`` and write it atomically to ``path`` with its kind and the version."""
    check(kind, record, f"the {kind} record for {path}")
    write_json({**record, "record": kind, "record_version": VERSION}, path)


def read_record(kind, path):
    """The ``kind`` record in ``path``, checked; RecordError naming the field that is wrong and what to do."""
    record = read_json(path)
    rerun = (f"rerun the job that writes it (delete {path}, or name it with snakemake --forcerun), "
             f"with this version of sham_core")
    if not isinstance(record, dict) or record.get("record_version") != VERSION:
        found = record.get("record_version", "missing") if isinstance(record, dict) else "missing"
        raise RecordError(f"{path}: field 'record_version' is {found}, this sham_core reads version {VERSION}: "
                          f"{rerun}")
    if record.get("record") != kind:
        raise RecordError(f"{path}: field 'record' is {record.get('record')!r}, expected {kind!r}: "
                          f"not the file this step reads")
    return check(kind, record, path)
