"""The JSON limits, as the client has always named them; they live in
:mod:`jobforge.determinism.json_limits`, where the worker checks follow-up payloads too."""

from __future__ import annotations

from jobforge.determinism.json_limits import (
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_NUMBER,
    json_limit_problem,
)

__all__ = ["MAX_JSON_BYTES", "MAX_JSON_DEPTH", "MAX_JSON_NUMBER", "json_limit_problem"]
