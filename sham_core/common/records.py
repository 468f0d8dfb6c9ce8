"""The JSON records the workflow's stages hand on, typed: each kind's required fields and one version.

Each stage declares the kind it writes (``RecordKind``) beside its job: ``training/record.py``
(train), ``compression/record.py`` (compress), ``encoding/record.py`` (encode, encode_baseline).
This module holds what they share. A record is checked when it is written and when it is read.
A file an older sham_core wrote, or a file of another kind, fails on reading with the field named
and what to do, never silently; ``python -m sham_core stamp-records results`` gives older files
that are complete their kind and version (``stamp_older``), so that only incomplete ones need
their job rerun.
"""
from pathlib import Path
from typing import NamedTuple

from .atomic import read_json, write_json

VERSION = 1


class RecordKind(NamedTuple):
    """A kind of record: the fields every one has, the more a record whose status is "ok" has, and
    where its files lie under a results folder (a glob)."""

    name: str
    always: tuple
    ok: tuple
    location: str


class RecordError(ValueError):
    """A record that lacks a field its kind requires, or that is of another kind or version."""


def check(kind, record, where):
    """``record`` if it has every field the RecordKind ``kind`` requires (status "ok" requires more);
    else RecordError."""
    required = kind.always + (kind.ok if record.get("status", "ok") == "ok" else ())
    missing = [field for field in required if field not in record]
    if missing:
        raise RecordError(f"{where}: a {kind.name} record needs the field {missing[0]!r}"
                          + (f" (and {', '.join(map(repr, missing[1:]))})" if missing[1:] else ""))
    return record


def write_record(kind, record, path):
    """Check ``record`` against RecordKind ``kind``; write it atomically to ``path`` with its kind and the version."""
    check(kind, record, f"the {kind.name} record for {path}")
    write_json({**record, "record": kind.name, "record_version": VERSION}, path)


def read_record(kind, path):
    """The record of RecordKind ``kind`` in ``path``, checked; else RecordError naming the wrong field and
    what to do."""
    record = read_json(path)
    rerun = (f"run `python -m sham_core stamp-records results` if an older sham_core wrote it complete, "
             f"else rerun the job that writes it (delete {path}, or name it with snakemake --forcerun)")
    if not isinstance(record, dict) or record.get("record_version") != VERSION:
        found = record.get("record_version", "missing") if isinstance(record, dict) else "missing"
        raise RecordError(f"{path}: field 'record_version' is {found}, this sham_core reads version {VERSION}: "
                          f"{rerun}")
    if record.get("record") != kind.name:
        raise RecordError(f"{path}: field 'record' is {record.get('record')!r}, expected {kind.name!r}: "
                          f"not the file this step reads")
    return check(kind, record, path)


def stamp_older(results, kinds):
    """Give the files of ``kinds`` (RecordKinds) an older sham_core wrote under ``results`` their kind
    and version, where each holds every field its kind requires, so that they need no rerun.

    Returns (stamped, refused): the paths stamped, and "path: why" for each file left as it was
    (a missing field, or not a JSON object: that job must be rerun). Files that have a version
    already are left alone.
    """
    stamped, refused = [], []
    for kind in kinds:
        for path in sorted(Path(results).glob(kind.location)):
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
