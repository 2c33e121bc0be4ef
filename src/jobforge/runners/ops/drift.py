"""Drift from the declared inventory: resources missing, unexpected, or changed.

The payload declares the resources that should exist, each with the attributes that
matter (only declared attributes are compared; a declared tag must have its value, other
tags may exist). Resources are matched by id. An id is in scope when it is not ignored
and, if the scan names regions, its declared or its actual region is one of them, so a
resource that moved out of a scanned region is reported as changed, not as missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobforge.runners.ops.findings import Check, Finding, found, passed, skipped
from jobforge.runners.ops.inventory import Resource

MISSING_RULE = "drift.missing"
UNEXPECTED_RULE = "drift.unexpected"
CHANGED_RULE = "drift.changed"
DUPLICATE_RULE = "drift.duplicate_declaration"

# A change to these opens or closes a door: high. To these moves or resizes: medium.
SECURITY_ATTRIBUTES = frozenset({"encrypted", "open_ports", "public", "tls_min_version"})
PLACEMENT_ATTRIBUTES = frozenset({"attached_to", "region", "size", "type"})
TAG_PREFIX = "tags."


@dataclass(frozen=True, slots=True)
class DriftOptions:
    """The payload's drift settings."""

    regions: frozenset[str] | None = None
    ignored: frozenset[str] = field(default_factory=frozenset)
    ignore_attributes: frozenset[str] = field(default_factory=frozenset)
    report_unexpected: bool = True

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DriftOptions:
        regions = payload.get("regions")
        return cls(
            regions=frozenset(regions) if regions else None,
            ignored=frozenset(payload.get("ignore_resources", ())),
            ignore_attributes=frozenset(payload.get("ignore_attributes", ())),
            report_unexpected=bool(payload.get("report_unexpected", True)),
        )


@dataclass(frozen=True, slots=True)
class DriftResult:
    """The checks of a drift scan, the ids it left out (with why), and how many of the
    inventory's resources it looked at."""

    checks: list[Check]
    excluded: list[tuple[str, str]]
    resources_scanned: int


def attribute_severity(attribute: str) -> str:
    if attribute in SECURITY_ATTRIBUTES:
        return "high"
    if attribute in PLACEMENT_ATTRIBUTES:
        return "medium"
    return "low"


def same_value(declared: Any, actual: Any) -> bool:
    """JSON equality where ``true`` is not ``1`` and ``1`` is ``1.0``."""
    if isinstance(declared, bool) or isinstance(actual, bool):
        return type(declared) is type(actual) and declared == actual
    if isinstance(declared, int | float) and isinstance(actual, int | float):
        return declared == actual
    if isinstance(declared, dict) and isinstance(actual, dict):
        return declared.keys() == actual.keys() and all(
            same_value(declared[key], actual[key]) for key in declared
        )
    if isinstance(declared, list) and isinstance(actual, list):
        return len(declared) == len(actual) and all(
            same_value(d, a) for d, a in zip(declared, actual, strict=True)
        )
    return type(declared) is type(actual) and bool(declared == actual)


def _port_set(value: Any) -> Any:
    """A list of port numbers as a sorted list without repeats; anything else as it is."""
    if isinstance(value, list) and all(
        isinstance(p, int) and not isinstance(p, bool) for p in value
    ):
        return sorted(set(value))
    return value


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def drift_checks(
    declared: Sequence[Mapping[str, Any]], resources: Sequence[Resource], options: DriftOptions
) -> DriftResult:
    """Compare ``declared`` with the inventory's ``resources``, id by id in id order."""
    declarations: dict[str, list[Mapping[str, Any]]] = {}
    for declaration in declared:
        declarations.setdefault(str(declaration["id"]), []).append(declaration)
    actual = {resource.id: resource for resource in resources}
    checks: list[Check] = []
    excluded: list[tuple[str, str]] = []
    scanned = 0
    for resource_id in sorted(declarations.keys() | actual.keys()):
        mine = declarations.get(resource_id, [])
        resource = actual.get(resource_id)
        reason = _out_of_scope(resource_id, mine, resource, options)
        if reason is not None:
            excluded.append((resource_id, reason))
            continue
        if resource is not None:
            scanned += 1
        checks += _checks_of_id(resource_id, mine, resource, options)
    return DriftResult(checks, excluded, scanned)


