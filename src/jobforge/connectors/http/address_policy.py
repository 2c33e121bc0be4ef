"""Which addresses the HTTP connector may connect to: the public internet, and what the
operator allows by name or network.

The tables follow IANA's IPv4 and IPv6 special-purpose address registries. An IPv6 address
that carries an IPv4 address (IPv4-mapped, NAT64, 6to4) is judged by the IPv4 address it
reaches; forms that cannot be judged that way (IPv4-compatible, Teredo) are refused whole.
Cloud metadata services are refused even where the operator allows a network or host:
no connector has a reason to reach them, and they hand out credentials.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

from jobforge.errors import ConfigurationError

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

CLOUD_METADATA = "cloud-metadata"
IPV4_LOW_BITS = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an address (or name) is refused: the rule, the range it matched and a reason."""

    rule: str
    range: str
    reason: str
    # Set when an IPv6 form carries the refused IPv4 address: ("IPv4-mapped", 10.0.0.1).
    carrier: str | None = None
    embedded: IPv4Address | None = None

    def describe(self) -> str:
        text = f"rule {self.rule} ({self.range}: {self.reason})"
        if self.carrier is None:
            return text
        if self.embedded is None:
            return f"{self.carrier}; {text}"
        return f"the {self.carrier} form of {self.embedded}; {text}"


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    network: IPNetwork
    reason: str

    def refusal(self) -> Refusal:
        return Refusal(self.name, str(self.network), self.reason)


def _rules(*rows: tuple[str, str, str]) -> tuple[_Rule, ...]:
    return tuple(_Rule(name, ip_network(network), reason) for name, network, reason in rows)


# Checked in order: the first match names the refusal.
IPV4_RULES = _rules(
    (CLOUD_METADATA, "169.254.169.254/32", "instance metadata (AWS, GCP, Azure, OpenStack)"),
    (CLOUD_METADATA, "169.254.170.2/32", "AWS ECS task metadata and credentials"),
    (CLOUD_METADATA, "100.100.100.200/32", "Alibaba Cloud instance metadata"),
    (CLOUD_METADATA, "168.63.129.16/32", "Azure WireServer host agent"),
    ("broadcast", "255.255.255.255/32", "limited broadcast, RFC 919"),
    ("unspecified", "0.0.0.0/8", "'this network', RFC 1122"),
    ("loopback", "127.0.0.0/8", "RFC 1122"),
    ("private", "10.0.0.0/8", "RFC 1918"),
    ("private", "172.16.0.0/12", "RFC 1918"),
    ("private", "192.168.0.0/16", "RFC 1918"),
    ("shared-address-space", "100.64.0.0/10", "carrier-grade NAT, RFC 6598"),
    ("link-local", "169.254.0.0/16", "RFC 3927"),
    ("ietf-protocol-assignments", "192.0.0.0/24", "RFC 6890"),
    ("documentation", "192.0.2.0/24", "TEST-NET-1, RFC 5737"),
    ("documentation", "198.51.100.0/24", "TEST-NET-2, RFC 5737"),
    ("documentation", "203.0.113.0/24", "TEST-NET-3, RFC 5737"),
    ("benchmarking", "198.18.0.0/15", "RFC 2544"),
    ("multicast", "224.0.0.0/4", "RFC 5771"),
    ("reserved", "240.0.0.0/4", "RFC 1112"),
)

IPV6_RULES = _rules(
    (CLOUD_METADATA, "fd00:ec2::254/128", "AWS instance metadata over IPv6"),
    (CLOUD_METADATA, "fd20:ce::254/128", "GCP instance metadata over IPv6"),
    ("unspecified", "::/128", "RFC 4291"),
    ("loopback", "::1/128", "RFC 4291"),
    ("ipv4-compatible", "::/96", "deprecated IPv4-compatible addresses, RFC 4291"),
    ("nat64-local-use", "64:ff9b:1::/48", "local-use NAT64 prefix, RFC 8215"),
    ("reserved", "::/8", "reserved by the IETF, RFC 4291 (IPv4-translated included)"),
    ("discard-only", "100::/64", "RFC 6666"),
    ("teredo", "2001::/32", "Teredo tunnelling, RFC 4380"),
    ("benchmarking", "2001:2::/48", "RFC 5180"),
    ("ietf-protocol-assignments", "2001::/23", "RFC 2928"),
    ("documentation", "2001:db8::/32", "RFC 3849"),
    ("documentation", "3fff::/20", "RFC 9637"),
    ("unique-local", "fc00::/7", "RFC 4193"),
    ("link-local", "fe80::/10", "RFC 4291"),
    ("site-local", "fec0::/10", "deprecated, RFC 3879"),
    ("multicast", "ff00::/8", "RFC 4291"),
)
GLOBAL_UNICAST = IPv6Network("2000::/3")
OUTSIDE_GLOBAL_UNICAST = Refusal("reserved", "outside 2000::/3", "not global unicast, RFC 4291")

