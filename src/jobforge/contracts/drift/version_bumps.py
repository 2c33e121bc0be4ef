"""Semver arithmetic for drift: precedence, and whether a bump is a major one."""

from __future__ import annotations

from typing import Any

from jobforge.contracts.models.semver import Version


def is_major_bump(old: Version, new: Version) -> bool:
    """Whether ``new`` may break ``old``'s users: a higher version in another major series.

    For 0.x the series is set by the leftmost non-zero part (0.3 -> 0.4 is major, as
    Cargo reads semver); a pre-release of the next major (2.0.0-rc.1) counts.
    """
    return precedence(new) > precedence(old) and _series(new) != _series(old)


def _series(version: Version) -> tuple[int, ...]:
    if version.major:
        return (version.major,)
    if version.minor:
        return (0, version.minor)
    return (0, 0, version.patch)


def next_major(version: Version) -> str:
    if version.major:
        return f"{version.major + 1}.0.0"
    if version.minor:
        return f"0.{version.minor + 1}.0"
    return f"0.0.{version.patch + 1}"


def precedence(version: Version) -> tuple[Any, ...]:
    """A sort key with semver precedence: pre-releases sort before the release, build ignored."""
    if not version.prerelease:
        return (version.major, version.minor, version.patch, 1, ())
    identifiers = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in version.prerelease.split(".")
    )
    return (version.major, version.minor, version.patch, 0, identifiers)
