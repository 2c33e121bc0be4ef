"""The security rules, one resource at a time: exposure, encryption, admin ports, TLS."""

from __future__ import annotations

from typing import Any

import pytest

from jobforge.runners.ops.inventory import Resource, parse_resource
from jobforge.runners.ops.security import (
    SecurityOptions,
    open_admin_ports,
    parse_tls_version,
    public_exposure,
    security_checks,
    unencrypted_storage,
    weak_tls,
)

OPTIONS = SecurityOptions()


def resource(**fields: Any) -> Resource:
    return parse_resource({"id": "r-1", "type": "compute.instance", **fields}, "test")


def outcome(check: Any) -> tuple[str, str | None]:
    return check.outcome, check.finding.severity if check.finding else None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"type": "storage.bucket", "public": True}, ("finding", "critical")),
        ({"type": "database.instance", "public": True}, ("finding", "critical")),
        ({"type": "compute.instance", "public": True}, ("finding", "high")),
        ({"type": "compute.instance", "public": False}, ("passed", None)),
        ({"type": "compute.instance"}, ("skipped", None)),
        ({"type": "network.load_balancer", "public": True}, ("skipped", None)),
        ({"type": "cdn.distribution", "public": True}, ("skipped", None)),
    ],
)
def test_public_exposure(fields: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert outcome(public_exposure(resource(**fields), OPTIONS)) == expected


def test_allowed_public_passes_exposure_but_not_the_other_rules() -> None:
    options = SecurityOptions.from_payload({"allowed_public": ["r-1"]})
    website = resource(type="storage.bucket", public=True, encrypted=False)
    checks = security_checks(website, options)
    assert outcome(checks[0]) == ("passed", None)
    assert "allowed_public" in checks[0].reason
    assert outcome(checks[1]) == ("finding", "high")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"type": "storage.volume", "encrypted": True}, ("passed", None)),
        ({"type": "storage.volume", "encrypted": False}, ("finding", "high")),
        ({"type": "database.cluster"}, ("finding", "medium")),
        ({"type": "compute.instance", "encrypted": False}, ("skipped", None)),
    ],
)
def test_unencrypted_storage(fields: dict[str, Any], expected: tuple[str, str | None]) -> None:
    assert outcome(unencrypted_storage(resource(**fields), OPTIONS)) == expected


def test_an_admin_port_is_critical_on_a_public_resource_and_high_elsewhere() -> None:
    public = open_admin_ports(resource(public=True, open_ports=[443, 3389, 22]), OPTIONS)
    assert outcome(public) == ("finding", "critical")
    assert public.finding is not None
    assert public.finding.evidence["open_admin_ports"] == [22, 3389]
    assert "22 (ssh), 3389 (rdp)" in public.finding.message
    assert outcome(open_admin_ports(resource(open_ports=[22]), OPTIONS)) == ("finding", "high")
    assert outcome(open_admin_ports(resource(open_ports=[443]), OPTIONS)) == ("passed", None)
    assert outcome(open_admin_ports(resource(), OPTIONS)) == ("passed", None)


def test_the_payload_replaces_the_admin_ports() -> None:
    options = SecurityOptions.from_payload({"admin_ports": [8080]})
    check = open_admin_ports(resource(open_ports=[22, 8080]), options)
    assert check.finding is not None
    assert check.finding.evidence["open_admin_ports"] == [8080]


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("1.2", (1, 2)),
        ("TLSv1.3", (1, 3)),
        ("tls1.0", (1, 0)),
        (" TLS 1.1 ", (1, 1)),
        ("SSLv3", (0, 3)),
        ("ssl3.0", (0, 3)),
        ("modern", None),
        ("1", None),
        ("", None),
    ],
)
def test_parse_tls_version(text: str, version: tuple[int, int] | None) -> None:
    assert parse_tls_version(text) == version


@pytest.mark.parametrize(
    ("reported", "minimum", "expected"),
    [
        ("1.0", "1.2", ("finding", "high")),
        ("TLSv1.1", "1.2", ("finding", "high")),
        ("1.2", "1.2", ("passed", None)),
        ("1.3", "1.2", ("passed", None)),
        ("1.2", "1.3", ("finding", "high")),
        ("SSLv3", "1.0", ("finding", "critical")),
        ("whatever", "1.2", ("finding", "medium")),
    ],
)
def test_weak_tls(reported: str, minimum: str, expected: tuple[str, str | None]) -> None:
    options = SecurityOptions.from_payload({"minimum_tls_version": minimum})
    assert outcome(weak_tls(resource(tls_min_version=reported), options)) == expected


def test_weak_tls_skips_a_resource_without_tls() -> None:
    assert outcome(weak_tls(resource(), OPTIONS)) == ("skipped", None)


def test_every_rule_runs_once_per_resource_in_a_fixed_order() -> None:
    rule_ids = [check.rule_id for check in security_checks(resource(), OPTIONS)]
    assert rule_ids == [
        "security.public_exposure",
        "security.unencrypted_storage",
        "security.open_admin_port",
        "security.weak_tls",
    ]
