"""The exported JSON Schemas: deterministic, committed, and agreeing with the models."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from jobforge.contracts.models.schema_export import render_schemas
from tests.unit.contracts.support import REPO_ROOT, SAMPLE_CONNECTOR, sample_connector


def test_rendering_is_deterministic() -> None:
    assert render_schemas() == render_schemas()
    for text in render_schemas().values():
        assert text.endswith("}\n")
        assert (
            json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            == text
        )


def test_committed_schemas_are_current() -> None:
    for name, text in render_schemas().items():
        assert (REPO_ROOT / "contracts" / "schema" / name).read_text(encoding="utf-8") == text


def _validator() -> Draft202012Validator:
    schema = json.loads(render_schemas()["connector.schema.json"])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_connector_schema_accepts_the_sample_with_its_schema_key() -> None:
    document = json.loads(Path(SAMPLE_CONNECTOR).read_text(encoding="utf-8"))
    assert "$schema" in document
    assert list(_validator().iter_errors(document)) == []


def test_connector_schema_refuses_what_the_model_refuses() -> None:
    bad = sample_connector(version="1.0", colour="red")
    messages = sorted(error.message for error in _validator().iter_errors(bad))
    assert len(messages) == 2
    assert any("'colour' was unexpected" in message for message in messages)
    assert any(message.startswith("'1.0' does not match") for message in messages)
