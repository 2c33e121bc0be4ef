"""JSON Schemas of the contract models, for editors and other tools (``$schema`` in a file).

The output is byte-for-byte deterministic: sorted keys, two-space indent, trailing newline.
"""

from __future__ import annotations

import json
from typing import Any

from jobforge.contracts.models.contract_files import MODELS

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://jobforge.dev/schemas/"


def schema_file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def render_schemas() -> dict[str, str]:
    """File name -> file text for every contract model."""
    rendered = {}
    for kind, model in MODELS.items():
        schema: dict[str, Any] = model.model_json_schema(by_alias=True, mode="validation")
        schema["$schema"] = JSON_SCHEMA_DIALECT
        schema["$id"] = SCHEMA_ID_BASE + schema_file_name(kind)
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        rendered[schema_file_name(kind)] = text
    return rendered
