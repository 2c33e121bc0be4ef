"""Hosts are read the way the network stack reads them: every IPv4 spelling that
``inet_aton`` accepts is an address, never a name to pass on."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.connectors.http.errors import RequestRefused
from jobforge.connectors.http.hosts import ipv4_from_spelling, parse_host


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),  # one decimal number
        ("0x7f.1", "127.0.0.1"),  # hexadecimal part, last part fills three bytes
        ("0X7F.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),  # octal
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("2852039166", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("127.0.0.1.", "127.0.0.1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_numeric_spellings_are_addresses(host: str, address: str) -> None:
    assert parse_host(host) == IPv4Address(address)


@pytest.mark.parametrize(
    "host",
    ["1.2.3.4.5", "256.0.0.1", "4294967296", "0x100000000", "08.0.0.1", "1.2.3.0x1ff", "a.b.123"],
)
def test_hosts_ending_in_a_number_that_are_no_address_are_refused(host: str) -> None:
    with pytest.raises(RequestRefused, match="ends in a number"):
        parse_host(host)


@pytest.mark.parametrize(
    "host", ["%31%32%37.example", "ex ample.com", "a..b", "-a.example", "a.example..", ""]
)
def test_malformed_names_are_refused(host: str) -> None:
    with pytest.raises(RequestRefused, match="not a valid host name"):
        parse_host(host)


def test_names_are_lower_cased_without_the_trailing_dot() -> None:
    assert parse_host("API.Example.COM.") == "api.example.com"
    assert parse_host("xn--bcher-kva.de") == "xn--bcher-kva.de"
    assert parse_host("1e100.net") == "1e100.net"


def test_ipv6_literals_are_addresses_and_zone_ids_are_refused() -> None:
    assert parse_host("::ffff:10.0.0.1") == IPv6Address("::ffff:a00:1")
    with pytest.raises(RequestRefused, match="zone identifiers"):
        parse_host("fe80::1%25eth0")
    with pytest.raises(RequestRefused, match="not a valid IPv6 address"):
        parse_host("::g")


@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda count: st.tuples(
            st.lists(st.integers(0, 255), min_size=count - 1, max_size=count - 1),
            st.integers(0, 256 ** (5 - count) - 1),
            st.lists(
                st.sampled_from(["{:d}", "0{:o}", "0x{:x}", "0X{:X}"]),
                min_size=count,
                max_size=count,
            ),
        )
    )
)
def test_every_spelling_means_what_inet_aton_says(
    spelled: tuple[list[int], int, list[str]],
) -> None:
    leading, last, formats = spelled
    parts = [fmt.format(value) for fmt, value in zip(formats, [*leading, last], strict=True)]
    host = ".".join(parts)
    expected = IPv4Address(socket.inet_aton(host))
    assert ipv4_from_spelling(host) == expected
    assert parse_host(host) == expected
