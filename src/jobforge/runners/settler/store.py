"""The ``settler.store`` connector: reading a contract, changing its state under an
optimistic version check, and appending to its history.

Every request names the job's tenant (``ctx.tenant_id``), never one from the payload.
Every answer is checked before the runner acts on it: a malformed one fails the job
(``invalid_store_response``) rather than being guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobforge import JobContext
from jobforge.runners.settler.errors import InvalidStoreResponse, VersionConflict
from jobforge.runners.settler.names import (
    APPEND_HISTORY,
    GET_CONTRACT,
    SET_STATE,
    STORE_CONNECTOR_ID,
)
from jobforge.runners.settler.states import STATE_NAMES, State, state_named
from jobforge.runners.settler.terms import Terms, TermsProblem, parse_terms, parse_time

APPENDED = "appended"
ALREADY_RECORDED = "already_recorded"


@dataclass(frozen=True, slots=True)
class Transition:
    """The last state change the store made to a contract (what its history entry says)."""

    from_state: State | None  # None: the contract was created in to_state
    to_state: State
    at: str
    version: int
    reason: str | None

    def history_entry(self) -> dict[str, Any]:
        return {
            "event": "transition",
            "version": self.version,
            "from": None if self.from_state is None else str(self.from_state),
            "to": str(self.to_state),
            "at": self.at,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Contract:
    """A contract as the store holds it."""

    contract_id: str
    state: State
    version: int
    terms: Terms | None
    last_transition: Transition | None


def get_contract(ctx: JobContext, contract_id: str) -> Contract | None:
    """The contract, or None when the store has no such contract for this tenant."""
    response = _call(ctx, GET_CONTRACT, {"contract_id": contract_id})
    document = response.get("contract")
    return None if document is None else _contract(document, contract_id, GET_CONTRACT)


def set_state(
    ctx: JobContext,
    contract: Contract,
    target: State,
    terms: Terms | None,
    *,
    at: str,
    reason: str | None,
) -> Contract:
    """Move ``contract`` to ``target`` with ``terms``, if the store still holds the version
    read; VersionConflict (retried) when another writer got there first."""
    request = {
        "contract_id": contract.contract_id,
        "expected_version": contract.version,
        "state": str(target),
        "terms": None if terms is None else dict(terms.document),
        "transition": {"from": str(contract.state), "to": str(target), "at": at, "reason": reason},
    }
    response = _call(ctx, SET_STATE, request)
    outcome = response.get("outcome")
    document = response.get("contract")
    if outcome == "version_conflict":
        current = _contract(document, contract.contract_id, SET_STATE)
        raise VersionConflict(
            f"contract {contract.contract_id} changed under this job: it read version "
            f"{contract.version} ({contract.state}), the store now holds version "
            f"{current.version} ({current.state}); the job runs again and re-reads it"
        )
    if outcome != "updated":
        raise _invalid(SET_STATE, f"outcome: expected updated or version_conflict, got {outcome!r}")
    updated = _contract(document, contract.contract_id, SET_STATE)
    if updated.state is not target or updated.version != contract.version + 1:
        raise _invalid(
            SET_STATE,
            f"contract: expected {target} at version {contract.version + 1}, got "
            f"{updated.state} at version {updated.version}",
        )
    return updated


def append_history(
    ctx: JobContext, contract_id: str, entry_id: str, entry: Mapping[str, Any]
) -> str:
    """Append ``entry`` to the contract's history once: the store keeps the first entry of
    each ``entry_id`` (``already_recorded`` for a repeat)."""
    request = {"contract_id": contract_id, "entry_id": entry_id, "entry": dict(entry)}
    outcome = _call(ctx, APPEND_HISTORY, request).get("outcome")
    if outcome not in (APPENDED, ALREADY_RECORDED):
        raise _invalid(
            APPEND_HISTORY, f"outcome: expected {APPENDED} or {ALREADY_RECORDED}, got {outcome!r}"
        )
    return str(outcome)


def record_transition(ctx: JobContext, contract: Contract) -> str:
    """Make sure the contract's last transition is in its history (``none`` if it has
    none). Entries are keyed by version, so this repeats harmlessly: a retry after the
    state changed but before the history was written fills the gap."""
    transition = contract.last_transition
    if transition is None:
        return "none"
    entry_id = f"{contract.contract_id}:v{transition.version}"
    return append_history(ctx, contract.contract_id, entry_id, transition.history_entry())


def _call(ctx: JobContext, operation: str, request: dict[str, Any]) -> Mapping[str, Any]:
    response = ctx.connector(STORE_CONNECTOR_ID).call(
        operation, {"tenant_id": str(ctx.tenant_id), **request}
    )
    if not isinstance(response, Mapping):
        raise _invalid(operation, f"expected an object, got {type(response).__name__}")
    return response


def _contract(document: Any, contract_id: str, operation: str) -> Contract:
    if not isinstance(document, Mapping):
        raise _invalid(operation, f"contract: expected an object, got {_type(document)}")
    if document.get("contract_id") != contract_id:
        raise _invalid(
            operation,
            f"contract.contract_id: expected {contract_id!r}, got {document.get('contract_id')!r}",
        )
    state = _state(document.get("state"), operation, "contract.state")
    version = _version(document.get("version"), operation, "contract.version")
    terms = None
    if document.get("terms") is not None:
        try:
            terms = parse_terms(document["terms"], "contract.terms")
        except TermsProblem as exc:
            raise _invalid(operation, str(exc)) from None
    transition = document.get("last_transition")
    return Contract(
        contract_id=contract_id,
        state=state,
        version=version,
        terms=terms,
        last_transition=None if transition is None else _transition(transition, operation),
    )


def _transition(document: Any, operation: str) -> Transition:
    label = "contract.last_transition"
    if not isinstance(document, Mapping):
        raise _invalid(operation, f"{label}: expected an object or null, got {_type(document)}")
    from_value = document.get("from")
    at = document.get("at")
    try:
        parse_time(at, f"{label}.at")
    except TermsProblem as exc:
        raise _invalid(operation, str(exc)) from None
    reason = document.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _invalid(operation, f"{label}.reason: expected a string or null, got {_type(reason)}")
    return Transition(
        from_state=None if from_value is None else _state(from_value, operation, f"{label}.from"),
        to_state=_state(document.get("to"), operation, f"{label}.to"),
        at=str(at),
        version=_version(document.get("version"), operation, f"{label}.version"),
        reason=reason,
    )


def _state(value: Any, operation: str, label: str) -> State:
    state = state_named(value)
    if state is None:
        states = ", ".join(STATE_NAMES)
        raise _invalid(operation, f"{label}: expected one of {states}, got {value!r}")
    return state


def _version(value: Any, operation: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(operation, f"{label}: expected an integer from 1, got {value!r}")
    return value


def _invalid(operation: str, detail: str) -> InvalidStoreResponse:
    return InvalidStoreResponse(f"{STORE_CONNECTOR_ID}.{operation}: {detail}")


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__
