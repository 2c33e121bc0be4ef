"""The verdict of a verification: counts per rule and capped, ordered evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobforge.runners.truthcore.evidence import RuleOutcome
from jobforge.runners.truthcore.rules import Rule
from jobforge.runners.truthcore.values import MISSING, FieldPath, is_number, lookup

DEFAULT_MAX_EVIDENCE_PER_RULE = 20
# Evidence items of all rules together: at most ~600 bytes each (values and expectations
# are cut to 200 characters), so the output stays under the worker's 1 MiB limit.
MAX_EVIDENCE_ITEMS = 1000


def record_id(record: Any, id_field: FieldPath | None) -> Any:
    """The record's id for the evidence: a string or number at ``id_field``, else MISSING."""
    if id_field is None:
        return MISSING
    value = lookup(record, id_field)
    return value if isinstance(value, str) or is_number(value) else MISSING


def rule_report(
    rule: Rule,
    outcome: RuleOutcome,
    records: Sequence[Any],
    *,
    id_field: FieldPath | None,
    max_evidence: int,
) -> dict[str, Any]:
    """One rule's entry in the output: ``violations == len(evidence) + evidence_omitted``.

    Evidence is sorted (record, field, expected, actual) before it is cut, so the same
    violations give the same evidence whatever order the rule found them in.
    """
    ordered = sorted(outcome.violations, key=lambda violation: violation.sort_key())
    shown = ordered[:max_evidence]
    report: dict[str, Any] = {"index": rule.index, "type": rule.type}
    if rule.name is not None:
        report["name"] = rule.name
    report.update(
        {
            "passed": not ordered,
            "checked": outcome.checked,
            "records_failed": outcome.records_failed,
            "violations": len(ordered),
            "evidence": [
                violation.to_evidence(record_id(records[violation.record], id_field))
                for violation in shown
            ],
            "evidence_omitted": len(ordered) - len(shown),
        }
    )
    return report


def verdict(
    reports: list[dict[str, Any]], records: int, source: dict[str, Any], verified_at: str
) -> dict[str, Any]:
    """The job's output: ``pass`` when no rule found a violation."""
    failed = [report for report in reports if not report["passed"]]
    return {
        "verdict": "fail" if failed else "pass",
        "verified_at": verified_at,
        "source": source,
        "records": records,
        "summary": {
            "rules": len(reports),
            "rules_failed": len(failed),
            "violations": sum(report["violations"] for report in reports),
        },
        "rules": reports,
    }
