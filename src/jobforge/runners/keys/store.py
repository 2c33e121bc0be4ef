"""Calling the ``jobforge.keys.store`` connector and checking the shape of its answers.

Every request names the job's tenant (``ctx.tenant_id``), never one from the payload: the
database refuses a tenant the worker's role holds no worker grant for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobforge import JobContext
from jobforge.runners.keys.errors import InvalidStoreResponse
from jobforge.runners.keys.names import STORE_CONNECTOR_ID


def call_store(ctx: JobContext, operation: str, request: dict[str, Any]) -> Mapping[str, Any]:
    """The store's answer to ``operation``: an object, or InvalidStoreResponse."""
    response = ctx.connector(STORE_CONNECTOR_ID).call(
        operation, {"tenant_id": str(ctx.tenant_id), **request}
    )
    if not isinstance(response, Mapping):
        raise InvalidStoreResponse(
            f"{STORE_CONNECTOR_ID}.{operation}: expected an object, got {type(response).__name__}"
        )
    return response


def outcome_of(response: Mapping[str, Any], operation: str, allowed: tuple[str, ...]) -> str:
    """The response's ``outcome``, one of ``allowed``."""
    outcome = response.get("outcome")
    if outcome not in allowed:
        raise InvalidStoreResponse(
            f"{STORE_CONNECTOR_ID}.{operation}: outcome: expected one of "
            f"{', '.join(allowed)}, got {outcome!r}"
        )
    return str(outcome)
