"""The typed records the stages hand on: checked when written and read; an old or foreign file is named."""
import json

import pytest

from sham_core.common.records import VERSION, RecordError, read_record, write_record
from sham_core.compression.record import COMPRESS
from sham_core.encoding.record import ENCODE, ENCODE_BASELINE
from sham_core.training.record import TRAIN

KINDS = {kind.name: kind for kind in (TRAIN, COMPRESS, ENCODE, ENCODE_BASELINE)}


def full(kind, status="ok"):
    """A record of ``kind`` (a RecordKind) with every field it requires (placeholder values)."""
    fields = kind.always + (kind.ok if status == "ok" else ())
    return {**{field: 0 for field in fields}, "status": status}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_record_round_trips_with_its_kind_and_version(name, tmp_path):
    kind = KINDS[name]
    write_record(kind, full(kind), tmp_path / "r.json")
    stored = json.loads((tmp_path / "r.json").read_text())
    assert stored["record"] == name and stored["record_version"] == VERSION
    assert read_record(kind, tmp_path / "r.json") == stored


def test_a_failed_run_needs_only_the_fields_every_record_has(tmp_path):
    write_record(COMPRESS, full(COMPRESS, status="failed"), tmp_path / "metrics.json")
    assert read_record(COMPRESS, tmp_path / "metrics.json")["status"] == "failed"


def test_writing_a_record_without_a_required_field_is_refused_before_any_file(tmp_path):
    record = full(ENCODE)
    del record["latency"]
    with pytest.raises(RecordError, match="needs the field 'latency'"):
        write_record(ENCODE, record, tmp_path / "encoding.json")
    assert not (tmp_path / "encoding.json").exists()


def test_a_file_from_before_the_records_names_the_version_field_and_the_rerun(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps(full(COMPRESS)))
    with pytest.raises(RecordError, match="field 'record_version' is missing.*rerun the job"):
        read_record(COMPRESS, tmp_path / "metrics.json")


def test_a_record_of_another_kind_is_refused(tmp_path):
    write_record(TRAIN, full(TRAIN), tmp_path / "metrics.json")
    with pytest.raises(RecordError, match="field 'record' is 'train', expected 'compress'"):
        read_record(COMPRESS, tmp_path / "metrics.json")


def test_a_record_that_lost_a_field_names_it(tmp_path):
    write_record(COMPRESS, full(COMPRESS), tmp_path / "metrics.json")
    record = json.loads((tmp_path / "metrics.json").read_text())
    del record["after_retrain"], record["history"]
    (tmp_path / "metrics.json").write_text(json.dumps(record))
    with pytest.raises(RecordError, match="needs the field 'after_retrain' \\(and 'history'\\)"):
        read_record(COMPRESS, tmp_path / "metrics.json")


def older(path, record):
    """A record as an older sham_core wrote it: no kind, no version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_complete_older_files_are_stamped_and_incomplete_ones_named(tmp_path):
    from sham_core.common.records import stamp_older
    older(tmp_path / "models" / "e" / "metrics.json", full(TRAIN))
    older(tmp_path / "models" / "e" / "seed~2" / "metrics.json", full(TRAIN))
    older(tmp_path / "models" / "e" / "encoding.json", full(ENCODE_BASELINE))
    older(tmp_path / "runs" / "e" / "dense" / "pr" / "p~90" / "metrics.json", full(COMPRESS))
    incomplete = dict(full(ENCODE))
    del incomplete["latency"]
    older(tmp_path / "runs" / "e" / "dense" / "pr" / "p~90" / "encoding.json", incomplete)
    stamped, refused = stamp_older(tmp_path, KINDS.values())
    assert len(stamped) == 4 and len(refused) == 1 and "'latency'" in refused[0]
    assert read_record(TRAIN, tmp_path / "models" / "e" / "seed~2" / "metrics.json")["record"] == "train"
    with pytest.raises(RecordError, match="record_version"):
        read_record(ENCODE, tmp_path / "runs" / "e" / "dense" / "pr" / "p~90" / "encoding.json")
    assert stamp_older(tmp_path, KINDS.values()) == ([], refused)  # stamped files are left alone


def test_the_stamp_command_says_what_it_did_and_fails_on_what_needs_a_rerun(tmp_path, capsys):
    from sham_core.__main__ import main
    older(tmp_path / "runs" / "e" / "conv" / "uq" / "k~16" / "metrics.json", {"status": "ok"})
    with pytest.raises(SystemExit):
        main(["stamp-records", str(tmp_path)])
    assert "0 records stamped, 1 left as they were" in capsys.readouterr().out


def test_the_record_kinds_import_no_keras():
    """The aggregate stage reads every kind; declaring them beside their stages must not pull Keras into it."""
    import subprocess
    import sys
    code = ("import sys, sham_core.aggregate.summary, sham_core.encoding.record, sham_core.training.record; "
            "sys.exit('keras' in sys.modules or 'tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
