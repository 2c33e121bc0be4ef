"""``settler.contract.advance``: move a contract to the state the payload asks for.

The transition table (``states.py``) decides what is allowed. Asking for the state the
contract is already in, with no new terms, changes nothing and succeeds (``unchanged``):
that is what makes a retried or duplicated job safe. It still makes sure the last change
is in the history and, for an active contract, asks for the reminders again; their
idempotency keys make JobForge enqueue each one once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobforge import JobContext
from jobforge.runners.settler.errors import (
    ContractNotFound,
    InvalidContractInput,
    StaleTransition,
    TermEnded,
)
from jobforge.runners.settler.names import REMIND_JOB_TYPE
from jobforge.runners.settler.reminders import plan_reminders
from jobforge.runners.settler.states import TERMS_TARGETS, State, check_transition, state_named
from jobforge.runners.settler.store import Contract, get_contract, record_transition, set_state
from jobforge.runners.settler.terms import Terms, TermsProblem, format_time, parse_terms, parse_time

CHANGED = "changed"
UNCHANGED = "unchanged"


def advance_contract(payload: Any, ctx: JobContext) -> dict[str, Any]:
    """Move ``payload.contract_id`` to ``payload.to``; schedule reminders on activation."""
    contract_id = str(payload["contract_id"])
    target = _payload_state(payload.get("to"), "payload.to")
    expected_from = (
        None if payload.get("from") is None else _payload_state(payload["from"], "payload.from")
    )
    at = _effective_time(payload.get("at"), ctx.now)
    requested = _requested_terms(payload.get("terms"))
    reason = payload.get("reason")

    contract = get_contract(ctx, contract_id)
    if contract is None:
        raise ContractNotFound(
            f"payload.contract_id: the store has no contract {contract_id!r} for this tenant"
        )
    terms_change = requested is not None and (
        contract.terms is None or requested.document != contract.terms.document
    )
    if contract.state is target and not terms_change:
        return _unchanged(ctx, contract)
    if expected_from is not None and expected_from is not contract.state:
        raise StaleTransition(
            f"contract {contract_id}: the request expects it {expected_from}, but it is "
            f"{contract.state} (version {contract.version}); nothing was changed"
        )
    check_transition(contract.state, target, subject=f"contract {contract_id}")
    if terms_change and target not in TERMS_TARGETS:
        raise InvalidContractInput(
            f"payload.terms: a contract's terms change only with a move to draft or active, "
            f"not with {contract.state} -> {target}"
        )
    terms = requested if requested is not None else contract.terms
    if target is State.ACTIVE:
        _check_activation(contract_id, terms, ctx.now)
    ctx.trace.decision(
        "transition",
        contract_id=contract_id,
        from_state=str(contract.state),
        to_state=str(target),
        terms_changed=terms_change,
        reason=f"the table allows {contract.state} -> {target}",
    )
    updated = set_state(ctx, contract, target, terms, at=format_time(at), reason=reason)
    history = record_transition(ctx, updated)
    reminders = schedule_reminders(ctx, updated) if target is State.ACTIVE else []
    return _output(
        updated,
        CHANGED,
        found=contract.state,
        at=format_time(at),
        history=history,
        reminders=reminders,
    )


def schedule_reminders(ctx: JobContext, contract: Contract) -> list[dict[str, Any]]:
    """Ask for the active contract's renewal reminder and expiry job (each decision, a
    skipped one too, in the trace); what was planned, for the output."""
    if contract.terms is None:
        ctx.trace.decision(
            "reminders_skipped",
            contract_id=contract.contract_id,
            reason="the contract has no terms: nothing to remind of",
        )
        return []
    plans = plan_reminders(contract.contract_id, contract.terms, ctx.now)
    for plan in plans:
        shown = plan.to_json()
        ctx.trace.decision(
            "reminder",
            contract_id=contract.contract_id,
            kind=plan.kind,
            action=plan.action,
            due=shown["due"],
            run_at=shown["run_at"],
            reason=plan.reason,
        )
        if plan.run_at is not None:
            ctx.follow_up(
                REMIND_JOB_TYPE,
                plan.payload(),
                idempotency_key=plan.idempotency_key,
                run_at=plan.run_at,
            )
    return [plan.to_json() for plan in plans]


def _unchanged(ctx: JobContext, contract: Contract) -> dict[str, Any]:
    ctx.trace.decision(
        "unchanged",
        contract_id=contract.contract_id,
        state=str(contract.state),
        version=contract.version,
        reason=f"the contract is already {contract.state} with these terms: nothing to change",
    )
    history = record_transition(ctx, contract)
    reminders = schedule_reminders(ctx, contract) if contract.state is State.ACTIVE else []
    return _output(
        contract, UNCHANGED, found=contract.state, at=None, history=history, reminders=reminders
    )


def _check_activation(contract_id: str, terms: Terms | None, now: datetime) -> None:
    if terms is None:
        raise InvalidContractInput(
            f"payload.terms: activating contract {contract_id} needs terms (start, end): "
            "neither the payload nor the store has any"
        )
    if terms.end is not None and terms.end <= now:
        raise TermEnded(
            f"contract {contract_id}: its term ended at {format_time(terms.end)}, not after "
            f"the job's time {format_time(now)}; an ended term cannot be activated (renew it "
            "with terms whose end is still ahead)"
        )


def _payload_state(value: Any, label: str) -> State:
    state = state_named(value)
    if state is None:
        raise InvalidContractInput(f"{label}: {value!r} is not a contract state")
    return state


def _effective_time(value: Any, now: datetime) -> datetime:
    """``payload.at``, or the job's time; never after the job's time."""
    if value is None:
        return now
    try:
        at = parse_time(value, "payload.at")
    except TermsProblem as exc:
        raise InvalidContractInput(str(exc)) from None
    if at > now:
        raise InvalidContractInput(
            f"payload.at: {format_time(at)} is after the job's time {format_time(now)}; a "
            "transition cannot take effect in the future (enqueue the job with run_at instead)"
        )
    return at


def _requested_terms(value: Any) -> Terms | None:
    if value is None:
        return None
    try:
        return parse_terms(value, "payload.terms")
    except TermsProblem as exc:
        raise InvalidContractInput(str(exc)) from None


def _output(
    contract: Contract,
    outcome: str,
    *,
    found: State,
    at: str | None,
    history: str,
    reminders: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "contract_id": contract.contract_id,
        "outcome": outcome,
        "from": str(found),
        "to": str(contract.state),
        "version": contract.version,
        "at": at,
        "terms": None if contract.terms is None else dict(contract.terms.document),
        "history": history,
        "reminders": reminders,
    }
