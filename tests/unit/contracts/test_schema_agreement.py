"""The exported connector schema and the model agree: documents generated from the schema
fail the model only on the cross-field rules a JSON Schema does not express.

Uses the project's own schema strategies (jobforge.replay.strategies): hypothesis-jsonschema
in this environment does not work with the installed hypothesis.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from jobforge.contracts.models.contract_files import ConnectorMetadata
from jobforge.contracts.models.schema_export import render_schemas
from jobforge.replay.strategies import from_schema

CONNECTOR_SCHEMA = json.loads(render_schemas()["connector.schema.json"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_schema(CONNECTOR_SCHEMA))
def test_schema_valid_documents_fail_the_model_only_on_cross_field_rules(
    document: dict[str, Any],
) -> None:
    assert _error_types(document) <= {"value_error"}


def _error_types(document: dict[str, Any]) -> set[str]:
    try:
        ConnectorMetadata.model_validate(document)
    except ValidationError as exc:
        return {error["type"] for error in exc.errors()}
    return set()
