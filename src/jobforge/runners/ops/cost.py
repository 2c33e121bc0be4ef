"""Cost rules: idle, oversized and unattached resources, and missing cost tags.

Each rule looks at one resource and says what it found and why. A resource's savings are
counted once: the first of unattached, idle and oversized that finds something claims
them (deleting an unattached volume saves its whole cost; resizing it saves nothing
more), and the later ones are skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from jobforge.runners.ops.findings import (
    Check,
    Finding,
    found,
    passed,
    skipped,
    to_cents,
)
from jobforge.runners.ops.inventory import Resource

UNATTACHED_RULE = "cost.unattached"
IDLE_RULE = "cost.idle"
OVERSIZED_RULE = "cost.oversized"
MISSING_TAGS_RULE = "cost.missing_tags"

DEFAULT_IDLE_AFTER_DAYS = 30
DEFAULT_TARGET_CPU_PERCENT = 40.0
DEFAULT_REQUIRED_TAGS = ("cost-center", "owner")
SECONDS_PER_DAY = 86_400
# Types that cost money while attached to nothing (a detached disk, a reserved address).
ATTACHABLE_TYPES = frozenset({"network.ip_address", "storage.volume"})
# Instance sizes, smallest first; one step down halves the capacity and the price, which
# holds for the size families of the major clouds from "large" upward.
SIZE_LADDER = (
    "nano", "micro", "small", "medium", "large", "xlarge",
    "2xlarge", "4xlarge", "8xlarge", "16xlarge", "32xlarge",
)  # fmt: skip
# Severity of a finding by the monthly savings it promises (in the inventory's currency).
HIGH_SAVINGS = Decimal(1000)
MEDIUM_SAVINGS = Decimal(100)


@dataclass(frozen=True, slots=True)
class CostOptions:
    """The payload's cost settings, with their defaults."""

    idle_after_days: int = DEFAULT_IDLE_AFTER_DAYS
    target_cpu_percent: float = DEFAULT_TARGET_CPU_PERCENT
    required_tags: tuple[str, ...] = DEFAULT_REQUIRED_TAGS
    currency: str = "USD"

    @classmethod
    def from_payload(cls, payload: dict[str, Any], currency: str) -> CostOptions:
        return cls(
            idle_after_days=int(payload.get("idle_after_days", DEFAULT_IDLE_AFTER_DAYS)),
            target_cpu_percent=float(
                payload.get("rightsize_target_cpu_percent", DEFAULT_TARGET_CPU_PERCENT)
            ),
            required_tags=tuple(sorted(payload.get("required_tags", DEFAULT_REQUIRED_TAGS))),
            currency=currency,
        )


def savings_severity(savings: Decimal | None) -> str:
    """high from 1000 a month, medium from 100, low below; info when it saves nothing;
    low when the cost is not reported (the saving is real but cannot be sized)."""
    if savings is None:
        return "low"
    if savings >= HIGH_SAVINGS:
        return "high"
    if savings >= MEDIUM_SAVINGS:
        return "medium"
    return "low" if savings > 0 else "info"


def _money(amount: Decimal | None, currency: str) -> str:
    return "an unreported amount" if amount is None else f"{to_cents(amount):.2f} {currency}"


def _cost_evidence(resource: Resource) -> Any:
    """The monthly cost as the inventory gave it (evidence shows what was judged)."""
    return resource.attributes.get("monthly_cost")


def _savings_finding(
    resource: Resource,
    rule_id: str,
    savings: Decimal | None,
    message: str,
    evidence: dict[str, Any],
) -> Finding:
    return Finding(
        severity=savings_severity(savings),
        rule_id=rule_id,
        resource_id=resource.id,
        message=message,
        evidence={"type": resource.type, "monthly_cost": _cost_evidence(resource), **evidence},
        # An unreported cost saves an unknown amount: it adds nothing to the total.
        savings=Decimal(0) if savings is None else to_cents(savings),
    )


def unattached(resource: Resource, options: CostOptions, now: datetime) -> Check:
    """A volume or address attached to nothing costs its whole price for nothing."""
    if resource.type not in ATTACHABLE_TYPES:
        return skipped(resource.id, UNATTACHED_RULE, f"type {resource.type} is not attachable")
    if not resource.attachment_reported:
        return skipped(resource.id, UNATTACHED_RULE, "attached_to is not reported")
    if resource.attached_to is not None:
        return passed(resource.id, UNATTACHED_RULE, f"attached to {resource.attached_to}")
    saving = _money(resource.monthly_cost, options.currency)
    return found(
        _savings_finding(
            resource,
            UNATTACHED_RULE,
            resource.monthly_cost,
            f"{resource.type} is attached to nothing; deleting it saves {saving} a month",
            {"attached_to": None},
        )
    )


