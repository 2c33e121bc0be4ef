"""Planning the jobs an activation schedules: a renewal reminder and an expiry job.

Both are ``settler.contract.remind`` jobs, run at a time computed from the terms alone
(plus ``ctx.now``, the attempt's fixed clock), so a retried or duplicated activation plans
the same jobs with the same idempotency keys and payloads, and JobForge enqueues each
once. The renewal reminder is due ``renewal_notice_days`` before the end and is skipped
when that time has passed (or the notice period is 0, or there is no end). The expiry job
is due at the end; if the end has passed it runs at once, since an active contract past
its end must still expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobforge.runners.settler.names import EXPIRY, RENEWAL
from jobforge.runners.settler.terms import Terms, format_time

SCHEDULED = "scheduled"
SKIPPED = "skipped"


def reminder_key(contract_id: str, kind: str, due: datetime) -> str:
    """The idempotency key of a contract's reminder of ``kind`` due at ``due``."""
    return f"settler:{contract_id}:{kind}:{format_time(due)}"


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """One reminder an activation schedules, or skips and says why."""

    contract_id: str
    kind: str
    due: datetime | None
    run_at: datetime | None  # None: skipped
    reason: str

    @property
    def action(self) -> str:
        return SKIPPED if self.run_at is None else SCHEDULED

    @property
    def idempotency_key(self) -> str | None:
        if self.run_at is None or self.due is None:
            return None
        return reminder_key(self.contract_id, self.kind, self.due)

    def payload(self) -> dict[str, Any]:
        """The ``settler.contract.remind`` payload: only what the key already names."""
        assert self.due is not None
        return {"contract_id": self.contract_id, "kind": self.kind, "due": format_time(self.due)}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": None if self.due is None else format_time(self.due),
            "action": self.action,
            "run_at": None if self.run_at is None else format_time(self.run_at),
            "idempotency_key": self.idempotency_key,
            "reason": self.reason,
        }


def plan_reminders(contract_id: str, terms: Terms, now: datetime) -> tuple[ReminderPlan, ...]:
    """The renewal reminder and the expiry job of an active contract, in that order."""
    return (_renewal(contract_id, terms, now), _expiry(contract_id, terms, now))


def _renewal(contract_id: str, terms: Terms, now: datetime) -> ReminderPlan:
    due = terms.renewal_due
    if terms.end is None:
        return ReminderPlan(contract_id, RENEWAL, None, None, "open-ended terms: no end to renew")
    if due is None:
        return ReminderPlan(
            contract_id, RENEWAL, None, None, "renewal_notice_days is 0: no renewal reminder"
        )
    if due < now:
        return ReminderPlan(
            contract_id,
            RENEWAL,
            due,
            None,
            f"the renewal notice was due at {format_time(due)}, before now "
            f"({format_time(now)}): too late to remind",
        )
    return ReminderPlan(
        contract_id,
        RENEWAL,
        due,
        due,
        f"{terms.renewal_notice_days} day(s) before the end at {format_time(terms.end)}",
    )


def _expiry(contract_id: str, terms: Terms, now: datetime) -> ReminderPlan:
    end = terms.end
    if end is None:
        return ReminderPlan(contract_id, EXPIRY, None, None, "open-ended terms: never expires")
    if end < now:
        return ReminderPlan(
            contract_id,
            EXPIRY,
            end,
            now,
            f"the term ended at {format_time(end)}, before now: expires at once",
        )
    return ReminderPlan(contract_id, EXPIRY, end, end, "at the end of the term")
