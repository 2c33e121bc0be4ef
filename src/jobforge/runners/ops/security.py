"""Security rules: public exposure, unencrypted storage, open admin ports and weak TLS.

Severity follows what an attacker gains: data reachable from the internet is critical,
a way in (an admin port open to any address, a weak TLS floor) is high, and what cannot be
confirmed (encryption the inventory does not report) is medium.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jobforge.runners.ops.findings import Check, Finding, found, passed, skipped
from jobforge.runners.ops.inventory import Resource

PUBLIC_RULE = "security.public_exposure"
ENCRYPTION_RULE = "security.unencrypted_storage"
ADMIN_PORT_RULE = "security.open_admin_port"
TLS_RULE = "security.weak_tls"

# Types whose whole purpose is to be reached from the internet.
PUBLIC_BY_DESIGN = frozenset({"cdn.distribution", "network.ip_address", "network.load_balancer"})
# Types that keep data at rest: exposing them leaks it, and they must be encrypted.
DATA_TYPE_PREFIXES = ("database.", "storage.")
# Ports that hand out a shell, a desktop or a container runtime, by name.
ADMIN_PORT_NAMES = {
    22: "ssh",
    23: "telnet",
    2375: "docker",
    2376: "docker-tls",
    3389: "rdp",
    5900: "vnc",
    5985: "winrm",
    5986: "winrm-https",
}
DEFAULT_MINIMUM_TLS = "1.2"
_TLS_VERSION = re.compile(r"(?:tls\s*v?)?(\d+)\.(\d+)")
_SSL_VERSION = re.compile(r"ssl\s*v?(\d+)(?:\.0)?")


@dataclass(frozen=True, slots=True)
class SecurityOptions:
    """The payload's security settings, with their defaults."""

    minimum_tls: str = DEFAULT_MINIMUM_TLS
    allowed_public: frozenset[str] = field(default_factory=frozenset)
    admin_ports: tuple[int, ...] = tuple(sorted(ADMIN_PORT_NAMES))

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> SecurityOptions:
        return cls(
            minimum_tls=str(payload.get("minimum_tls_version", DEFAULT_MINIMUM_TLS)),
            allowed_public=frozenset(payload.get("allowed_public", ())),
            admin_ports=tuple(sorted(set(payload.get("admin_ports", ADMIN_PORT_NAMES)))),
        )


def holds_data(resource: Resource) -> bool:
    return resource.type.startswith(DATA_TYPE_PREFIXES)


def _finding(
    resource: Resource, severity: str, rule_id: str, message: str, **evidence: Any
) -> Check:
    return found(
        Finding(
            severity=severity,
            rule_id=rule_id,
            resource_id=resource.id,
            message=message,
            evidence={"type": resource.type, **evidence},
        )
    )


def public_exposure(resource: Resource, options: SecurityOptions) -> Check:
    """Reachable from the internet: critical for data, high for anything else."""
    if resource.type in PUBLIC_BY_DESIGN:
        return skipped(resource.id, PUBLIC_RULE, f"type {resource.type} is public by design")
    if resource.public is None:
        return skipped(resource.id, PUBLIC_RULE, "public is not reported")
    if not resource.public:
        return passed(resource.id, PUBLIC_RULE, "not reachable from the internet")
    if resource.id in options.allowed_public:
        return passed(resource.id, PUBLIC_RULE, "public, and listed in allowed_public")
    if holds_data(resource):
        message = f"{resource.type} is reachable from the internet: its data is exposed"
        return _finding(resource, "critical", PUBLIC_RULE, message, public=True)
    message = f"{resource.type} is reachable from the internet"
    return _finding(resource, "high", PUBLIC_RULE, message, public=True)


def unencrypted_storage(resource: Resource, options: SecurityOptions) -> Check:
    """Data at rest must be encrypted; not reporting it cannot be taken as encrypted."""
    if not holds_data(resource):
        return skipped(resource.id, ENCRYPTION_RULE, f"type {resource.type} keeps no data at rest")
    if resource.encrypted is True:
        return passed(resource.id, ENCRYPTION_RULE, "encrypted at rest")
    if resource.encrypted is False:
        message = f"{resource.type} stores its data unencrypted at rest"
        return _finding(resource, "high", ENCRYPTION_RULE, message, encrypted=False)
    message = f"{resource.type} does not report encryption at rest; it cannot be confirmed"
    return _finding(resource, "medium", ENCRYPTION_RULE, message, encrypted=None)


def _port_names(ports: Iterable[int]) -> str:
    return ", ".join(
        f"{port} ({ADMIN_PORT_NAMES[port]})" if port in ADMIN_PORT_NAMES else str(port)
        for port in ports
    )


def open_admin_ports(resource: Resource, options: SecurityOptions) -> Check:
    """An admin port open to any address: critical on a public resource, high otherwise
    (any host of a peered network or VPN can reach it)."""
    open_ports = sorted(set(resource.open_ports) & set(options.admin_ports))
    if not open_ports:
        return passed(resource.id, ADMIN_PORT_RULE, "no admin port is open to any address")
    exposed = resource.public is True
    where = " on a resource reachable from the internet" if exposed else ""
    message = f"admin port(s) {_port_names(open_ports)} open to any address{where}"
    severity = "critical" if exposed else "high"
    evidence = {"open_admin_ports": open_ports, "public": resource.public}
    return _finding(resource, severity, ADMIN_PORT_RULE, message, **evidence)


def parse_tls_version(text: str) -> tuple[int, int] | None:
    """``(major, minor)`` of a TLS version ("1.2", "TLSv1.2", "tls1.3"); SSL versions
    ("SSLv3") read as ``(0, n)``, below every TLS version; None when unrecognised."""
    normalised = text.strip().lower()
    tls = _TLS_VERSION.fullmatch(normalised)
    if tls:
        return int(tls.group(1)), int(tls.group(2))
    ssl = _SSL_VERSION.fullmatch(normalised)
    if ssl:
        return 0, int(ssl.group(1))
    return None


def weak_tls(resource: Resource, options: SecurityOptions) -> Check:
    """A TLS floor under ``minimum_tls_version`` is high; SSL is critical; a version the
    runner cannot read is medium (it cannot be confirmed)."""
    reported = resource.tls_min_version
    if reported is None:
        return skipped(resource.id, TLS_RULE, "tls_min_version is not reported")
    version = parse_tls_version(reported)
    minimum = parse_tls_version(options.minimum_tls)
    evidence = {"tls_min_version": reported, "minimum_tls_version": options.minimum_tls}
    if version is None or minimum is None:
        message = f"minimum TLS version {reported!r} is not a version the scan recognises"
        return _finding(resource, "medium", TLS_RULE, message, **evidence)
    if version[0] == 0:
        message = f"accepts {reported}, which is broken; require TLS {options.minimum_tls}"
        return _finding(resource, "critical", TLS_RULE, message, **evidence)
    if version < minimum:
        shown = f"{version[0]}.{version[1]}"
        message = f"accepts TLS {shown}; require TLS {options.minimum_tls} or later"
        return _finding(resource, "high", TLS_RULE, message, **evidence)
    return passed(resource.id, TLS_RULE, f"TLS {reported} meets {options.minimum_tls}")


SECURITY_RULES = (public_exposure, unencrypted_storage, open_admin_ports, weak_tls)


def security_checks(resource: Resource, options: SecurityOptions) -> list[Check]:
    """Every security rule on ``resource``, in a fixed order."""
    return [rule(resource, options) for rule in SECURITY_RULES]
