"""The ways a Settler job fails on purpose, each with the error kind the job records.

Refusals are final (``NonRetryableError``): the same request would be refused again. Two
failures are retried, because time or another writer will change the answer: a
contract changed under the job (``contract_version_conflict``) and a reminder run before
it is due (``reminder_not_due``, retried when it is).
"""

from __future__ import annotations

from collections.abc import Sequence

from jobforge.errors import JobForgeError, NonRetryableError


class SettlerError(NonRetryableError):
    """Root of the Settler runner's refusals; ``error_kind`` is what the worker records."""

    error_kind = "settler_error"


class InvalidContractInput(SettlerError):
    """The payload passed the input schema but breaks a rule the schema cannot state
    (a date that does not exist, an end before the start, a time in the future)."""

    error_kind = "invalid_input"


class IllegalTransition(SettlerError):
    """The transition table has no edge from the contract's state to the requested one."""

    error_kind = "illegal_transition"

    def __init__(
        self, from_state: str, to_state: str, allowed: Sequence[str], subject: str
    ) -> None:
        self.from_state = from_state
        self.to_state = to_state
        self.allowed = tuple(allowed)
        if not self.allowed:
            targets = f"{from_state} is final: no transition leaves it"
        else:
            targets = f"from {from_state} it may go to {_one_of(self.allowed)}"
        super().__init__(f"{subject}: illegal transition {from_state} -> {to_state}; {targets}")


class StaleTransition(SettlerError):
    """The payload's ``from`` is not the contract's state: the request was made against an
    older view of the contract."""

    error_kind = "stale_transition"


class TermEnded(SettlerError):
    """An activation whose term has already ended: there is nothing left to activate."""

    error_kind = "term_ended"


class ContractNotFound(SettlerError):
    """The store has no contract with that id for the job's tenant."""

    error_kind = "contract_not_found"


class InvalidStoreResponse(SettlerError):
    """The ``settler.store`` connector answered with something the runner cannot act on."""

    error_kind = "invalid_store_response"


class VersionConflict(JobForgeError):
    """The contract changed between the job reading it and writing it (optimistic check).

    Retried: the next attempt reads the contract again and decides afresh.
    """

    error_kind = "contract_version_conflict"


class ReminderNotDue(JobForgeError):
    """A reminder ran before its due time; it runs again when it is due."""

    error_kind = "reminder_not_due"

    def __init__(self, message: str, *, retry_in_seconds: float) -> None:
        super().__init__(message)
        self.retry_in_seconds = retry_in_seconds


def _one_of(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} or {names[-1]}"
