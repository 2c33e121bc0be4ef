"""The ``aias.registry`` connector: the capability catalogue and the targets' load.

Every request names the job's tenant (``ctx.tenant_id``), never one from the payload, so
a registry can answer each tenant with the targets it has access to.
"""

from __future__ import annotations

from collections.abc import Iterable

from jobforge import JobContext
from jobforge.runners.aias.names import LIST_TARGETS, REGISTRY_CONNECTOR_ID
from jobforge.runners.aias.targets import Target, parse_targets


def list_targets(ctx: JobContext, capabilities: Iterable[str]) -> tuple[Target, ...]:
    """The targets serving any of ``capabilities``, with their current load."""
    request = {"tenant_id": str(ctx.tenant_id), "capabilities": sorted(set(capabilities))}
    return parse_targets(ctx.connector(REGISTRY_CONNECTOR_ID).call(LIST_TARGETS, request))
