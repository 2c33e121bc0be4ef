"""The exported JSON Schemas and the models agree, so an editor flags what ``validate`` flags.

The schemas are read the way editors and check-jsonschema read them: patterns are ECMA-262
regular expressions (``$`` does not match before a trailing newline, as it does in Python)
and formats are checked (check-jsonschema's checkers, with Python's ``regex`` format, the one
the model's own job type schema check applies). Two directions:

* everything the schema refuses, the model refuses: an editor never flags a valid file;
* everything the model refuses, the schema refuses, except what a JSON Schema cannot state
  (``BEYOND_JSON_SCHEMA``): a comparison between two fields, and an integral float such as
  ``20.0`` where an integer is expected (JSON Schema compares numbers by value).

Both are checked on a corpus of documents that break one rule each, and with hypothesis on
documents mutated from valid ones: values replaced by near misses or arbitrary JSON, keys
removed or added, list entries repeated.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import jsonschema
import pytest
from check_jsonschema.formats import FormatOptions, make_format_checker
from check_jsonschema.regex_variants import RegexImplementation, RegexVariantName
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from jobforge.contracts.loading.loader import load_file
from jobforge.contracts.models import enums
from jobforge.contracts.models.contract_files import MODELS
from jobforge.contracts.models.schema_export import render_schemas, schema_file_name
from jobforge.replay.strategies import from_schema
from tests.unit.contracts.support import SAMPLE_GOLDENS, SAMPLE_RUNNER, sample_connector

Path_ = tuple[str | int, ...]


def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads(render_schemas()[schema_file_name(kind)])
    ecma_patterns = RegexImplementation(RegexVariantName.default)
    python_regex_format = RegexImplementation(RegexVariantName.python)
    validator_class = jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        {
            "pattern": ecma_patterns.pattern_keyword,
            "patternProperties": ecma_patterns.patternProperties_keyword,
        },
    )
    format_checker = make_format_checker(FormatOptions(regex_impl=python_regex_format))
    assert format_checker is not None
    assert {"date", "date-time", "regex"} <= set(format_checker.checkers)
    validator: jsonschema.protocols.Validator = validator_class(
        schema, format_checker=format_checker
    )
    return validator


VALIDATORS: Final = {kind: _validator(kind) for kind in MODELS}


def _loaded(path: Path) -> dict[str, Any]:
    loaded = load_file(path, path.name)
    assert loaded.ok, loaded.problems
    document: dict[str, Any] = loaded.data
    return document


VALID: Final[dict[str, dict[str, Any]]] = {
    "connector": sample_connector(
        description="d",
        breaking_changes={
            "1.0.0": {
                "message": "m",
                "upgrade_deadline": "2027-01-31",
                "migration_documentation_url": "https://example.com/migrate",
            }
        },
    ),
    "runner": {
        **_loaded(SAMPLE_RUNNER),
        "$schema": "../schema/runner.schema.json",
        "breaking_changes": {"1.0.0": {"message": "m", "upgrade_deadline": "2024-02-29"}},
        # Small job type schemas: checking them against the meta-schema dominates the time.
        "job_types": {
            "autopilot.ops.scan": {
                "description": "d",
                "input_schema": {
                    "type": "object",
                    "required": ["zone"],
                    "properties": {"zone": {"type": "string", "pattern": "^[a-z.]+$"}},
                },
                "output_schema": {"type": "object"},
            }
        },
    },
    "golden": {
        **_loaded(SAMPLE_GOLDENS / "hardened-zone.yaml"),
        "now": "2000-01-01T00:00:00.5+01:00",
        "seed": 7,
        "expected_artifact_keys": ["zone"],
    },
}


def _model_errors(kind: str, document: Any) -> list[Any]:
    model: type[BaseModel] = MODELS[kind]
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return list(exc.errors(include_url=False))
    return []


def _schema_accepts(kind: str, document: Any) -> bool:
    return bool(VALIDATORS[kind].is_valid(document))


def _beyond_json_schema(error: Any) -> bool:
    """Whether ``error`` is a rule no JSON Schema can state."""
    got = error.get("input")
    if error["type"] == "int_type" and isinstance(got, float) and got.is_integer():
        return True
    comparisons = ("burst_size (", "backoff_cap_seconds (")
    return error["type"] == "value_error" and str(error["ctx"]["error"]).startswith(comparisons)


def _assert_agreement(kind: str, document: Any) -> None:
    errors = _model_errors(kind, document)
    accepted = _schema_accepts(kind, document)
    if not accepted:
        assert errors, "the schema refuses a document the model accepts"
    expressible = [error for error in errors if not _beyond_json_schema(error)]
    assert not (expressible and accepted), f"the schema accepts what the model refuses: {errors}"


# ---------------------------------------------------------------- the corpus

DELETE: Final = object()


def _changed(document: Any, path: Path_, value: Any) -> Any:
    """A copy of ``document`` with the node at ``path`` replaced (or removed: ``DELETE``)."""
    result = copy.deepcopy(document)
    if not path:
        return value
    parent = result
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        del parent[path[-1]]
    elif isinstance(parent, list) and path[-1] == len(parent):
        parent.append(value)
    else:
        parent[path[-1]] = value
    return result


FAILURE = ("failure_modes", 0)
DEADLINE = ("breaking_changes", "1.0.0", "upgrade_deadline")
JOB_TYPE = ("job_types", "autopilot.ops.scan")
CONNECTOR = ("connector_responses", 0)

INVALID: Final[list[tuple[str, Path_, Any]]] = [
    # one entry per kind of constraint: unknown keys, missing keys, types, enums
    ("connector", ("colour",), "red"),
    ("connector", ("capabilities", "teleport"), True),
    ("connector", ("observability", "logs"), DELETE),
    ("connector", ("capabilities", "batch"), "yes"),
    ("connector", ("status",), "gold"),
    ("connector", ("rate_limits", "quota_period"), "week"),
    ("runner", ("methods", "validate_"), False),
    ("golden", ("response_time",), 1),
    # dotted ids and versions
    ("connector", ("connector_id",), "ReadyLayer.CDN"),
    ("connector", ("supported_job_types", 0), "autopilot..scan"),
    ("connector", ("supported_job_types", 0), "autopilot.ops.scan\n"),
    ("connector", ("supported_job_types", 0), "a" * 201),
    ("connector", ("version",), "1.0"),
    ("connector", ("version",), "v1.0.0"),
    ("connector", ("version",), "1\u0660.0.0"),
    ("connector", ("breaking_changes", "2.0"), {"message": "m"}),
    ("runner", ("job_types", "Autopilot Scan"), VALID["runner"]["job_types"][JOB_TYPE[1]]),
    ("runner", ("runner_type",), "Ops"),
    ("runner", ("runner_type",), "acme..payments"),
    ("runner", ("runner_type",), ""),
    ("golden", ("job_type",), "autopilot/ops"),
    ("golden", (*CONNECTOR, "connector_id"), "ReadyLayer"),
    # dates and timestamps
    ("connector", DEADLINE, "2024-13-45"),
    ("connector", DEADLINE, "2024-01-32"),
    ("connector", DEADLINE, "2023-02-29"),
    ("connector", DEADLINE, "0000-01-01"),
    ("connector", DEADLINE, "31/01/2027"),
    ("golden", ("now",), "2000-13-01T00:00:00Z"),
    ("golden", ("now",), "2000-02-30T00:00:00Z"),
    ("golden", ("now",), "2000-01-01T24:00:00Z"),
    ("golden", ("now",), "2000-01-01T00:00:00"),
    ("golden", ("now",), "2000-01-01 00:00:00Z"),
    # minimum, maximum, lengths
    ("connector", ("rate_limits", "requests_per_second"), 0),
    ("connector", ("rate_limits", "burst_size"), 0),
    ("connector", (*FAILURE, "max_retries"), 101),
    ("connector", ("supported_job_types",), []),
    ("connector", ("auth", "methods"), []),
    ("connector", ("description",), ""),
    ("runner", ("timeout_seconds",), 7 * 24 * 3600 + 1),
    ("runner", ("timeout_seconds",), 0),
    ("runner", ("retry", "max_attempts"), 0),
    ("runner", ("retry", "max_attempts"), 101),
    ("runner", ("retry", "backoff_base_seconds"), -1),
    ("runner", ("job_types",), {}),
    ("golden", ("seed",), -1),
    ("golden", ("name",), ""),
    ("golden", ("expected_trace_keys", 0), ""),
    # unique entries
    ("connector", ("supported_job_types", 1), "autopilot.ops.scan"),
    ("connector", ("auth", "methods", 1), "bearer_token"),
    ("connector", ("failure_modes", 2), VALID["connector"]["failure_modes"][0]),
    ("runner", ("connectors", 1), "readylayer.cdn"),
    # rules across fields that a JSON Schema can state
    ("connector", ("auth", "methods", 1), "none"),
    ("connector", ("auth", "credentials_storage"), "none"),
    ("connector", (*FAILURE, "retry_strategy"), "none"),
    ("connector", (*FAILURE, "max_retries"), 0),
    ("connector", ("failure_modes", 1, "max_retries"), 2),
    ("connector", ("failure_modes", 1, "retry_strategy"), "fixed"),
    ("runner", ("methods", "execute"), False),
    ("runner", ("determinism", "input_snapshot"), False),
    ("runner", ("determinism", "output_artifact"), False),
    # job type schemas must be JSON Schemas (and objects)
    ("runner", (*JOB_TYPE, "input_schema"), True),
    ("runner", (*JOB_TYPE, "input_schema"), {"type": "objekt"}),
    ("runner", (*JOB_TYPE, "output_schema", "required"), "zone"),
    ("runner", (*JOB_TYPE, "input_schema", "properties", "zone", "pattern"), "("),
]


@pytest.mark.parametrize(("kind", "path", "value"), INVALID)
def test_what_the_model_refuses_the_schema_refuses(kind: str, path: Path_, value: Any) -> None:
    document = _changed(VALID[kind], path, value)
    assert _model_errors(kind, document), "the corpus entry should break a rule"
    assert not _schema_accepts(kind, document)


VALID_CHANGES: Final[list[tuple[str, Path_, Any]]] = [
    ("connector", (), VALID["connector"]),
    ("runner", (), VALID["runner"]),
    ("golden", (), VALID["golden"]),
    ("runner", ("runner_type",), "acme.payments"),
    ("runner", ("runner_type",), "billing"),
    ("connector", DEADLINE, "2024-02-29"),
    ("connector", ("rate_limits", "requests_per_second"), 2.5),
    ("connector", ("description",), None),
    ("golden", ("now",), "2024-02-29T23:59:59-00:30"),
    ("golden", ("seed",), None),
]


@pytest.mark.parametrize(("kind", "path", "value"), VALID_CHANGES)
def test_what_the_model_accepts_the_schema_accepts(kind: str, path: Path_, value: Any) -> None:
    document = _changed(VALID[kind], path, value)
    assert _model_errors(kind, document) == []
    assert _schema_accepts(kind, document)


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("connector", ("rate_limits", "burst_size"), 10.0),
        ("connector", ("rate_limits", "burst_size"), 4),
        ("runner", ("retry", "backoff_cap_seconds"), 1),
    ],
)
def test_only_what_json_schema_cannot_state_is_left_to_the_model(
    kind: str, path: Path_, value: Any
) -> None:
    document = _changed(VALID[kind], path, value)
    errors = _model_errors(kind, document)
    assert errors
    assert all(_beyond_json_schema(error) for error in errors)
    assert _schema_accepts(kind, document)


# ---------------------------------------------------------------- mutated documents

ENUM_VALUES: Final = sorted(
    member.value
    for enum in vars(enums).values()
    if isinstance(enum, type) and issubclass(enum, StrEnum) and enum is not StrEnum
    for member in enum
)
NEAR_MISSES: Final[dict[type, list[Any]]] = {
    bool: [None, 0, 1, "true"],
    int: [None, True, 0, 1, -1, 0.5, 2.5, 3.0, 100, 101, 604800, 604801, "3"],
    str: [
        "", " ", "x", "ops", "Ops", "acme.payments", "a..b", ".a", "a.", "a b", "a\n", "a" * 201,
        "1.0", "1.0.0", "01.0.0", "1.0.0-rc.1", "1.0.0+build.5", "1\u0660.0.0",
        "2027-01-31", "2024-13-45", "2024-02-29", "2023-02-29", "0000-01-01",
        "2000-01-01T00:00:00Z", "2000-13-01T00:00:00Z", "2000-02-30T00:00:00Z",
        "2000-01-01T24:00:00+00:00", "readylayer.cdn", "autopilot.ops.scan", "object", "(",
        *ENUM_VALUES,
    ],
    list: [[], ["none"], ["api_key", "api_key"], [None]],
    dict: [{}, {"type": "object"}, {"type": "objekt"}, {"required": "zone"}, {"message": "m"}],
}  # fmt: skip
NEAR_MISSES[float] = NEAR_MISSES[int]
ANY_NEAR_MISS: Final = st.sampled_from([value for pool in NEAR_MISSES.values() for value in pool])
NEW_KEYS: Final = [
    "colour", "validate_", "schema_", "$schema", "description", "upgrade_deadline",
    "request", "seed", "now", "Bad Key", "2.0.0", "2.0", "a.b", "type", "pattern",
]  # fmt: skip
SMALL_INTEGERS: Final = st.integers(-(10**6), 10**6)
JSON_VALUES: Final = st.recursive(
    st.none()
    | st.booleans()
    | SMALL_INTEGERS
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
"""Arbitrary JSON; integers stay small because a float field refuses one too large for a float."""


def _paths(node: Any, prefix: Path_ = ()) -> list[Path_]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths.extend(_paths(value, (*prefix, index)))
    return paths


def _node(document: Any, path: Path_) -> Any:
    for part in path:
        document = document[part]
    return document


def _same_type_near_misses(current: Any) -> list[Any]:
    if isinstance(current, bool):
        return [not current, *NEAR_MISSES[bool]]
    if isinstance(current, str) and current:
        return [*NEAR_MISSES[str], current.upper(), current + "\n", current[:-1], current + "."]
    return NEAR_MISSES.get(type(current), [])


FREE_JSON_KEYS: Final = {
    "input_schema", "output_schema", "input", "expected_output", "request", "response",
}  # fmt: skip


def _free_json(path: Path_) -> bool:
    """Whether ``path`` lies inside a payload or a job type schema, below the model's reach.

    Both sides check job type schemas with the same meta-schema validator, so mutating
    their insides only repeats jsonschema's own check, at many times the cost.
    """
    return any(part in FREE_JSON_KEYS for part in path[:-1])


def _single_mutations(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every document one near miss away from ``document``, with what was done to it."""
    for path in _paths(document)[1:]:
        if _free_json(path):
            continue
        node = _node(document, path)
        if isinstance(_node(document, path[:-1]), dict):
            yield f"delete {path}", _changed(document, path, DELETE)
        for value in _same_type_near_misses(node):
            yield f"set {path} = {value!r}", _changed(document, path, value)
        if isinstance(node, dict) and path[-1] not in FREE_JSON_KEYS:
            for key in NEW_KEYS:
                yield f"add {(*path, key)}", _changed(document, (*path, key), "x")
        if isinstance(node, list):
            for item in node:
                yield f"repeat {item!r} in {path}", _changed(document, (*path, len(node)), item)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_single_near_miss_gets_the_same_verdict(kind: str) -> None:
    disagreements = []
    for change, document in _single_mutations(VALID[kind]):
        try:
            _assert_agreement(kind, document)
        except AssertionError as exc:
            disagreements.append(f"{change}: {str(exc).splitlines()[0]}")
    assert disagreements == []


