"""The address rules: every family of address outside the public internet is refused, in
every IPv6 form that reaches it, and the verdict agrees with the stdlib's classification."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.connectors.http.address_policy import (
    IPV4_RULES,
    IPV6_RULES,
    AddressPolicy,
    IPAddress,
    address_refusal,
)
from jobforge.errors import ConfigurationError

# address -> the rule that must refuse it
REFUSED = {
    # loopback
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "::1": "loopback",
    # private: RFC 1918, CGNAT, unique-local
    "10.0.0.1": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "100.64.0.1": "shared-address-space",
    "100.127.255.254": "shared-address-space",
    "fc00::1": "unique-local",
    "fd12:3456::1": "unique-local",
    # link-local
    "169.254.0.1": "link-local",
    "fe80::1": "link-local",
    "febf::1": "link-local",
    # multicast
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    # reserved, unspecified, broadcast
    "240.0.0.1": "reserved",
    "255.255.255.255": "broadcast",
    "0.0.0.0": "unspecified",
    "0.1.2.3": "unspecified",
    "::": "unspecified",
    "::ffff:0:0:1": "reserved",  # IPv4-translated
    "100::1": "discard-only",
    "fec0::1": "site-local",
    "4000::1": "reserved",
    # documentation and benchmarking
    "192.0.2.1": "documentation",
    "198.51.100.7": "documentation",
    "203.0.113.9": "documentation",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation",
    "198.18.0.1": "benchmarking",
    "192.0.0.9": "ietf-protocol-assignments",
    # cloud metadata
    "169.254.169.254": "cloud-metadata",
    "169.254.170.2": "cloud-metadata",
    "100.100.100.200": "cloud-metadata",
    "168.63.129.16": "cloud-metadata",
    "fd00:ec2::254": "cloud-metadata",
    # IPv6 forms carrying a forbidden IPv4 address, judged by that address
    "::ffff:10.0.0.1": "private",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "cloud-metadata",
    "64:ff9b::10.0.0.1": "private",
    "64:ff9b::169.254.169.254": "cloud-metadata",
    "2002:0a00:0001::1": "private",  # 6to4 of 10.0.0.1
    "2002:7f00:0001::": "loopback",  # 6to4 of 127.0.0.1
    # forms refused whole
    "::10.0.0.1": "ipv4-compatible",
    "::8.8.8.8": "ipv4-compatible",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "teredo",
    "64:ff9b:1::10.0.0.1": "nat64-local-use",
}

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.32.0.1",  # just past 172.16.0.0/12
    "100.128.0.1",  # just past 100.64.0.0/10
    "2606:4700:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:0808:0808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("text", "rule"), sorted(REFUSED.items()))
def test_each_family_is_refused_by_its_rule(text: str, rule: str) -> None:
    refusal = address_refusal(ip_address(text))
    assert refusal is not None
    assert refusal.rule == rule


@pytest.mark.parametrize("text", ALLOWED)
def test_public_addresses_are_allowed(text: str) -> None:
    assert address_refusal(ip_address(text)) is None


def test_a_carried_address_is_named_in_the_reason() -> None:
    refusal = address_refusal(ip_address("::ffff:10.0.0.1"))
    assert refusal is not None
    assert refusal.describe() == (
        "the IPv4-mapped form of 10.0.0.1; rule private (10.0.0.0/8: RFC 1918)"
    )
    teredo = address_refusal(ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2"))
    assert teredo is not None
    assert "client 192.0.2.45 via server 65.54.227.120" in teredo.describe()


def test_allowed_networks_and_hosts_exempt_all_but_cloud_metadata() -> None:
    policy = AddressPolicy.allowing(hosts=["Api.Internal.", "localhost"], networks=["10.0.0.0/8"])
    assert policy.allowed_hosts == frozenset({"api.internal", "localhost"})
    private = ip_address("10.1.2.3")
    assert policy.refusal("anything.example", private) is None
    assert policy.refusal("anything.example", ip_address("::ffff:10.1.2.3")) is None
    assert policy.refusal("api.internal", ip_address("192.168.0.1")) is None
    refused = policy.refusal("anything.example", ip_address("192.168.0.1"))
    assert refused is not None
    assert refused.rule == "private"
    assert policy.name_refusal("localhost") is None
    assert policy.name_refusal("db.localhost") is not None
    everything = AddressPolicy.allowing(hosts=["api.internal"], networks=["0.0.0.0/0", "::/0"])
    for metadata in ("169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254"):
        refusal = everything.refusal("api.internal", ip_address(metadata))
        assert refusal is not None
        assert refusal.rule == "cloud-metadata"


@pytest.mark.parametrize(
    ("hosts", "networks", "message"),
    [
        (["metadata.google.internal"], [], "cloud metadata host name"),
        (["http://api.example"], [], "expected a host name"),
        (["10.0.0.1:80"], [], "expected a host name"),
        ([], ["10.0.0.1/8"], "expected a network"),
        ([], ["example.com"], "expected a network"),
    ],
)
def test_malformed_allowances_are_configuration_errors(
    hosts: list[str], networks: list[str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        AddressPolicy.allowing(hosts=hosts, networks=networks)


# --- the verdict against an independent classification by the stdlib -------------------

NAT64 = IPv6Network("64:ff9b::/96")
# Where JobForge refuses more than the stdlib (of some Python versions) does: all of
# 192.0.0.0/24 and 2001::/23 (IANA lists them as not globally reachable, with a few
# anycast exceptions no connector needs), RFC 9637's documentation prefix, and the cloud
# metadata addresses that are public addresses.
STRICTER_THAN_STDLIB = [
    ip_network(text) for text in ("192.0.0.0/24", "2001::/23", "3fff::/20", "168.63.129.16/32")
]


def judged_address(address: IPAddress) -> IPAddress:
    """The address the verdict is about: the IPv4 address an IPv6 form carries, if any."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in NAT64:
            return IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


