"""The capability catalogue: the targets a step can be routed to, as ``aias.registry``
answers ``list_targets``.

A target is something that serves capabilities by running as a job type: an agent, a
model behind ``aias.step.run``, or a job type of the application's own. Every answer is
checked before the router acts on it: a malformed one fails the job
(``invalid_registry_response``) rather than being guessed at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobforge.errors import InvalidArgument
from jobforge.handlers import validate_job_type
from jobforge.runners.aias.errors import InvalidRegistryResponse
from jobforge.runners.aias.names import LIST_TARGETS, REGISTRY_CONNECTOR_ID

# A target id travels in step payloads, so it follows their schema's pattern.
TARGET_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True, slots=True)
class Target:
    """One entry of the catalogue.

    ``load`` is the target's current load as the registry measures it (a number from 0,
    lower is less busy: a utilisation, a queue depth); ``cost_tier`` an integer from 1
    (cheapest); ``region`` where it processes data.
    """

    target_id: str
    job_type: str
    capabilities: frozenset[str]
    load: float
    cost_tier: int
    region: str

    def missing(self, required: frozenset[str]) -> tuple[str, ...]:
        """The required capabilities this target does not declare, sorted."""
        return tuple(sorted(required - self.capabilities))


def parse_targets(response: Any) -> tuple[Target, ...]:
    """The targets of a ``list_targets`` answer, in the order given; each id once."""
    if not isinstance(response, Mapping):
        raise _invalid(f"expected an object, got {_type(response)}")
    items = response.get("targets")
    if not isinstance(items, list):
        raise _invalid(f"targets: expected an array, got {_type(items)}")
    targets = tuple(_target(item, f"targets[{index}]") for index, item in enumerate(items))
    seen: set[str] = set()
    for index, target in enumerate(targets):
        if target.target_id in seen:
            raise _invalid(f"targets[{index}].id: {target.target_id!r} is listed more than once")
        seen.add(target.target_id)
    return targets


def _target(item: Any, label: str) -> Target:
    if not isinstance(item, Mapping):
        raise _invalid(f"{label}: expected an object, got {_type(item)}")
    target_id = item.get("id")
    if not isinstance(target_id, str) or not TARGET_ID_PATTERN.fullmatch(target_id):
        raise _invalid(
            f"{label}.id: expected letters, digits, '.', '_', ':' or '-' (up to 128, starting "
            f"with a letter or digit), got {target_id!r}"
        )
    job_type = item.get("job_type")
    try:
        validate_job_type(str(job_type) if isinstance(job_type, str) else "")
    except InvalidArgument:
        raise _invalid(
            f"{label}.job_type: expected a dotted lower-case job type, got {job_type!r}"
        ) from None
    capabilities = item.get("capabilities")
    if not isinstance(capabilities, list) or not all(
        isinstance(name, str) and name for name in capabilities
    ):
        raise _invalid(f"{label}.capabilities: expected an array of non-empty strings")
    load = item.get("load")
    if (
        isinstance(load, bool)
        or not isinstance(load, int | float)
        or not math.isfinite(load)
        or load < 0
    ):
        raise _invalid(f"{label}.load: expected a finite number from 0, got {load!r}")
    cost_tier = item.get("cost_tier")
    if isinstance(cost_tier, bool) or not isinstance(cost_tier, int) or cost_tier < 1:
        raise _invalid(f"{label}.cost_tier: expected an integer from 1, got {cost_tier!r}")
    return Target(
        target_id=target_id,
        job_type=str(job_type),
        capabilities=frozenset(capabilities),
        load=load,
        cost_tier=cost_tier,
        region=_text(item.get("region"), f"{label}.region"),
    )


def _text(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(f"{label}: expected a non-empty string, got {value!r}")
    return value


def _invalid(detail: str) -> InvalidRegistryResponse:
    return InvalidRegistryResponse(f"{REGISTRY_CONNECTOR_ID}.{LIST_TARGETS}: {detail}")


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__
