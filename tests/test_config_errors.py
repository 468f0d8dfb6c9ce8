"""A config that breaks the schema is reported key first, in a few lines, not as a schema dump."""
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = str(ROOT / "config" / "schema.yaml")


def edited_config(edit):
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    edit(config)
    return config


TYPO = ("typo key", lambda c: c["experiments"][0].update(retrian={"epochs": 2}),
        ["config error at experiments[0].retrian: unknown key (did you mean 'retrain'?)",
         "allowed keys at experiments[0]: baseline_seeds, dataset, "])
BAD_ENUM = ("bad enum value", lambda c: c["experiments"][0]["retrain"].update(optimizer="adamw"),
            ["config error at experiments[0].retrain.optimizer: 'adamw' is not one of ['adam', 'sgd']"])
BELOW_MINIMUM = ("below the minimum", lambda c: c["experiments"][0]["retrain"].update(epochs=-1),
                 ["config error at experiments[0].retrain.epochs: -1 is less than the minimum of 0"])
NOT_ANY_OF = ("none of oneOf", lambda c: c["grid"]["dense"].update(cws={"k": "many"}),
              ["config error at grid.dense.cws.k: 'many' is not valid under any of the given schemas; "
               "allowed: number or array of number"])


@pytest.mark.parametrize("case, edit, head", [TYPO, BAD_ENUM, BELOW_MINIMUM, NOT_ANY_OF])
def test_the_first_lines_name_the_key_and_what_is_allowed(case, edit, head):
    from sham_core.workflow.config import validate_config
    with pytest.raises(ValueError) as error:
        validate_config(edited_config(edit), SCHEMA)
    lines = str(error.value).splitlines()
    assert all(line.startswith(want) for line, want in zip(lines, head)), lines
    assert len(lines) <= 3 and lines[-1].startswith("details: ") and lines[-1].endswith(" failed")


def test_a_valid_config_gets_the_schema_defaults():
    from sham_core.workflow.config import validate_config
    config = edited_config(lambda c: c.pop("encode", None))
    validate_config(config, SCHEMA)
    assert "encode" in config


@pytest.mark.parametrize("case, edit, head", [TYPO, BAD_ENUM])
def test_snakemake_prints_the_key_first_not_the_schema(tmp_path, case, edit, head):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(edited_config(edit)))
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
                          "-d", str(tmp_path), "--configfile", str(tmp_path / "bad.yaml")],
                         capture_output=True, text=True, timeout=300)
    lines = (run.stdout + run.stderr).splitlines()
    assert run.returncode != 0 and lines[1].startswith(head[0]), lines[:3]
    assert len(lines) < 10, f"{len(lines)} lines"
