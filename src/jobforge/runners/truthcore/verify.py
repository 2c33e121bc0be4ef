"""``truthcore.records.verify``: check records against declared rules, with evidence.

The records come inline or from the ``truthcore.source`` connector (recorded in the
input snapshot, so a replay reads the same pages); the verdict's time is ``ctx.now``.
Every key of the payload and of fetched records is put in sorted order first: the live
run reads the payload from jsonb and a replay from its canonical snapshot, and their key
orders differ, yet both must give the same output byte for byte.
"""

from __future__ import annotations

from typing import Any

from jobforge import JobContext, handler
from jobforge.runners.truthcore.rules import parse_rules
from jobforge.runners.truthcore.source import CONNECTOR_ID, OPERATION, load_records
from jobforge.runners.truthcore.values import field_path, keys_sorted
from jobforge.runners.truthcore.verdict import (
    DEFAULT_MAX_EVIDENCE_PER_RULE,
    MAX_EVIDENCE_ITEMS,
    rule_report,
    verdict,
)

JOB_TYPE = "truthcore.records.verify"


@handler(JOB_TYPE)
def verify(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    """Load the records, apply every rule in declared order, and return the verdict."""
    payload = keys_sorted(payload)
    rules = parse_rules(payload["rules"])
    id_field = field_path(payload["id_field"]) if "id_field" in payload else None
    max_evidence = int(payload.get("max_evidence_per_rule", DEFAULT_MAX_EVIDENCE_PER_RULE))

    def fetch_page(request: dict[str, Any]) -> Any:
        return ctx.connector(CONNECTOR_ID).call(OPERATION, request)

    loaded = load_records(payload, fetch_page)
    ctx.trace.decision("records_loaded", origin=loaded.source["kind"], records=len(loaded.records))
    reports = []
    evidence_left = MAX_EVIDENCE_ITEMS  # shared by the rules, in declared order
    for rule in rules:
        outcome = rule.check(loaded.records)
        report = rule_report(
            rule,
            outcome,
            loaded.records,
            id_field=id_field,
            max_evidence=min(max_evidence, evidence_left),
        )
        evidence_left -= len(report["evidence"])
        ctx.trace.decision(
            "rule_checked",
            rule=rule.index,
            type=rule.type,
            checked=report["checked"],
            violations=report["violations"],
        )
        reports.append(report)
    output = verdict(reports, len(loaded.records), loaded.source, ctx.now.isoformat())
    ctx.trace.decision(
        "verdict",
        verdict=output["verdict"],
        rules_failed=output["summary"]["rules_failed"],
        violations=output["summary"]["violations"],
    )
    return output