# IPv6 prefixes whose last 32 bits (or bits 16..47, for 6to4) are an IPv4 destination.
IPV4_MAPPED = IPv6Network("::ffff:0:0/96")
NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")
SIX_TO_FOUR = IPv6Network("2002::/16")

# Names refused before they are resolved (RFC 6761 for localhost; the cloud providers'
# documented metadata host names).
LOOPBACK_NAME = Refusal("loopback", "localhost", "loopback name, RFC 6761")
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
METADATA_NAME = Refusal(CLOUD_METADATA, "metadata host name", "cloud instance metadata")


def address_refusal(address: IPAddress) -> Refusal | None:
    """Why ``address`` is not on the public internet, or None when it is."""
    if isinstance(address, IPv4Address):
        return _first_match(IPV4_RULES, address)
    carried = _carried_ipv4(address)
    if carried is not None:
        carrier, embedded = carried
        inner = address_refusal(embedded)
        return None if inner is None else replace(inner, carrier=carrier, embedded=embedded)
    refusal = _first_match(IPV6_RULES, address)
    if refusal is None and address not in GLOBAL_UNICAST:
        return OUTSIDE_GLOBAL_UNICAST
    if refusal is not None and refusal.rule == "teredo":
        assert address.teredo is not None
        server, client = address.teredo
        return replace(refusal, carrier=f"Teredo address of client {client} via server {server}")
    return refusal


def name_refusal(name: str) -> Refusal | None:
    """Why the host name ``name`` (lower case, no trailing dot) is refused unresolved."""
    if name in METADATA_NAMES:
        return METADATA_NAME
    if name == "localhost" or name.endswith(".localhost"):
        return LOOPBACK_NAME
    return None


def _first_match(rules: tuple[_Rule, ...], address: IPAddress) -> Refusal | None:
    for rule in rules:
        if address in rule.network:
            return rule.refusal()
    return None


def _carried_ipv4(address: IPv6Address) -> tuple[str, IPv4Address] | None:
    if address in IPV4_MAPPED:
        return "IPv4-mapped", IPv4Address(int(address) & IPV4_LOW_BITS)
    if address in NAT64_WELL_KNOWN:
        return "NAT64", IPv4Address(int(address) & IPV4_LOW_BITS)
    if address in SIX_TO_FOUR:
        assert address.sixtofour is not None
        return "6to4", address.sixtofour
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """The address rules, with the operator's exemptions.

    ``allowed_hosts``: names (lower case, no trailing dot) whose addresses are not
    checked. ``allowed_networks``: networks whose addresses are not checked. Neither
    exempts a cloud metadata address or name.
    """

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def allowing(
        cls, hosts: Iterable[str] = (), networks: Iterable[str | IPNetwork] = ()
    ) -> AddressPolicy:
        """A policy from an operator's settings; a malformed entry is a ConfigurationError."""
        names = frozenset(_allowed_name(host) for host in hosts)
        return cls(names, tuple(_allowed_network(network) for network in networks))

    def refusal(self, host: str | IPAddress, address: IPAddress) -> Refusal | None:
        """Why connecting to ``address`` for ``host`` is refused, or None when it may."""
        refusal = address_refusal(address)
        if refusal is None or refusal.rule == CLOUD_METADATA:
            return refusal
        if isinstance(host, str) and host in self.allowed_hosts:
            return None
        if any(_within(address, network) for network in self.allowed_networks):
            return None
        return refusal

    def name_refusal(self, name: str) -> Refusal | None:
        """Why the name ``name`` is refused before resolution, or None."""
        refusal = name_refusal(name)
        if refusal is None or refusal.rule == CLOUD_METADATA or name not in self.allowed_hosts:
            return refusal
        return None


def _within(address: IPAddress, network: IPNetwork) -> bool:
    if address.version == network.version:
        return address in network
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped in network
    return False


def _allowed_name(host: str) -> str:
    name = host.strip().lower().removesuffix(".")
    try:
        # URLs reach the guard IDNA-encoded (httpx does it): allow names in the same form.
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        name = ""
    if not name or any(character in name for character in "/:@ [") or "%" in name:
        raise ConfigurationError(
            f"allowed_hosts: expected a host name such as 'api.internal.example', got {host!r}"
            " (allow addresses with allowed_networks)"
        )
    if name in METADATA_NAMES:
        raise ConfigurationError(
            f"allowed_hosts: {host!r} is a cloud metadata host name, which is never allowed"
        )
    return name


def _allowed_network(network: str | IPNetwork) -> IPNetwork:
    if isinstance(network, IPv4Network | IPv6Network):
        return network
    try:
        return ip_network(network.strip())
    except ValueError as exc:
        raise ConfigurationError(
            f"allowed_networks: expected a network such as '127.0.0.0/8' or '::1/128', "
            f"got {network!r} ({exc})"
        ) from None
