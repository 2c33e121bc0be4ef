"""Reading the host of a URL the way the network stack would.

``socket.getaddrinfo`` (through ``inet_aton``) accepts IPv4 addresses spelled in decimal,
octal and hexadecimal, with one to four parts: ``2130706433``, ``0x7f.1`` and
``017700000001`` are all 127.0.0.1. A host that ends in a number is therefore read as an
IPv4 address with the WHATWG URL standard's IPv4 parser (the same forms), never passed on
as a name; one that is not a valid address in any of these forms is refused.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address

from jobforge.connectors.http.errors import RequestRefused

Host = IPv4Address | IPv6Address | str

IPV4_PARTS = 4
BYTE_VALUES = 256
MAX_NAME_CHARACTERS = 253
# After IDNA encoding (httpx does it), a label is letters, digits, '-' and '_'.
NAME_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
DECIMAL = frozenset("0123456789")
HEXADECIMAL = frozenset("0123456789abcdef")
OCTAL = frozenset("01234567")


def parse_host(raw_host: str) -> Host:
    """The address or the normalised name (lower case, no trailing dot) in ``raw_host``."""
    host = raw_host.lower()
    if ":" in host:
        return _ipv6_literal(raw_host)
    if host.endswith("."):
        host = host[:-1]
    labels = host.split(".")
    if _is_number(labels[-1]):
        address = ipv4_from_spelling(host)
        if address is None:
            raise RequestRefused(
                f"host {raw_host!r} ends in a number but is not an IPv4 address in any "
                "spelling (dotted, decimal, octal or hexadecimal parts); refusing it"
            )
        return address
    if len(host) > MAX_NAME_CHARACTERS or not all(NAME_LABEL.fullmatch(x) for x in labels):
        raise RequestRefused(
            f"host {raw_host!r} is not a valid host name (expected labels of letters, digits, "
            "'-' and '_' separated by dots)"
        )
    return host


def ipv4_from_spelling(host: str) -> IPv4Address | None:
    """The IPv4 address ``host`` spells in any form ``inet_aton`` accepts, or None."""
    parts = host.lower().split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not 1 <= len(parts) <= IPV4_PARTS:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [number for number in numbers if number is not None]
    *leading, last = values
    if any(value >= BYTE_VALUES for value in leading):
        return None
    if last >= BYTE_VALUES ** (IPV4_PARTS + 1 - len(values)):
        return None
    value = last
    for index, part in enumerate(leading):
        value += part * BYTE_VALUES ** (IPV4_PARTS - 1 - index)
    return IPv4Address(value)


def _is_number(label: str) -> bool:
    """The WHATWG 'ends in a number' test for the last label."""
    if label and set(label) <= DECIMAL:
        return True
    return label[:2] == "0x" and set(label[2:]) <= HEXADECIMAL


def _ipv4_number(part: str) -> int | None:
    digits, base = part, 10
    if part[:2] == "0x":
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    if not part:
        return None
    if not digits:
        return 0
    allowed = {10: DECIMAL, 16: HEXADECIMAL, 8: OCTAL}[base]
    return int(digits, base) if set(digits) <= allowed else None


def _ipv6_literal(raw_host: str) -> IPv6Address:
    if "%" in raw_host:
        raise RequestRefused(f"host [{raw_host}]: IPv6 zone identifiers are not allowed")
    try:
        return IPv6Address(raw_host)
    except ValueError:
        raise RequestRefused(f"host [{raw_host}] is not a valid IPv6 address") from None