def _out_of_scope(
    resource_id: str,
    declarations: list[Mapping[str, Any]],
    resource: Resource | None,
    options: DriftOptions,
) -> str | None:
    if resource_id in options.ignored:
        return "listed in ignore_resources"
    if options.regions is None:
        return None
    regions = {d["region"] for d in declarations if isinstance(d.get("region"), str)}
    if resource is not None and resource.region is not None:
        regions.add(resource.region)
    if regions & options.regions:
        return None
    where = f"region(s) {sorted(regions)}" if regions else "no region"
    return f"{where} outside the scan's regions {sorted(options.regions)}"


def _checks_of_id(
    resource_id: str,
    declarations: list[Mapping[str, Any]],
    resource: Resource | None,
    options: DriftOptions,
) -> list[Check]:
    if len(declarations) > 1:
        finding = Finding(
            severity="medium",
            rule_id=DUPLICATE_RULE,
            resource_id=resource_id,
            message=f"declared {len(declarations)} times; declare it once to compare it",
            evidence={"declarations": len(declarations)},
        )
        return [found(finding)]
    if not declarations:
        assert resource is not None  # the id came from one side or the other
        return [_unexpected(resource, options)]
    declaration = declarations[0]
    if resource is None:
        expected = {key: value for key, value in declaration.items() if key != "id"}
        what = declaration.get("type") if isinstance(declaration.get("type"), str) else "resource"
        finding = Finding(
            severity="high",
            rule_id=MISSING_RULE,
            resource_id=resource_id,
            message=f"declared {what} is not in the inventory",
            evidence={"declared": expected},
        )
        return [found(finding)]
    return _compared(declaration, resource, options)


def _unexpected(resource: Resource, options: DriftOptions) -> Check:
    if not options.report_unexpected:
        return skipped(resource.id, UNEXPECTED_RULE, "not declared; report_unexpected is false")
    finding = Finding(
        severity="medium",
        rule_id=UNEXPECTED_RULE,
        resource_id=resource.id,
        message=f"{resource.type} is in the inventory but not declared",
        evidence={"type": resource.type, "region": resource.region},
    )
    return found(finding)


def _declared_attributes(declaration: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(attribute, declared value) pairs, a declared tag as ``tags.<key>``, sorted."""
    pairs: list[tuple[str, Any]] = []
    for attribute, value in declaration.items():
        if attribute == "id":
            continue
        if attribute == "tags" and isinstance(value, dict):
            pairs += [(TAG_PREFIX + key, tag) for key, tag in value.items()]
        else:
            pairs.append((attribute, value))
    return sorted(pairs, key=lambda pair: pair[0])


def _actual_value(resource: Resource, attribute: str) -> tuple[bool, Any]:
    """(reported, value) of ``attribute`` on ``resource``."""
    if attribute.startswith(TAG_PREFIX):
        key = attribute.removeprefix(TAG_PREFIX)
        return key in resource.tags, resource.tags.get(key)
    return attribute in resource.attributes, resource.attributes.get(attribute)


def _compared(
    declaration: Mapping[str, Any], resource: Resource, options: DriftOptions
) -> list[Check]:
    checks: list[Check] = []
    matching: list[str] = []
    for attribute, declared in _declared_attributes(declaration):
        if attribute in options.ignore_attributes or (
            attribute.startswith(TAG_PREFIX) and "tags" in options.ignore_attributes
        ):
            checks.append(skipped(resource.id, CHANGED_RULE, f"{attribute}: in ignore_attributes"))
            continue
        changed = _changed(resource, attribute, declared)
        if changed is None:
            matching.append(attribute)
        else:
            checks.append(found(changed))
    if matching or not checks:
        compared = ", ".join(matching) if matching else "no attributes (present is enough)"
        checks.append(passed(resource.id, CHANGED_RULE, f"matches its declaration on {compared}"))
    return checks


def _changed(resource: Resource, attribute: str, declared_value: Any) -> Finding | None:
    """The finding for ``attribute`` if the resource does not have its declared value."""
    reported, actual = _actual_value(resource, attribute)
    declared = declared_value
    if attribute == "open_ports":
        declared, actual = _port_set(declared), _port_set(actual)
    if reported and same_value(declared, actual):
        return None
    now_is = f"is {_shown(actual)}" if reported else "is not reported"
    return Finding(
        severity=attribute_severity("tags" if attribute.startswith(TAG_PREFIX) else attribute),
        rule_id=CHANGED_RULE,
        resource_id=resource.id,
        message=f"{attribute} {now_is}, declared {_shown(declared)}",
        evidence={
            "attribute": attribute,
            "declared": declared,
            "actual": actual,
            "reported": reported,
        },
    )
