"""The JSON records the workflow's stages hand on, typed: each kind's required fields and one version.

A record is checked when it is written and when it is read. A file an older sham_core wrote, or a
file of another kind, fails on reading with the field named and what to do, never silently;
``python -m sham_core stamp-records results`` gives older files that are complete their kind and
version (``stamp_older``), so that only incomplete ones need their job rerun.

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
    rerun = (f"run `python -m sham_core stamp-records results` if an older sham_core wrote it complete, "
             f"else rerun the job that writes it (delete {path}, or name it with snakemake --forcerun)")
    if not isinstance(record, dict) or record.get("record_version") != VERSION:
        found = record.get("record_version", "missing") if isinstance(record, dict) else "missing"
        raise RecordError(f"{path}: field 'record_version' is {found}, this sham_core reads version {VERSION}: "
                          f"{rerun}")
    if record.get("record") != kind:
        raise RecordError(f"{path}: field 'record' is {record.get('record')!r}, expected {kind!r}: "
                          f"not the file this step reads")
    return check(kind, record, path)


# Where each kind lives under a results folder (the workflow's layout).
LOCATIONS = {"train": "models/**/metrics.json", "encode_baseline": "models/*/encoding.json",
             "compress": "runs/**/metrics.json", "encode": "runs/**/encoding.json"}


def stamp_older(results):
    """Give the metrics.json and encoding.json files an older sham_core wrote under ``results`` their kind
    and version, where each holds every field its kind requires, so that they need no rerun.

    Returns (stamped, refused): the paths stamped, and "path: why" for each file left as it was
    (a missing field, or not a JSON object: that job must be rerun). Files that have a version
    already are left alone.
    """
    from pathlib import Path
    stamped, refused = [], []
    for kind, pattern in LOCATIONS.items():
        for path in sorted(Path(results).glob(pattern)):
            record = read_json(path)
            if not isinstance(record, dict):
                refused.append(f"{path}: not a JSON object")
                continue
            if "record_version" in record:
                continue
            try:
                write_record(kind, record, path)
            except RecordError as error:
                refused.append(str(error))
            else:
                stamped.append(str(path))
    return stamped, refused
