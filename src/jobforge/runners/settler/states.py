"""A contract's states and the transitions between them: a table, and nothing else.

``draft`` is where every contract starts. ``terminated`` is final. ``expired`` is final
but for one way out: a renewal, ``expired -> active`` with new terms. The two self-loops,
``draft -> draft`` and ``active -> active``, change a contract's terms without changing
its state (revising a draft, renewing or amending an active contract); asking for the
state a contract is already in with no new terms is not a transition at all (the
handler answers ``unchanged``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from jobforge.runners.settler.errors import IllegalTransition


class State(StrEnum):
    """A contract's lifecycle state, in lifecycle order."""

    DRAFT = "draft"
    SENT = "sent"
    SIGNED = "signed"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


INITIAL_STATE = State.DRAFT
STATE_NAMES = tuple(state.value for state in State)

TRANSITIONS: Mapping[State, frozenset[State]] = MappingProxyType(
    {
        State.DRAFT: frozenset({State.DRAFT, State.SENT, State.TERMINATED}),
        State.SENT: frozenset({State.DRAFT, State.SIGNED, State.TERMINATED}),
        State.SIGNED: frozenset({State.ACTIVE, State.TERMINATED}),
        State.ACTIVE: frozenset({State.ACTIVE, State.EXPIRED, State.TERMINATED}),
        State.EXPIRED: frozenset({State.ACTIVE}),
        State.TERMINATED: frozenset(),
    }
)
"""Each state, and the states a contract in it may move to."""

# The targets that may bring new terms with them (see the module docstring).
TERMS_TARGETS = frozenset({State.DRAFT, State.ACTIVE})


def state_named(name: object) -> State | None:
    """The state called ``name``, or None if there is none."""
    return State(name) if isinstance(name, str) and name in STATE_NAMES else None


def allowed_targets(state: State) -> tuple[State, ...]:
    """The states ``state`` may move to, in lifecycle order."""
    return tuple(target for target in State if target in TRANSITIONS[state])


def is_final(state: State) -> bool:
    """True for a state no transition leaves."""
    return not TRANSITIONS[state]


def check_transition(current: State, target: State, *, subject: str = "contract") -> State:
    """``target`` if the table lets ``current`` move to it, else IllegalTransition naming
    both states and the allowed targets."""
    if target not in TRANSITIONS[current]:
        allowed = [str(state) for state in allowed_targets(current)]
        raise IllegalTransition(str(current), str(target), allowed, subject)
    return target


def reachable_from(start: State = INITIAL_STATE) -> frozenset[State]:
    """Every state a contract starting in ``start`` can reach through the table."""
    seen = {start}
    frontier = [start]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return frozenset(seen)
