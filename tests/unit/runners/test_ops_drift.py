"""Drift from the declared inventory: missing, unexpected, changed, declared twice."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.runners.ops.drift import (
    CHANGED_RULE,
    DUPLICATE_RULE,
    MISSING_RULE,
    UNEXPECTED_RULE,
    DriftOptions,
    drift_checks,
    same_value,
)
from jobforge.runners.ops.findings import Check
from jobforge.runners.ops.inventory import Resource, parse_resource


def inventory(*items: dict[str, Any]) -> list[Resource]:
    return [parse_resource({"type": "compute.instance", **item}, "test") for item in items]


def findings(checks: list[Check]) -> list[tuple[str, str, str, str]]:
    return [
        (c.resource_id, c.rule_id, c.finding.severity, c.finding.message)
        for c in checks
        if c.finding is not None
    ]


@pytest.mark.parametrize(
    ("declared", "actual", "same"),
    [
        (1, 1.0, True),
        (True, 1, False),
        (False, 0, False),
        (True, True, True),
        ("1", 1, False),
        (None, None, True),
        ({"a": [1, 2]}, {"a": [1.0, 2]}, True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [2, 1], False),
        ([True], [1], False),
    ],
)
def test_same_value(declared: Any, actual: Any, same: bool) -> None:
    assert same_value(declared, actual) is same


def test_missing_unexpected_and_matching_resources() -> None:
    result = drift_checks(
        [{"id": "a", "type": "compute.instance"}, {"id": "gone", "type": "storage.volume"}],
        inventory({"id": "a"}, {"id": "new"}),
        DriftOptions(),
    )
    assert findings(result.checks) == [
        ("gone", MISSING_RULE, "high", "declared storage.volume is not in the inventory"),
        ("new", UNEXPECTED_RULE, "medium", "compute.instance is in the inventory but not declared"),
    ]
    assert [(c.resource_id, c.outcome) for c in result.checks if c.rule_id == CHANGED_RULE] == [
        ("a", "passed")
    ]
    assert result.resources_scanned == 2


@pytest.mark.parametrize(
    ("attribute", "declared", "actual", "severity"),
    [
        ("public", False, True, "high"),
        ("encrypted", True, False, "high"),
        ("tls_min_version", "1.2", "1.0", "high"),
        ("size", "large", "xlarge", "medium"),
        ("region", "eu", "us", "medium"),
        ("attached_to", "vm-1", None, "medium"),
        ("instance_profile", "web", "admin", "low"),
    ],
)
def test_a_changed_attribute_is_as_severe_as_what_it_controls(
    attribute: str, declared: Any, actual: Any, severity: str
) -> None:
    result = drift_checks(
        [{"id": "a", attribute: declared}],
        inventory({"id": "a", attribute: actual}),
        DriftOptions(),
    )
    [(_, rule_id, got, _message)] = findings(result.checks)
    assert (rule_id, got) == (CHANGED_RULE, severity)


def test_a_declared_tag_must_match_and_other_tags_may_exist() -> None:
    actual = inventory({"id": "a", "tags": {"owner": "web", "env": "prod", "extra": "x"}})
    result = drift_checks(
        [{"id": "a", "tags": {"owner": "api", "env": "prod"}}], actual, DriftOptions()
    )
    assert findings(result.checks) == [
        ("a", CHANGED_RULE, "low", 'tags.owner is "web", declared "api"')
    ]


def test_open_ports_compare_as_sets() -> None:
    actual = inventory({"id": "a", "open_ports": [443, 80, 443]})
    same = drift_checks([{"id": "a", "open_ports": [80, 443]}], actual, DriftOptions())
    assert findings(same.checks) == []
    more = drift_checks([{"id": "a", "open_ports": [443]}], actual, DriftOptions())
    assert findings(more.checks) == [
        ("a", CHANGED_RULE, "high", "open_ports is [80, 443], declared [443]")
    ]


def test_an_unreported_attribute_is_drift_not_a_match() -> None:
    result = drift_checks([{"id": "a", "encrypted": True}], inventory({"id": "a"}), DriftOptions())
    [check] = [c for c in result.checks if c.finding]
    assert check.finding is not None
    assert check.finding.evidence == {
        "attribute": "encrypted",
        "declared": True,
        "actual": None,
        "reported": False,
    }
    null_reported = drift_checks(
        [{"id": "a", "attached_to": None}],
        inventory({"id": "a", "attached_to": None}),
        DriftOptions(),
    )
    assert findings(null_reported.checks) == []


def test_ignored_attributes_and_tags_are_skipped_in_the_trace() -> None:
    declared = [{"id": "a", "size": "large", "tags": {"env": "prod", "owner": "x"}}]
    actual = inventory({"id": "a", "size": "xlarge", "tags": {"env": "dev", "owner": "y"}})
    one_tag = drift_checks(
        declared, actual, DriftOptions(ignore_attributes=frozenset({"size", "tags.env"}))
    )
    assert [c.finding.message for c in one_tag.checks if c.finding] == [
        'tags.owner is "y", declared "x"'
    ]
    assert [c.reason for c in one_tag.checks if c.outcome == "skipped"] == [
        "size: in ignore_attributes",
        "tags.env: in ignore_attributes",
    ]
    all_tags = drift_checks(
        declared, actual, DriftOptions(ignore_attributes=frozenset({"tags", "size"}))
    )
    assert findings(all_tags.checks) == []


def test_a_resource_declared_twice_is_reported_once_and_not_compared() -> None:
    result = drift_checks(
        [{"id": "a", "size": "large"}, {"id": "a", "size": "small"}],
        inventory({"id": "a", "size": "xlarge"}),
        DriftOptions(),
    )
    assert findings(result.checks) == [
        ("a", DUPLICATE_RULE, "medium", "declared 2 times; declare it once to compare it")
    ]


def test_region_scope_uses_the_declared_and_the_actual_region() -> None:
    options = DriftOptions(regions=frozenset({"eu"}))
    result = drift_checks(
        [{"id": "moved", "region": "eu"}, {"id": "us-only", "region": "us"}, {"id": "nowhere"}],
        inventory(
            {"id": "moved", "region": "us"},
            {"id": "us-only", "region": "us"},
            {"id": "came-in", "region": "eu"},
        ),
        options,
    )
    assert findings(result.checks) == [
        (
            "came-in",
            UNEXPECTED_RULE,
            "medium",
            "compute.instance is in the inventory but not declared",
        ),
        ("moved", CHANGED_RULE, "medium", 'region is "us", declared "eu"'),
    ]
    assert result.excluded == [
        ("nowhere", "no region outside the scan's regions ['eu']"),
        ("us-only", "region(s) ['us'] outside the scan's regions ['eu']"),
    ]
    assert result.resources_scanned == 2


def test_ignored_resources_and_unexpected_ones_when_not_reported() -> None:
    options = DriftOptions(ignored=frozenset({"a"}), report_unexpected=False)
    result = drift_checks([{"id": "a", "size": "x"}], inventory({"id": "b"}, {"id": "a"}), options)
    assert findings(result.checks) == []
    assert result.excluded == [("a", "listed in ignore_resources")]
    assert [(c.resource_id, c.outcome) for c in result.checks] == [("b", "skipped")]
