"""forms/: one draft 2020-12 schema per form key used in bpmn/, none orphaned, and the
conventions every form follows (docs/modelling.md)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from lxml import etree

REPO = Path(__file__).resolve().parents[2]
FORMS_DIR = REPO / "forms"
BPMN_DIR = REPO / "bpmn"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


def referenced_form_keys() -> set[str]:
    keys = set()
    for path in BPMN_DIR.glob("*.bpmn"):
        doc = etree.parse(str(path))
        keys.update(doc.xpath("//bpmn:userTask/bpmn:extensionElements/spiffworkflow:properties/"
                              "spiffworkflow:property[@name='formKey']/@value", namespaces=NS))
        # a process's start form validates the variables it is started with
        keys.update(doc.xpath("//bpmn:process/bpmn:extensionElements/spiffworkflow:properties/"
                              "spiffworkflow:property[@name='startForm']/@value", namespaces=NS))
    return keys


def schemas() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(FORMS_DIR.glob("*.json"))}


def walk_properties(schema: dict, path: str = ""):
    """(dotted path, property schema) of every declared property, nested objects and arrays too."""
    for name, prop in schema.get("properties", {}).items():
        if "type" not in prop:  # a partial schema inside if/then, not a declaration
            continue
        yield f"{path}{name}", prop
        yield from walk_properties(prop, f"{path}{name}.")
        if isinstance(prop.get("items"), dict):
            yield from walk_properties(prop["items"], f"{path}{name}[].")


def test_every_form_key_has_a_schema_and_none_is_orphaned():
    used, present = referenced_form_keys(), set(schemas())
    assert used, "no formKey found in bpmn/"
    assert used - present == set(), "form keys without forms/<key>.json"
    assert present - used == set(), "schemas no user task uses"


@pytest.mark.parametrize("key", sorted(schemas()))
def test_schema_is_valid_draft_2020_12(key):
    schema = schemas()[key]
    assert schema.get("$schema") == DRAFT_2020_12
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema.get("additionalProperties") is False, "form data is merged into task data: no extra keys"


@pytest.mark.parametrize("key", sorted(schemas()))
def test_every_field_has_an_indonesian_title_and_description(key):
    schema = schemas()[key]
    assert schema.get("title") and schema.get("description")
    for path, prop in walk_properties(schema):
        assert prop.get("title"), f"{key}: {path} has no title"
        if prop.get("type") != "object":
            assert prop.get("description"), f"{key}: {path} has no description"


@pytest.mark.parametrize("key", sorted(schemas()))
def test_document_references_use_the_document_id_format(key):
    for path, prop in walk_properties(schemas()[key]):
        leaf = path.rsplit(".", 1)[-1]
        if leaf == "document" or leaf.endswith("_document") or leaf == "attachment":
            assert prop == {**prop, "type": "string", "format": "document-id"}, f"{key}: {path}"


def test_decision_convention():
    """Every checker form: `decision` in approve/revise; `notes` required when revising."""
    with_decision = {k: s for k, s in schemas().items() if "decision" in s["properties"]}
    assert "approval_check" in with_decision
    for key, schema in with_decision.items():
        assert schema["properties"]["decision"]["enum"] == ["approve", "revise"]
        assert schema["properties"]["notes"]["type"] == "string"
        validator = Draft202012Validator(schema)
        assert validator.is_valid({"decision": "approve"})
        assert not validator.is_valid({"decision": "revise"}), f"{key}: revise without notes"
        assert not validator.is_valid({"decision": "revise", "notes": ""}), f"{key}: empty notes"
        assert validator.is_valid({"decision": "revise", "notes": "Lengkapi lampiran."})
        assert not validator.is_valid({"decision": "maybe"})


def test_performance_data_holds_indicators_and_budget():
    """Version 2: what an LKj table needs per indicator (its strategic objective, polarity,
    a single target or a target range, last year's realisation), and the budget."""
    schema = schemas()["performance_data"]
    indicator = schema["properties"]["indicators"]["items"]
    assert set(indicator["properties"]) == {
        "code", "name", "objective", "polarity", "target", "target_range", "realisation",
        "last_year_realisation", "unit_of_measure", "explanation"}
    assert indicator["properties"]["polarity"]["enum"] == ["higher_is_better", "lower_is_better"]
    for field in ("target", "realisation", "last_year_realisation"):
        assert indicator["properties"][field]["type"] == "number"
    for field in ("budget_ceiling", "budget_realisation"):
        assert schema["properties"][field]["type"] == "number"
        assert field in schema["required"]
    validator = Draft202012Validator(schema)
    row = {"code": "IKU-1", "name": "Indeks", "objective": "Layanan prima",
           "polarity": "higher_is_better", "target": 90, "realisation": 92.5,
           "unit_of_measure": "persen"}
    ranged = {**{k: v for k, v in row.items() if k != "target"},
              "target_range": {"low": 70, "high": 80}}

    def valid(*rows, ceiling=10):
        return validator.is_valid({"indicators": list(rows), "budget_ceiling": ceiling,
                                   "budget_realisation": 9.5})

    assert valid(row) and valid(ranged) and valid({**row, "last_year_realisation": 88})
    assert not valid()
    assert not valid(row, ceiling="10")
    assert not valid({**ranged, "target": 75}), "a range replaces the single target"
    assert not valid({k: v for k, v in row.items() if k != "target"}), "no target at all"
    assert not valid({**ranged, "target_range": {"low": 70}})
    for missing in ("objective", "polarity"):
        assert not valid({k: v for k, v in row.items() if k != missing}), missing
    assert not valid({**row, "polarity": "sideways"})


def test_a_draft_discussion_that_asks_for_corrections_says_what_to_correct():
    validator = Draft202012Validator(schemas()["draft_discussion"])
    assert validator.is_valid({"summary": "Draf dibahas.", "units_to_correct": []})
    assert not validator.is_valid({"summary": "Draf dibahas.", "units_to_correct": ["DEP2"]})
    assert validator.is_valid({"summary": "Draf dibahas.", "units_to_correct": ["DEP2"],
                               "correction_notes": "Realisasi IKU-2 keliru."})
    assert not validator.is_valid({"summary": "Draf dibahas."})


def test_complaint_triage_needs_instructions_when_delegating():
    validator = Draft202012Validator(schemas()["complaint_triage"])
    assert validator.is_valid({"handling": "self"})
    assert not validator.is_valid({"handling": "delegate"})
    assert validator.is_valid({"handling": "delegate", "instructions": "Tindak lanjuti."})
