"""``autopilot.ops.scan``: check a CDN zone's settings against a baseline, deterministically.

The settings come from the ``readylayer.cdn`` connector (recorded in goldens); the time of
the scan is ``ctx.now``, so a replay gives the same output byte for byte.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext, handler

JOB_TYPE = "autopilot.ops.scan"
CONNECTOR_ID = "readylayer.cdn"
MINIMUM_TLS_VERSION = (1, 2)
MINIMUM_CACHE_TTL_SECONDS = 60
REQUIRED_HEADERS = ("content-security-policy", "strict-transport-security", "x-frame-options")
ALL_CHECKS = ("tls", "cache", "headers")


def _tls_findings(settings: dict[str, Any]) -> list[dict[str, str]]:
    version_text = str(settings.get("tls_min_version", "1.0"))
    version = tuple(int(part) for part in version_text.split(".")[:2])
    if version >= MINIMUM_TLS_VERSION:
        return []
    return [
        {
            "check": "tls",
            "severity": "high",
            "message": f"minimum TLS version is {version_text}; require 1.2 or later",
        }
    ]


def _cache_findings(settings: dict[str, Any]) -> list[dict[str, str]]:
    ttl_seconds = int(settings.get("cache_ttl_seconds", 0))
    if ttl_seconds >= MINIMUM_CACHE_TTL_SECONDS:
        return []
    return [
        {
            "check": "cache",
            "severity": "low",
            "message": f"cache TTL is {ttl_seconds} s; at least {MINIMUM_CACHE_TTL_SECONDS} s "
            "keeps load off the origin",
        }
    ]


def _header_findings(settings: dict[str, Any]) -> list[dict[str, str]]:
    present = {str(name).lower() for name in settings.get("security_headers", [])}
    return [
        {"check": "headers", "severity": "medium", "message": f"header {name} is not set"}
        for name in REQUIRED_HEADERS
        if name not in present
    ]


_CHECKS = {"tls": _tls_findings, "cache": _cache_findings, "headers": _header_findings}


@handler(JOB_TYPE)
def scan(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Fetch the zone's settings and report one finding per setting below the baseline."""
    zone = payload["zone"]
    checks = payload.get("checks") or list(ALL_CHECKS)
    settings = ctx.connector(CONNECTOR_ID).call("get_zone_settings", {"zone": zone})
    findings: list[dict[str, str]] = []
    for check in sorted(set(checks)):
        found = _CHECKS[check](settings)
        ctx.trace.decision("checked", check=check, findings=len(found))
        findings.extend(found)
    return {
        "zone": zone,
        "scanned_at": ctx.now.isoformat(),
        "checks": sorted(set(checks)),
        "findings": findings,
        "passed": not findings,
    }
