"""``settler.contract.remind``: a renewal reminder or an expiry, run at its due time.

A reminder acts only if it still fits the contract: the contract is active and its
current terms make the reminder due at the payload's ``due``. Otherwise it is skipped
and says why (the contract was terminated or renewed after the reminder was scheduled;
a renewal schedules reminders of its own). A renewal reminder is recorded in the
contract's history, once per due time; an expiry moves the contract to ``expired``,
dated at the end of its term.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobforge import JobContext
from jobforge.runners.settler.errors import (
    ContractNotFound,
    InvalidContractInput,
    ReminderNotDue,
)
from jobforge.runners.settler.names import EXPIRY, RENEWAL
from jobforge.runners.settler.states import State, check_transition
from jobforge.runners.settler.store import (
    Contract,
    append_history,
    get_contract,
    record_transition,
    set_state,
)
from jobforge.runners.settler.terms import TermsProblem, format_time, parse_time

REMINDED = "reminded"
EXPIRED = "expired"
SKIPPED = "skipped"
EXPIRY_REASON = "the term ended"


def remind_contract(payload: Any, ctx: JobContext) -> dict[str, Any]:
    """Send the renewal reminder or expire the contract, if it is still due."""
    contract_id = str(payload["contract_id"])
    kind = payload.get("kind")
    if kind not in (RENEWAL, EXPIRY):
        raise InvalidContractInput(f"payload.kind: expected renewal or expiry, got {kind!r}")
    try:
        due = parse_time(payload.get("due"), "payload.due")
    except TermsProblem as exc:
        raise InvalidContractInput(str(exc)) from None

    contract = get_contract(ctx, contract_id)
    if contract is None:
        raise ContractNotFound(
            f"payload.contract_id: the store has no contract {contract_id!r} for this tenant"
        )
    if kind == EXPIRY and _expired_by_this(contract, due):
        # A retry of an expiry that already happened: make sure its history entry is there.
        history = record_transition(ctx, contract)
        reason = "the contract already expired at this due time"
        return _skip(ctx, contract, kind, due, history=history, reason=reason)
    stale = _stale_reason(contract, kind, due)
    if stale is not None:
        return _skip(ctx, contract, kind, due, history="none", reason=stale)
    if ctx.now < due:
        wait = (due - ctx.now).total_seconds()
        raise ReminderNotDue(
            f"contract {contract_id}: the {kind} reminder is due at {format_time(due)}, "
            f"{wait:g} s after the job's time {format_time(ctx.now)}; it runs again then",
            retry_in_seconds=wait,
        )
    if kind == RENEWAL:
        return _remind_renewal(ctx, contract, due)
    return _expire(ctx, contract, due)


def _remind_renewal(ctx: JobContext, contract: Contract, due: datetime) -> dict[str, Any]:
    assert contract.terms is not None
    assert contract.terms.end is not None
    end = format_time(contract.terms.end)
    reason = f"the term ends at {end}: {contract.terms.renewal_notice_days} day(s) to renew"
    ctx.trace.decision(
        "renewal_reminder", contract_id=contract.contract_id, due=format_time(due), reason=reason
    )
    entry = {
        "event": "renewal_reminder",
        "due": format_time(due),
        "end": end,
        "at": format_time(ctx.now),
    }
    entry_id = f"{contract.contract_id}:{RENEWAL}:{format_time(due)}"
    history = append_history(ctx, contract.contract_id, entry_id, entry)
    return _output(contract, RENEWAL, due, outcome=REMINDED, reason=reason, history=history)


def _expire(ctx: JobContext, contract: Contract, due: datetime) -> dict[str, Any]:
    subject = f"contract {contract.contract_id}"
    check_transition(contract.state, State.EXPIRED, subject=subject)
    reason = f"the term ended at {format_time(due)}"
    ctx.trace.decision(
        "transition",
        contract_id=contract.contract_id,
        from_state=str(contract.state),
        to_state=str(State.EXPIRED),
        terms_changed=False,
        reason=reason,
    )
    updated = set_state(
        ctx, contract, State.EXPIRED, contract.terms, at=format_time(due), reason=EXPIRY_REASON
    )
    history = record_transition(ctx, updated)
    return _output(updated, EXPIRY, due, outcome=EXPIRED, reason=reason, history=history)


def _expired_by_this(contract: Contract, due: datetime) -> bool:
    """True when the contract is expired, and its last change is the expiry at ``due``."""
    transition = contract.last_transition
    return (
        contract.state is State.EXPIRED
        and transition is not None
        and transition.to_state is State.EXPIRED
        and parse_time(transition.at, "contract.last_transition.at") == due
    )


def _stale_reason(contract: Contract, kind: str, due: datetime) -> str | None:
    """Why the reminder no longer fits the contract, or None when it does."""
    if contract.state is not State.ACTIVE:
        return f"the contract is {contract.state}, not active"
    terms = contract.terms
    current = None if terms is None else (terms.renewal_due if kind == RENEWAL else terms.end)
    if current is None:
        return f"the contract's current terms have no {kind} due"
    if current != due:
        return f"the terms changed: the {kind} is now due at {format_time(current)}"
    return None


def _skip(
    ctx: JobContext, contract: Contract, kind: str, due: datetime, *, history: str, reason: str
) -> dict[str, Any]:
    ctx.trace.decision(
        "reminder_skipped",
        contract_id=contract.contract_id,
        kind=kind,
        due=format_time(due),
        reason=reason,
    )
    return _output(contract, kind, due, outcome=SKIPPED, reason=reason, history=history)


def _output(
    contract: Contract, kind: str, due: datetime, *, outcome: str, reason: str, history: str
) -> dict[str, Any]:
    return {
        "contract_id": contract.contract_id,
        "kind": kind,
        "due": format_time(due),
        "outcome": outcome,
        "reason": reason,
        "state": str(contract.state),
        "version": contract.version,
        "history": history,
    }
