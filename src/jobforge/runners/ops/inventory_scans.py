"""The inventory scans: ``autopilot.ops.cost_scan``, ``security_scan`` and ``drift_scan``.

Each reads the account's inventory from the ``autopilot.inventory`` connector, applies its
rules to every resource in scope (resources sorted by id, so the listing order changes
nothing), and returns its findings, most severe first, with a summary that passes or fails
the scan against the payload's ``fail_on``. Every scoping and rule decision goes to the
trace; the clock is ``ctx.now``, so a replay gives the same output byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobforge import JobContext, handler
from jobforge.runners.ops.cost import CostOptions, cost_checks
from jobforge.runners.ops.drift import DriftOptions, drift_checks
from jobforge.runners.ops.findings import (
    DEFAULT_FAIL_ON,
    Check,
    Finding,
    sorted_findings,
    summarise,
)
from jobforge.runners.ops.inventory import CONNECTOR_ID, Inventory, Scope, fetch_inventory, scope
from jobforge.runners.ops.security import SecurityOptions, security_checks

COST_JOB_TYPE = "autopilot.ops.cost_scan"
SECURITY_JOB_TYPE = "autopilot.ops.security_scan"
DRIFT_JOB_TYPE = "autopilot.ops.drift_scan"


@handler(COST_JOB_TYPE)
def cost_scan(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Idle, oversized and unattached resources and missing cost tags, with savings."""
    inventory = _read_inventory(ctx, "cost", payload)
    in_scope = _scoped(ctx, "cost", payload, inventory)
    options = CostOptions.from_payload(payload, inventory.currency)
    checks = [c for r in in_scope.resources for c in cost_checks(r, options, ctx.now)]
    return _report(
        ctx,
        "cost",
        payload,
        checks,
        resources_scanned=len(in_scope.resources),
        resources_excluded=len(in_scope.excluded),
        currency=inventory.currency,
    )


@handler(SECURITY_JOB_TYPE)
def security_scan(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Public exposure, unencrypted storage, admin ports open to any address, weak TLS."""
    inventory = _read_inventory(ctx, "security", payload)
    in_scope = _scoped(ctx, "security", payload, inventory)
    options = SecurityOptions.from_payload(payload)
    checks = [c for r in in_scope.resources for c in security_checks(r, options)]
    return _report(
        ctx,
        "security",
        payload,
        checks,
        resources_scanned=len(in_scope.resources),
        resources_excluded=len(in_scope.excluded),
    )


@handler(DRIFT_JOB_TYPE)
def drift_scan(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Resources missing from, unexpected in, or changed against the declared inventory."""
    inventory = _read_inventory(ctx, "drift", payload)
    declared: Sequence[dict[str, Any]] = payload["expected"]
    result = drift_checks(declared, inventory.resources, DriftOptions.from_payload(payload))
    _trace_exclusions(ctx, "drift", result.excluded)
    output = _report(
        ctx,
        "drift",
        payload,
        result.checks,
        resources_scanned=result.resources_scanned,
        resources_excluded=len(result.excluded),
    )
    return {**output, "declared_resources": len(declared)}


def _read_inventory(ctx: JobContext, scan: str, payload: dict[str, Any]) -> Inventory:
    inventory = fetch_inventory(ctx.connector(CONNECTOR_ID), payload["account"])
    ctx.trace.decision(
        "inventory_read",
        scan=scan,
        account=inventory.account,
        pages=inventory.pages,
        resources=len(inventory.resources),
        currency=inventory.currency,
    )
    return inventory


def _scoped(ctx: JobContext, scan: str, payload: dict[str, Any], inventory: Inventory) -> Scope:
    in_scope = scope(
        inventory.resources, payload.get("regions"), payload.get("ignore_resources", ())
    )
    _trace_exclusions(ctx, scan, in_scope.excluded)
    return in_scope


def _trace_exclusions(ctx: JobContext, scan: str, excluded: Sequence[tuple[str, str]]) -> None:
    for resource_id, reason in excluded:
        ctx.trace.decision("resource_excluded", scan=scan, resource_id=resource_id, reason=reason)


def _report(
    ctx: JobContext,
    scan: str,
    payload: dict[str, Any],
    checks: Sequence[Check],
    *,
    resources_scanned: int,
    resources_excluded: int,
    currency: str | None = None,
) -> dict[str, Any]:
    """Trace every check, then sort the findings and judge them against ``fail_on``."""
    for check in checks:
        ctx.trace.decision("rule_checked", scan=scan, **check.decision_fields())
    findings: list[Finding] = sorted_findings(c.finding for c in checks if c.finding is not None)
    summary = summarise(
        findings,
        resources_scanned=resources_scanned,
        resources_excluded=resources_excluded,
        fail_on=payload.get("fail_on", DEFAULT_FAIL_ON),
        currency=currency,
        with_savings=currency is not None,
    )
    ctx.trace.decision(
        "verdict",
        scan=scan,
        fail_on=summary.fail_on,
        findings=summary.findings,
        failing_findings=summary.failing_findings,
        passed=summary.passed,
    )
    return {
        "scan": scan,
        "account": payload["account"],
        "scanned_at": ctx.now.isoformat(),
        "regions": sorted(payload.get("regions") or []),
        "findings": [finding.to_json() for finding in findings],
        "summary": summary.to_json(),
    }