@st.composite
def _mutation(draw: st.DrawFn, document: Any) -> Any:
    path = draw(st.sampled_from(_paths(document)))
    node = _node(document, path)
    choices = ["replace"]
    if path and isinstance(_node(document, path[:-1]), dict):
        choices.append("delete")
    if isinstance(node, dict):
        choices.append("add")
    if isinstance(node, list) and node:
        choices.append("repeat")
    match draw(st.sampled_from(choices)):
        case "delete":
            return _changed(document, path, DELETE)
        case "add":
            key = draw(st.sampled_from(NEW_KEYS) | st.text(max_size=5))
            return _changed(document, (*path, key), draw(ANY_NEAR_MISS | JSON_VALUES))
        case "repeat":
            return _changed(document, (*path, len(node)), draw(st.sampled_from(node)))
        case _:
            near_misses = _same_type_near_misses(node) or [None]
            value = draw(st.sampled_from(near_misses) | ANY_NEAR_MISS | JSON_VALUES)
            return _changed(document, path, value)


@st.composite
def _mutated(draw: st.DrawFn, kind: str) -> Any:
    document = VALID[kind]
    for _ in range(draw(st.integers(1, 3))):
        document = draw(_mutation(document))
        if not isinstance(document, dict):
            break
    return document


@pytest.mark.parametrize("kind", sorted(MODELS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_documents_mutated_at_random_get_the_same_verdict(kind: str, data: st.DataObject) -> None:
    """Several changes at once, arbitrary JSON, anywhere (job type schemas included)."""
    _assert_agreement(kind, data.draw(_mutated(kind)))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(json.loads(render_schemas()["connector.schema.json"])))
def test_documents_generated_from_the_connector_schema_satisfy_the_model(
    document: dict[str, Any],
) -> None:
    errors = _model_errors("connector", document)
    assert all(_beyond_json_schema(error) for error in errors), errors
