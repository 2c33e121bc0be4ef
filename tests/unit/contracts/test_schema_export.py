"""The exported JSON Schemas: deterministic, committed, and agreeing with the models."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from jobforge.contracts.models.identifiers import DOTTED_ID_PATTERN
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


def _schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(render_schemas()[f"{kind}.schema.json"])
    return schema


def test_lists_that_name_things_declare_unique_items() -> None:
    connector = _schema("connector")
    assert connector["properties"]["supported_job_types"]["uniqueItems"] is True
    assert connector["$defs"]["Auth"]["properties"]["methods"]["uniqueItems"] is True
    assert _schema("runner")["properties"]["connectors"]["uniqueItems"] is True


def test_dates_declare_their_format_and_a_pattern_that_refuses_month_13() -> None:
    deadline = _schema("connector")["$defs"]["BreakingChange"]["properties"]["upgrade_deadline"]
    [date, _null] = deadline["anyOf"]
    assert date["format"] == "date"
    pattern = re.compile(date["pattern"])
    assert pattern.search("2027-01-31")
    for impossible in ("2024-13-45", "2024-01-32", "2024-00-01", "0000-01-01"):
        assert not pattern.search(impossible), impossible
    [now, _null] = _schema("golden")["properties"]["now"]["anyOf"]
    assert now["format"] == "date-time"
    assert not re.search(now["pattern"], "2000-01-01T25:00:00Z")


def test_runner_type_is_a_documented_pattern_with_the_shipped_domains_as_examples() -> None:
    runner_type = _schema("runner")["properties"]["runner_type"]
    assert runner_type["pattern"] == DOTTED_ID_PATTERN
    assert "ops" in runner_type["examples"]
    assert "enum" not in runner_type


def test_job_type_names_are_closed_like_every_other_map() -> None:
    job_types = _schema("runner")["properties"]["job_types"]
    assert job_types["additionalProperties"] is False
    job_type = _schema("runner")["$defs"]["JobTypeContract"]["properties"]["input_schema"]
    assert job_type["$ref"] == "https://json-schema.org/draft/2020-12/schema"


def test_patterns_use_ascii_digits() -> None:
    for text in render_schemas().values():
        assert "\\\\d" not in text
