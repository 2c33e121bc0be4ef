"""What a failed check leaves behind: one violation per record, field and expectation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jobforge.runners.truthcore.values import MISSING, canonical_text, cut


@dataclass(frozen=True, slots=True)
class Violation:
    """Record ``record`` (its position in the checked set) breaks a rule at ``field``.

    ``field`` is a JSON Pointer into the record; ``actual`` is ``MISSING`` when the record
    lacks the field; ``message`` adds what ``expected`` and ``actual`` cannot say alone.
    """

    record: int
    field: str
    expected: str
    actual: Any = MISSING
    message: str | None = None

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Orders violations the same way whatever order they were found in."""
        actual = "" if self.actual is MISSING else canonical_text(self.actual)
        return (self.record, self.field, self.expected, actual, self.message or "")

    def to_evidence(self, record_id: Any = MISSING) -> dict[str, Any]:
        """The evidence item of the output: long values are cut, and say so."""
        item: dict[str, Any] = {"record": self.record}
        if record_id is not MISSING:
            item["record_id"] = record_id
        item["field"] = self.field
        item["expected"] = self.expected
        if self.actual is not MISSING:
            text = canonical_text(self.actual)
            if cut(text) == text:
                item["actual"] = self.actual
            else:
                item["actual"] = cut(text)
                item["actual_truncated"] = True
        if self.message is not None:
            item["message"] = self.message
        return item


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What one rule found: how many records it applied to, and every violation."""

    checked: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def records_failed(self) -> int:
        return len({violation.record for violation in self.violations})
