"""Findings of the inventory scans, their order, and the summary that judges a scan.

A finding names a resource, the rule it broke, a severity, a message and the evidence.
Findings are sorted by a total order (severity, resource, rule, message, evidence), so a
scan's output never depends on the order the inventory listed its resources in. Money is
kept as ``Decimal`` cents until the output is written, so totals do not depend on the
order of additions either.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Most severe first: the order findings are listed in, and the order of ``fail_on``.
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
DEFAULT_FAIL_ON = "high"
CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to whole cents, halves away from zero (as invoices round)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_json(amount: Decimal) -> float:
    """A cent amount as the JSON number the output carries (``12.5`` for 12.50)."""
    return float(to_cents(amount))


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule one resource broke. ``savings`` is set by cost rules only."""

    severity: str
    rule_id: str
    resource_id: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    savings: Decimal | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"severity: expected one of {SEVERITIES}, got {self.severity!r}")

    def sort_key(self) -> tuple[int, str, str, str, str]:
        evidence = json.dumps(self.evidence, sort_keys=True, separators=(",", ":"))
        return (
            SEVERITY_RANK[self.severity],
            self.resource_id,
            self.rule_id,
            self.message,
            evidence,
        )

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "severity": self.severity,
            "rule_id": self.rule_id,
            "resource_id": self.resource_id,
            "message": self.message,
            "evidence": self.evidence,
        }
        if self.savings is not None:
            shown["estimated_monthly_savings"] = money_json(self.savings)
        return shown


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` most severe first, then by resource, rule, message and evidence."""
    return sorted(findings, key=Finding.sort_key)


def at_or_above(severity: str, threshold: str) -> bool:
    """True when ``severity`` is as severe as ``threshold`` or more."""
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold]


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts by severity and rule, total savings, and the verdict against ``fail_on``."""

    resources_scanned: int
    resources_excluded: int
    findings: int
    by_severity: dict[str, int]
    by_rule: dict[str, int]
    fail_on: str
    failing_findings: int
    savings: Decimal | None
    currency: str | None

    @property
    def passed(self) -> bool:
        return self.failing_findings == 0

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "resources_scanned": self.resources_scanned,
            "resources_excluded": self.resources_excluded,
            "findings": self.findings,
            "by_severity": self.by_severity,
            "by_rule": self.by_rule,
            "fail_on": self.fail_on,
            "failing_findings": self.failing_findings,
            "passed": self.passed,
        }
        if self.savings is not None:
            shown["estimated_monthly_savings"] = money_json(self.savings)
            shown["currency"] = self.currency
        return shown


def summarise(
    findings: Sequence[Finding],
    *,
    resources_scanned: int,
    resources_excluded: int = 0,
    fail_on: str = DEFAULT_FAIL_ON,
    currency: str | None = None,
    with_savings: bool = False,
) -> Summary:
    """The summary of ``findings``; savings are totalled when ``with_savings``."""
    severities = Counter(finding.severity for finding in findings)
    rules = Counter(finding.rule_id for finding in findings)
    savings = (
        sum((to_cents(f.savings) for f in findings if f.savings is not None), Decimal(0))
        if with_savings
        else None
    )
    return Summary(
        resources_scanned=resources_scanned,
        resources_excluded=resources_excluded,
        findings=len(findings),
        by_severity={severity: severities[severity] for severity in SEVERITIES},
        by_rule=dict(sorted(rules.items())),
        fail_on=fail_on,
        failing_findings=sum(1 for f in findings if at_or_above(f.severity, fail_on)),
        savings=savings,
        currency=currency if with_savings else None,
    )


@dataclass(frozen=True, slots=True)
class Check:
    """One rule applied to one resource: what came of it and why (a trace decision)."""

    resource_id: str
    rule_id: str
    outcome: str  # "finding", "passed" or "skipped"
    reason: str
    finding: Finding | None = None

    def decision_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "resource_id": self.resource_id,
            "rule_id": self.rule_id,
            "outcome": self.outcome,
            "reason": self.reason,
        }
        if self.finding is not None:
            fields["severity"] = self.finding.severity
            if self.finding.savings is not None:
                fields["estimated_monthly_savings"] = money_json(self.finding.savings)
        return fields


def found(finding: Finding, reason: str | None = None) -> Check:
    """The check that produced ``finding``; its reason is the finding's message by default."""
    return Check(
        finding.resource_id, finding.rule_id, "finding", reason or finding.message, finding
    )


def passed(resource_id: str, rule_id: str, reason: str) -> Check:
    return Check(resource_id, rule_id, "passed", reason)


def skipped(resource_id: str, rule_id: str, reason: str) -> Check:
    return Check(resource_id, rule_id, "skipped", reason)
