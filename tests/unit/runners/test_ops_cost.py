"""The cost rules, one resource at a time: idle, oversized, unattached, missing tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from jobforge.runners.ops.cost import (
    IDLE_RULE,
    MISSING_TAGS_RULE,
    OVERSIZED_RULE,
    UNATTACHED_RULE,
    CostOptions,
    cost_checks,
    idle,
    missing_tags,
    oversized,
    rightsizing_steps,
    savings_severity,
    unattached,
)
from jobforge.runners.ops.inventory import Resource, parse_resource

NOW = datetime(2024, 6, 1, tzinfo=UTC)
OPTIONS = CostOptions()


def resource(**fields: Any) -> Resource:
    return parse_resource({"id": "r-1", "type": "compute.instance", **fields}, "test")


@pytest.mark.parametrize(
    ("savings", "severity"),
    [
        (None, "low"),
        (Decimal(0), "info"),
        (Decimal("0.01"), "low"),
        (Decimal("99.99"), "low"),
        (Decimal(100), "medium"),
        (Decimal("999.99"), "medium"),
        (Decimal(1000), "high"),
    ],
)
def test_savings_set_the_severity(savings: Decimal | None, severity: str) -> None:
    assert savings_severity(savings) == severity


def test_idle_from_exactly_idle_after_days() -> None:
    on_the_day = resource(last_used=(NOW - timedelta(days=30)).isoformat(), monthly_cost=50)
    check = idle(on_the_day, OPTIONS, NOW)
    assert check.outcome == "finding"
    assert check.finding is not None
    assert check.finding.savings == Decimal("50.00")
    assert check.finding.evidence["idle_days"] == 30
    a_second_short = resource(
        last_used=(NOW - timedelta(days=30) + timedelta(seconds=1)).isoformat()
    )
    assert idle(a_second_short, OPTIONS, NOW).outcome == "passed"


def test_idle_treats_a_future_last_use_as_in_use_and_an_unreported_one_as_unknown() -> None:
    future = resource(last_used=(NOW + timedelta(hours=1)).isoformat())
    assert idle(future, OPTIONS, NOW).outcome == "passed"
    assert idle(resource(), OPTIONS, NOW).outcome == "skipped"


def test_idle_compares_instants_not_wall_clocks() -> None:
    # 2024-05-02T01:00+02:00 is 2024-05-01T23:00Z: 30 days and one hour before NOW.
    shifted = resource(last_used="2024-05-02T01:00:00+02:00", monthly_cost=10)
    assert idle(shifted, OPTIONS, NOW).outcome == "finding"


@pytest.mark.parametrize(
    ("cpu", "index", "target", "steps"),
    [
        (8.0, 6, 40.0, 2),  # 16, 32 fit; 64 does not
        (20.0, 6, 40.0, 1),  # 40 fits exactly
        (20.1, 6, 40.0, 0),
        (0.0, 6, 40.0, 6),  # all the way down the ladder
        (0.0, 0, 40.0, 0),  # already the smallest
        (1.0, 2, 100.0, 2),
    ],
)
def test_rightsizing_steps(cpu: float, index: int, target: float, steps: int) -> None:
    assert rightsizing_steps(cpu, index, target) == steps


def test_oversized_saves_the_halved_price_per_step_in_cents() -> None:
    three_steps_down = resource(size="8xlarge", cpu_p95_percent=4, monthly_cost=100.01)
    check = oversized(three_steps_down, OPTIONS, NOW)
    assert check.finding is not None
    # 100.01 * (1 - 1/8) = 87.50875, rounded half up to cents.
    assert check.finding.savings == Decimal("87.51")
    assert check.finding.evidence["recommended_size"] == "xlarge"
    assert check.finding.evidence["projected_cpu_p95_percent"] == 32.0


@pytest.mark.parametrize(
    ("fields", "outcome", "reason"),
    [
        ({"size": "large"}, "skipped", "cpu_p95_percent is not reported"),
        ({"cpu_p95_percent": 1}, "skipped", "size is not reported"),
        ({"size": "n2-custom", "cpu_p95_percent": 1}, "skipped", "not on the ladder"),
        ({"size": "nano", "cpu_p95_percent": 1}, "passed", "already the smallest size"),
        ({"size": "large", "cpu_p95_percent": 30}, "passed", "would exceed 40% one size down"),
    ],
)
def test_oversized_says_why_it_does_not_apply(
    fields: dict[str, Any], outcome: str, reason: str
) -> None:
    check = oversized(resource(**fields), OPTIONS, NOW)
    assert (check.outcome, check.rule_id) == (outcome, OVERSIZED_RULE)
    assert reason in check.reason


def test_oversized_without_a_price_still_reports_with_no_savings_counted() -> None:
    check = oversized(resource(size="large", cpu_p95_percent=1), OPTIONS, NOW)
    assert check.finding is not None
    assert check.finding.severity == "low"
    assert check.finding.savings == Decimal(0)
    assert "an unreported amount" in check.finding.message


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"type": "storage.volume", "attached_to": None, "monthly_cost": 12.5}, "finding"),
        ({"type": "network.ip_address", "attached_to": None}, "finding"),
        ({"type": "storage.volume", "attached_to": "vm-1"}, "passed"),
        ({"type": "storage.volume"}, "skipped"),  # attachment not reported
        ({"type": "compute.instance", "attached_to": None}, "skipped"),  # not attachable
    ],
)
def test_unattached(fields: dict[str, Any], outcome: str) -> None:
    assert unattached(resource(**fields), OPTIONS, NOW).outcome == outcome


def test_a_resource_saves_its_cost_once() -> None:
    idle_detached_volume = resource(
        type="storage.volume",
        attached_to=None,
        monthly_cost=500,
        last_used="2020-01-01T00:00:00Z",
        size="xlarge",
        cpu_p95_percent=0,
        tags={"owner": "a", "cost-center": "b"},
    )
    checks = cost_checks(idle_detached_volume, OPTIONS, NOW)
    assert [(c.rule_id, c.outcome) for c in checks] == [
        (UNATTACHED_RULE, "finding"),
        (IDLE_RULE, "skipped"),
        (OVERSIZED_RULE, "skipped"),
        (MISSING_TAGS_RULE, "passed"),
    ]
    assert sum(c.finding.savings for c in checks if c.finding and c.finding.savings) == 500
    assert "already counted by cost.unattached" in checks[1].reason


def test_idle_claims_the_savings_before_oversized() -> None:
    both = resource(last_used="2020-01-01T00:00:00Z", size="xlarge", cpu_p95_percent=1)
    outcomes = [(c.rule_id, c.outcome) for c in cost_checks(both, OPTIONS, NOW)][1:3]
    assert outcomes == [(IDLE_RULE, "finding"), (OVERSIZED_RULE, "skipped")]


def test_missing_tags_counts_empty_values_as_missing() -> None:
    check = missing_tags(resource(tags={"owner": "", "cost-center": "cc-1"}), OPTIONS)
    assert check.finding is not None
    assert check.finding.evidence == {"missing": ["owner"], "required": ["cost-center", "owner"]}
    assert check.finding.savings == Decimal(0)
    assert check.finding.severity == "low"


def test_missing_tags_follows_the_payload() -> None:
    options = CostOptions.from_payload({"required_tags": ["team"]}, "USD")
    assert missing_tags(resource(tags={"team": "x"}), options).outcome == "passed"
    none_required = CostOptions.from_payload({"required_tags": []}, "USD")
    assert missing_tags(resource(), none_required).outcome == "skipped"


def test_options_default_when_the_payload_is_silent() -> None:
    options = CostOptions.from_payload({"account": "a"}, "EUR")
    assert options == CostOptions(currency="EUR")
