"""The guard resolves a host through a resolver hook and checks every answer: a name is
refused when any address it resolves to is refused. No test here touches the network."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import ip_address

import pytest

from jobforge.connectors.http.address_policy import AddressPolicy
from jobforge.connectors.http.errors import AddressRefused, RequestRefused
from jobforge.connectors.http.resolver import AddressGuard, system_resolver
from jobforge.errors import ConnectorFailure, NonRetryableError


class StubResolver:
    """Answers names from a table and remembers every question."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.questions: list[tuple[str, int]] = []

    def __call__(self, name: str, port: int) -> Iterable[str]:
        self.questions.append((name, port))
        return self.answers.get(name, [])


def guard_for(
    answers: dict[str, list[str]], **allowances: list[str]
) -> tuple[AddressGuard, StubResolver]:
    resolver = StubResolver(answers)
    policy = AddressPolicy.allowing(
        hosts=allowances.get("hosts", []), networks=allowances.get("networks", [])
    )
    return AddressGuard(policy, resolver), resolver


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("100.64.1.1", "shared-address-space"),
        ("fd00::1", "unique-local"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("192.0.2.10", "documentation"),
        ("169.254.169.254", "cloud-metadata"),
        ("100.100.100.200", "cloud-metadata"),
        ("fd00:ec2::254", "cloud-metadata"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "cloud-metadata"),
        ("::10.0.0.1", "ipv4-compatible"),
        ("2002:c0a8:0101::1", "private"),
        ("64:ff9b::7f00:1", "loopback"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"),
    ],
)
def test_every_family_is_refused_when_a_name_resolves_to_it(answer: str, rule: str) -> None:
    guard, _ = guard_for({"api.example": [answer]})
    with pytest.raises(AddressRefused) as refused:
        guard.addresses("api.example", 443)
    error = refused.value
    assert isinstance(error, NonRetryableError)
    assert (error.host, error.address, error.rule) == ("api.example", str(ip_address(answer)), rule)
    assert "'api.example'" in str(error)
    assert str(ip_address(answer)) in str(error)
    assert f"rule {rule}" in str(error)


def test_one_refused_answer_among_public_ones_refuses_the_name() -> None:
    guard, _ = guard_for({"api.example": ["8.8.8.8", "2606:4700::1111", "10.9.8.7"]})
    with pytest.raises(AddressRefused, match=r"which resolved to 10\.9\.8\.7: rule private"):
        guard.addresses("api.example", 443)


def test_public_answers_come_back_in_order_without_duplicates() -> None:
    guard, resolver = guard_for({"api.example": ["8.8.8.8", "2606:4700::1111", "8.8.8.8"]})
    assert guard.addresses("API.example.", 8443) == (
        ip_address("8.8.8.8"),
        ip_address("2606:4700::1111"),
    )
    assert resolver.questions == [("api.example", 8443)]


@pytest.mark.parametrize(
    ("host", "rule"),
    [
        ("localhost", "loopback"),
        ("LOCALHOST.", "loopback"),
        ("db.localhost", "loopback"),
        ("metadata.google.internal", "cloud-metadata"),
        ("Metadata.Google.Internal.", "cloud-metadata"),
        ("metadata.goog", "cloud-metadata"),
        ("instance-data.ec2.internal", "cloud-metadata"),
    ],
)
def test_some_names_are_refused_without_resolving_them(host: str, rule: str) -> None:
    guard, resolver = guard_for({})
    with pytest.raises(AddressRefused, match="before resolving it") as refused:
        guard.addresses(host, 80)
    assert refused.value.rule == rule
    assert resolver.questions == []


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ],
)
def test_address_literals_in_any_spelling_are_checked_not_resolved(host: str, address: str) -> None:
    guard, resolver = guard_for({})
    with pytest.raises(AddressRefused) as refused:
        guard.addresses(host, 80)
    assert refused.value.address == address
    assert resolver.questions == []


def test_allowed_hosts_and_networks_reach_what_they_name_and_nothing_else() -> None:
    answers = {"api.internal": ["10.0.0.5"], "other.internal": ["10.0.0.6"], "cache": ["127.0.0.1"]}
    guard, _ = guard_for(answers, hosts=["api.internal"], networks=["127.0.0.1/32"])
    assert guard.addresses("api.internal", 80) == (ip_address("10.0.0.5"),)
    assert guard.addresses("cache", 80) == (ip_address("127.0.0.1"),)
    assert guard.addresses("127.0.0.1", 80) == (ip_address("127.0.0.1"),)
    with pytest.raises(AddressRefused, match=r"'other\.internal'"):
        guard.addresses("other.internal", 80)
    with pytest.raises(AddressRefused, match=r"127\.0\.0\.2"):
        guard.addresses("127.0.0.2", 80)


def test_an_allowed_host_resolving_to_cloud_metadata_is_still_refused() -> None:
    guard, _ = guard_for({"api.internal": ["169.254.169.254"]}, hosts=["api.internal"])
    with pytest.raises(AddressRefused, match="never allowed") as refused:
        guard.addresses("api.internal", 80)
    assert refused.value.rule == "cloud-metadata"


def test_a_resolver_answer_that_is_no_address_is_refused() -> None:
    guard, _ = guard_for({"api.example": ["0x7f.1"]})
    with pytest.raises(RequestRefused, match="not an IP address"):
        guard.addresses("api.example", 80)


def test_a_name_with_no_address_is_a_network_failure() -> None:
    guard, _ = guard_for({})
    with pytest.raises(ConnectorFailure, match="resolved to no address") as failed:
        guard.addresses("api.example", 80)
    assert failed.value.type == "network_error"


def test_the_system_resolver_answers_address_literals_without_a_lookup() -> None:
    assert set(system_resolver("127.0.0.1", 80)) == {"127.0.0.1"}
