"""The typed records the stages hand on: checked when written and read; an old or foreign file is named."""
import json

import pytest

from sham_core.common.records import FIELDS, VERSION, RecordError, read_record, write_record


def full(kind, status="ok"):
    """A record of ``kind`` with every field it requires (placeholder values)."""
    fields = FIELDS[kind]["always"] + (FIELDS[kind].get("ok", ()) if status == "ok" else ())
    return {**{field: 0 for field in fields}, "status": status}


@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_a_record_round_trips_with_its_kind_and_version(kind, tmp_path):
    write_record(kind, full(kind), tmp_path / "r.json")
    stored = json.loads((tmp_path / "r.json").read_text())
    assert stored["record"] == kind and stored["record_version"] == VERSION
    assert read_record(kind, tmp_path / "r.json") == stored


def test_a_failed_run_needs_only_the_fields_every_record_has(tmp_path):
    write_record("compress", full("compress", status="failed"), tmp_path / "metrics.json")
    assert read_record("compress", tmp_path / "metrics.json")["status"] == "failed"


def test_writing_a_record_without_a_required_field_is_refused_before_any_file(tmp_path):
    record = full("encode")
    del record["latency"]
    with pytest.raises(RecordError, match="needs the field 'latency'"):
        write_record("encode", record, tmp_path / "encoding.json")
    assert not (tmp_path / "encoding.json").exists()


def test_a_file_from_before_the_records_names_the_version_field_and_the_rerun(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps(full("compress")))
    with pytest.raises(RecordError, match="field 'record_version' is missing.*rerun the job"):
        read_record("compress", tmp_path / "metrics.json")


def test_a_record_of_another_kind_is_refused(tmp_path):
    write_record("train", full("train"), tmp_path / "metrics.json")
    with pytest.raises(RecordError, match="field 'record' is 'train', expected 'compress'"):
        read_record("compress", tmp_path / "metrics.json")


def test_a_record_that_lost_a_field_names_it(tmp_path):
    write_record("compress", full("compress"), tmp_path / "metrics.json")
    record = json.loads((tmp_path / "metrics.json").read_text())
    del record["after_retrain"], record["history"]
    (tmp_path / "metrics.json").write_text(json.dumps(record))
    with pytest.raises(RecordError, match="needs the field 'after_retrain' \\(and 'history'\\)"):
        read_record("compress", tmp_path / "metrics.json")


def older(path, record):
    """A record as an older sham_core wrote it: no kind, no version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_complete_older_files_are_stamped_and_incomplete_ones_named(tmp_path):
    from sham_core.common.records import stamp_older
    older(tmp_path / "models" / "e" / "metrics.json", full("train"))
    older(tmp_path / "models" / "e" / "seed~2" / "metrics.json", full("train"))
    older(tmp_path / "models" / "e" / "encoding.json", full("encode_baseline"))
    older(tmp_path / "runs" / "e" / "dense" / "pr" / "p~90" / "metrics.json", full("compress"))
    incomplete = dict(full("encode"))
    del incomplete["latency"]
    older(tmp_path / "runs" / "e" / "dense" / "pr" / "p~90" / "encoding.json", incomplete)
    stamped, refused = stamp_older(tmp_path)
    assert len(stamped) == 4 and len(refused) == 1 and "'latency'" in refused[0]
    assert read_record("train", tmp_path / "models" / "e" / "seed~2" / "metrics.json")["record"] == "train"
    with pytest.raises(RecordError, match="record_version"):
        read_record("encode", tmp_path / "runs" / "e" / "dense" / "pr" / "p~90" / "encoding.json")
    assert stamp_older(tmp_path) == ([], refused)  # stamped files are left alone


def test_the_stamp_command_says_what_it_did_and_fails_on_what_needs_a_rerun(tmp_path, capsys):
    from sham_core.__main__ import main
    older(tmp_path / "runs" / "e" / "conv" / "uq" / "k~16" / "metrics.json", {"status": "ok"})
    with pytest.raises(SystemExit):
        main(["stamp-records", str(tmp_path)])
    assert "0 records stamped, 1 left as they were" in capsys.readouterr().out
