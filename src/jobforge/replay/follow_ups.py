"""Judging the follow-up jobs an attempt asked for: against a golden's
``expected_follow_ups``, and between two runs that must do the same.

A replay enqueues no follow-ups. Each one is a ``follow_up`` event in the attempt's
decision trace (job type, idempotency key, run_at, payload hash), and a replayed attempt's
result row records them with their payloads (``follow_ups``).
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from jobforge.determinism.trace import WORKER_SOURCE
from jobforge.follow_ups import TRACE_DECISION, FollowUp
from jobforge.replay.compare import is_subset, restrict, unified_diff

# A default idempotency key names its parent job; two runs of one golden are two jobs.
PARENT_PLACEHOLDER = "<parent job>"


def traced_follow_ups(decision_trace: Any) -> list[dict[str, Any]]:
    """The ``follow_up`` events of a recorded decision trace, in order."""
    events = decision_trace if isinstance(decision_trace, list) else []
    return [
        event
        for event in events
        if isinstance(event, dict)
        and event.get("source") == WORKER_SOURCE
        and event.get("decision") == TRACE_DECISION
    ]


def signature(events: Sequence[Mapping[str, Any]], parent_job_id: uuid.UUID) -> list[str]:
    """What must be the same for two runs to have asked for the same follow-ups, one line
    per follow-up: job type, key (the parent's id in a default key made a placeholder),
    run_at as an instant, payload hash."""
    lines = []
    for event in events:
        key = str(event.get("idempotency_key")).replace(str(parent_job_id), PARENT_PLACEHOLDER)
        lines.append(
            f"{event.get('job_type')} key={key} run_at={_instant(event.get('run_at'))} "
            f"payload_sha256={event.get('payload_sha256')}"
        )
    return lines


def replayed_signature(follow_ups: Sequence[FollowUp], parent_job_id: uuid.UUID) -> list[str]:
    """:func:`signature` of the follow-ups a replay in this process asked for."""
    return signature([follow_up.trace_fields() for follow_up in follow_ups], parent_job_id)


def differences(first: list[str], second: list[str], *, first_label: str, second_label: str) -> str:
    """Two runs' follow-ups (:func:`signature` lines), as a unified diff."""
    lines = difflib.unified_diff(
        first, second, fromfile=first_label, tofile=second_label, lineterm=""
    )
    return "\n".join(lines)


def expected_follow_up_problems(expected: Sequence[Mapping[str, Any]], recorded: Any) -> list[str]:
    """What breaks ``expected_follow_ups`` in the follow-ups a replayed result recorded (the
    result row's ``follow_ups``: type, payload, run_at, idempotency_key for each)."""
    actual = [item for item in recorded if isinstance(item, dict)] if recorded else []
    if len(actual) != len(expected):
        asked = ", ".join(str(item.get("type")) for item in actual) or "none"
        return [
            f"expected_follow_ups lists {len(expected)} follow-up(s), the handler asked for "
            f"{len(actual)} ({asked})"
        ]
    problems: list[str] = []
    for index, (wanted, got) in enumerate(zip(expected, actual, strict=True)):
        where = f"expected_follow_ups[{index}]"
        if wanted["job_type"] != got.get("type"):
            problems.append(
                f"{where}.job_type is {wanted['job_type']}, the handler asked for {got.get('type')}"
            )
            continue
        if "payload" in wanted and not is_subset(wanted["payload"], got.get("payload")):
            diff = unified_diff(
                wanted["payload"],
                restrict(got.get("payload"), wanted["payload"]),
                expected_label=f"{where}.payload",
                actual_label="actual payload",
            )
            problems.append(f"{where}.payload is not contained in the follow-up's payload:\n{diff}")
        if "run_at" in wanted and _instant(wanted["run_at"]) != _instant(got.get("run_at")):
            problems.append(
                f"{where}.run_at is {wanted['run_at']}, the follow-up runs at "
                f"{got.get('run_at') or 'once'}"
            )
        if "idempotency_key" in wanted and wanted["idempotency_key"] != got.get("idempotency_key"):
            problems.append(
                f"{where}.idempotency_key is {wanted['idempotency_key']!r}, the follow-up has "
                f"{got.get('idempotency_key')!r}"
            )
    return problems


def _instant(value: Any) -> str:
    """An ISO 8601 time as the same instant in UTC (another offset is the same time);
    "at once" for none."""
    if not isinstance(value, str):
        return "at once"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(UTC).isoformat()
