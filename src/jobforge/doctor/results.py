"""What a doctor check finds: a status, what it saw, and what to do about it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a check status, not a password
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's outcome. ``action`` says what to do (empty when it passed); ``facts``
    holds what it counted, for ``--format json`` (plain JSON values, lists in a fixed
    order)."""

    name: str
    status: Status
    detail: str
    action: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "action": self.action,
            "facts": dict(self.facts),
        }


def passed(name: str, detail: str, **facts: Any) -> CheckResult:
    return CheckResult(name, Status.PASS, detail, "", facts)


def warned(name: str, detail: str, action: str, **facts: Any) -> CheckResult:
    return CheckResult(name, Status.WARN, detail, action, facts)


def failed(name: str, detail: str, action: str, **facts: Any) -> CheckResult:
    return CheckResult(name, Status.FAIL, detail, action, facts)


@dataclass(frozen=True, slots=True)
class DoctorReport:
    """Every check's result, in the order they ran."""

    results: Sequence[CheckResult]

    @property
    def failed(self) -> bool:
        return any(result.status is Status.FAIL for result in self.results)

    def counts(self) -> dict[str, int]:
        return {
            status.value: sum(1 for result in self.results if result.status is status)
            for status in Status
        }


def listed(items: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` with at most ``limit`` items named and how many more there are."""
    shown = ", ".join(items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def ago(seconds: int) -> str:
    """A duration for people: 45 s, 12 min, 3 h, 2 d."""
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7_200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3_600} h"
    return f"{seconds // 86_400} d"
