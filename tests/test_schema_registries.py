"""config/schema.yaml lists what the registries hold: methods, parameters, selections, sources and more."""
from pathlib import Path

import pytest
import yaml

from sham_core.workflow import config as workflow
from sham_core.compression import methods
from sham_core.workflow.config import schema_mismatches

SCHEMA = yaml.safe_load((Path(__file__).resolve().parent.parent / "config" / "schema.yaml").read_text())


def test_the_schema_and_the_registries_agree():
    assert schema_mismatches(SCHEMA) == []


def test_a_method_added_to_the_registry_only_is_caught(monkeypatch):
    extra = methods.Method("pr_new", ("p", "k"), prune=True, quantize=None)
    monkeypatch.setitem(workflow.METHODS, "pr_new", extra)
    mismatches = schema_mismatches(SCHEMA)
    assert len(mismatches) == 1 and mismatches[0].startswith("methods") and "'pr_new'" in mismatches[0]


@pytest.mark.parametrize("where, name", [
    (("$defs", "dataset", "properties", "source", "enum"), "sources"),
    (("properties", "encode", "properties", "baselines", "items", "enum"), "baselines"),
    (("$defs", "training", "properties", "optimizer", "enum"), "optimizers"),
])
def test_a_name_the_schema_lists_but_no_registry_has_is_caught(where, name):
    schema = yaml.safe_load(yaml.safe_dump(SCHEMA))
    node = schema
    for key in where:
        node = node[key]
    node.append("made_up")
    mismatches = schema_mismatches(schema)
    assert len(mismatches) == 1 and mismatches[0].startswith(name) and "'made_up'" in mismatches[0]


def test_a_parameter_a_new_method_takes_must_be_in_the_schema(monkeypatch):
    monkeypatch.setitem(workflow.METHODS, "cws", methods.Method("cws", ("k", "t"), quantize=None))
    said = " ".join(schema_mismatches(SCHEMA))
    assert "parameters" in said and "zip keys" in said and "'t'" in said
