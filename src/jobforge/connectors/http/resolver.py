"""Resolving a host and checking every address it resolves to, in one step.

``AddressGuard.addresses`` is called once per new connection, and the connection is made
to the addresses it returned and to nothing else: the answer that was checked is the one
that is used, so a name whose DNS answer changes between a check and a connect (DNS
rebinding) never reaches the second answer.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import ip_address

from jobforge.connectors.http.address_policy import (
    CLOUD_METADATA,
    AddressPolicy,
    IPAddress,
    Refusal,
)
from jobforge.connectors.http.errors import AddressRefused, RequestRefused
from jobforge.connectors.http.hosts import parse_host
from jobforge.errors import ConnectorFailure

# (host name, port) -> the addresses it resolves to, in the order to try them. A name
# it cannot resolve is a ConnectorFailure("network_error") (or any exception to fail on).
Resolver = Callable[[str, int], Iterable[str | IPAddress]]


def system_resolver(name: str, port: int) -> list[str]:
    """The operating system's answer (``getaddrinfo``): hosts file, DNS, and the rest."""
    try:
        answers = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectorFailure(
            "network_error", f"host {name!r} could not be resolved: {exc.strerror}"
        ) from None
    return [str(sockaddr[0]) for _family, _type, _proto, _name, sockaddr in answers]


@dataclass(frozen=True, slots=True)
class AddressGuard:
    """Turns a URL's host into the checked addresses to connect to, or refuses it."""

    policy: AddressPolicy = field(default_factory=AddressPolicy)
    resolver: Resolver = system_resolver

    def addresses(self, raw_host: str, port: int) -> tuple[IPAddress, ...]:
        """Every address ``raw_host`` stands for, each allowed; else AddressRefused."""
        host = parse_host(raw_host)
        if not isinstance(host, str):
            answers: tuple[IPAddress, ...] = (host,)
        else:
            refusal = self.policy.name_refusal(host)
            if refusal is not None:
                raise AddressRefused(
                    f"refused host {host!r} before resolving it: {refusal.describe()}"
                    f"{_hint(refusal)}",
                    host=host,
                    address="",
                    rule=refusal.rule,
                )
            answers = self._resolve(host, port)
        for address in answers:
            refusal = self.policy.refusal(host, address)
            if refusal is not None:
                raise _refused(host, address, refusal)
        return answers

    def _resolve(self, name: str, port: int) -> tuple[IPAddress, ...]:
        answers: dict[IPAddress, None] = {}
        for answer in self.resolver(name, port):
            try:
                answers[ip_address(answer)] = None
            except ValueError:
                raise RequestRefused(
                    f"resolving host {name!r} gave {answer!r}, which is not an IP address"
                ) from None
        if not answers:
            raise ConnectorFailure("network_error", f"host {name!r} resolved to no address")
        return tuple(answers)


def _refused(host: str | IPAddress, address: IPAddress, refusal: Refusal) -> AddressRefused:
    if isinstance(host, str):
        where = f"host {host!r}, which resolved to {address}"
    else:
        where = f"address {address}"
    return AddressRefused(
        f"refused to connect to {where}: {refusal.describe()}{_hint(refusal)}",
        host=str(host),
        address=str(address),
        rule=refusal.rule,
    )


ALLOW_HINT = "an operator may allow it with allowed_hosts or allowed_networks"


def _hint(refusal: Refusal) -> str:
    if refusal.rule == CLOUD_METADATA:
        return " (never allowed)"
    return f" ({ALLOW_HINT})"