def idle(resource: Resource, options: CostOptions, now: datetime) -> Check:
    """Unused for ``idle_after_days`` or longer (by ``last_used`` against the scan time)."""
    if resource.last_used is None:
        return skipped(resource.id, IDLE_RULE, "last_used is not reported")
    if resource.last_used > now:
        return passed(resource.id, IDLE_RULE, "last_used is after the scan time: in use")
    idle_days = int((now - resource.last_used).total_seconds() // SECONDS_PER_DAY)
    if idle_days < options.idle_after_days:
        return passed(
            resource.id,
            IDLE_RULE,
            f"last used {idle_days} day(s) ago, under idle_after_days {options.idle_after_days}",
        )
    saving = _money(resource.monthly_cost, options.currency)
    return found(
        _savings_finding(
            resource,
            IDLE_RULE,
            resource.monthly_cost,
            f"unused for {idle_days} days; stopping or deleting it saves {saving} a month",
            {
                "last_used": resource.attributes.get("last_used"),
                "idle_days": idle_days,
                "idle_after_days": options.idle_after_days,
            },
        )
    )


def rightsizing_steps(cpu_p95_percent: float, ladder_index: int, target_percent: float) -> int:
    """How many sizes down keep the p95 CPU (doubling per step) at or under the target."""
    steps = 0
    while steps < ladder_index and cpu_p95_percent * 2 ** (steps + 1) <= target_percent:
        steps += 1
    return steps


def oversized(resource: Resource, options: CostOptions, now: datetime) -> Check:
    """A resource whose p95 CPU would stay under the target a size (or more) smaller."""
    cpu = resource.cpu_p95_percent
    if cpu is None:
        return skipped(resource.id, OVERSIZED_RULE, "cpu_p95_percent is not reported")
    if resource.size is None:
        return skipped(resource.id, OVERSIZED_RULE, "size is not reported")
    if resource.size not in SIZE_LADDER:
        return skipped(resource.id, OVERSIZED_RULE, f"size {resource.size!r} is not on the ladder")
    index = SIZE_LADDER.index(resource.size)
    target = options.target_cpu_percent
    steps = rightsizing_steps(cpu, index, target)
    if steps == 0:
        reason = (
            "already the smallest size"
            if index == 0
            else f"p95 CPU {cpu:g}% would exceed {target:g}% one size down"
        )
        return passed(resource.id, OVERSIZED_RULE, reason)
    recommended = SIZE_LADDER[index - steps]
    savings = (
        None
        if resource.monthly_cost is None
        else resource.monthly_cost * (1 - Decimal(1) / Decimal(2**steps))
    )
    projected = cpu * 2**steps
    return found(
        _savings_finding(
            resource,
            OVERSIZED_RULE,
            savings,
            f"p95 CPU is {cpu:g}% on {resource.size}; {recommended} would run at {projected:g}% "
            f"and save {_money(savings, options.currency)} a month",
            {
                "size": resource.size,
                "recommended_size": recommended,
                "cpu_p95_percent": cpu,
                "projected_cpu_p95_percent": projected,
                "target_cpu_percent": target,
            },
        )
    )


def missing_tags(resource: Resource, options: CostOptions) -> Check:
    """Cost cannot be charged back without the required tags (empty values count as
    missing); this finding saves nothing by itself."""
    if not options.required_tags:
        return skipped(resource.id, MISSING_TAGS_RULE, "required_tags is empty")
    missing = [tag for tag in options.required_tags if not resource.tags.get(tag)]
    if not missing:
        return passed(resource.id, MISSING_TAGS_RULE, "every required tag is set")
    return found(
        Finding(
            severity="low",
            rule_id=MISSING_TAGS_RULE,
            resource_id=resource.id,
            message=f"cost tag(s) {', '.join(missing)} not set; its cost cannot be charged back",
            evidence={"missing": missing, "required": list(options.required_tags)},
            savings=Decimal(0),
        )
    )


SavingsRule = Callable[[Resource, CostOptions, datetime], Check]
SAVINGS_RULES: Sequence[tuple[str, SavingsRule]] = (
    (UNATTACHED_RULE, unattached),
    (IDLE_RULE, idle),
    (OVERSIZED_RULE, oversized),
)


def cost_checks(resource: Resource, options: CostOptions, now: datetime) -> list[Check]:
    """Every cost rule on ``resource``, in a fixed order."""
    checks: list[Check] = []
    claimed_by: str | None = None
    for rule_id, rule in SAVINGS_RULES:
        if claimed_by is not None:
            reason = f"its savings are already counted by {claimed_by}"
            checks.append(skipped(resource.id, rule_id, reason))
            continue
        check = rule(resource, options, now)
        if check.finding is not None:
            claimed_by = rule_id
        checks.append(check)
    checks.append(missing_tags(resource, options))
    return checks