def stdlib_refuses(address: IPAddress) -> bool:
    judged = judged_address(address)
    return (
        not judged.is_global
        or judged.is_private
        or judged.is_multicast
        or judged.is_reserved
        or judged.is_loopback
        or judged.is_link_local
        or judged.is_unspecified
        or (isinstance(judged, IPv6Address) and judged.is_site_local)
    )


def addresses_in(networks: list[IPv4Network | IPv6Network]) -> st.SearchStrategy[IPAddress]:
    return st.sampled_from(networks).flatmap(lambda network: st.ip_addresses(network=network))


SPECIAL_V4 = [rule.network for rule in IPV4_RULES if isinstance(rule.network, IPv4Network)]
SPECIAL_V6 = [rule.network for rule in IPV6_RULES if isinstance(rule.network, IPv6Network)]
ipv4_addresses = st.one_of(st.ip_addresses(v=4), addresses_in(SPECIAL_V4))
low_80_bits = st.integers(min_value=0, max_value=2**80 - 1)
ipv6_addresses = st.one_of(
    st.ip_addresses(v=6),
    addresses_in(SPECIAL_V6),
    ipv4_addresses.map(lambda v4: IPv6Address(0xFFFF << 32 | int(v4))),  # IPv4-mapped
    ipv4_addresses.map(lambda v4: IPv6Address(int(NAT64.network_address) | int(v4))),
    st.builds(
        lambda v4, low: IPv6Address(0x2002 << 112 | int(v4) << 80 | low),
        ipv4_addresses,
        low_80_bits,
    ),
    ipv4_addresses.map(lambda v4: IPv6Address(int(v4))),  # IPv4-compatible
)


@given(st.one_of(ipv4_addresses, ipv6_addresses))
def test_the_verdict_matches_the_stdlibs_on_the_judged_address(address: IPAddress) -> None:
    refused = address_refusal(address) is not None
    judged = judged_address(address)
    if any(
        judged in network for network in STRICTER_THAN_STDLIB if network.version == judged.version
    ):
        assert refused, f"{address} must be refused"
    else:
        assert refused == stdlib_refuses(address), f"{address} (judged as {judged})"
