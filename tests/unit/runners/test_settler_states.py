"""The Settler state machine: the table as documented, and no sequence of requests that
leaves it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.errors import NonRetryableError
from jobforge.runners.settler.errors import IllegalTransition
from jobforge.runners.settler.states import (
    INITIAL_STATE,
    TRANSITIONS,
    State,
    allowed_targets,
    check_transition,
    is_final,
    reachable_from,
    state_named,
)

# The table as docs/integrations/settler.md states it, written out independently.
DOCUMENTED = {
    ("draft", "draft"), ("draft", "sent"), ("draft", "terminated"),
    ("sent", "draft"), ("sent", "signed"), ("sent", "terminated"),
    ("signed", "active"), ("signed", "terminated"),
    ("active", "active"), ("active", "expired"), ("active", "terminated"),
    ("expired", "active"),
}  # fmt: skip


def test_the_table_is_the_documented_one() -> None:
    table = {(str(a), str(b)) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == DOCUMENTED
    assert set(TRANSITIONS) == set(State)


def test_every_state_is_reachable_from_draft_and_only_terminated_is_final() -> None:
    assert reachable_from(INITIAL_STATE) == frozenset(State)
    assert [state for state in State if is_final(state)] == [State.TERMINATED]
    assert reachable_from(State.TERMINATED) == {State.TERMINATED}
    # expired leads back only through a renewal to active.
    assert allowed_targets(State.EXPIRED) == (State.ACTIVE,)


def test_allowed_targets_are_in_lifecycle_order() -> None:
    assert allowed_targets(State.ACTIVE) == (State.ACTIVE, State.EXPIRED, State.TERMINATED)
    assert allowed_targets(State.SENT) == (State.DRAFT, State.SIGNED, State.TERMINATED)


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (
            State.SIGNED,
            State.DRAFT,
            "contract c-1: illegal transition signed -> draft; "
            "from signed it may go to active or terminated",
        ),
        (
            State.TERMINATED,
            State.ACTIVE,
            "contract c-1: illegal transition terminated -> active; "
            "terminated is final: no transition leaves it",
        ),
        (
            State.EXPIRED,
            State.TERMINATED,
            "contract c-1: illegal transition expired -> terminated; "
            "from expired it may go to active",
        ),
        (
            State.DRAFT,
            State.ACTIVE,
            "contract c-1: illegal transition draft -> active; "
            "from draft it may go to draft, sent or terminated",
        ),
    ],
)
def test_an_illegal_transition_names_both_states_and_the_allowed_targets(
    current: State, target: State, message: str
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        check_transition(current, target, subject="contract c-1")
    assert str(caught.value) == message
    assert caught.value.error_kind == "illegal_transition"
    assert isinstance(caught.value, NonRetryableError)


def test_state_named_knows_only_the_six_states() -> None:
    assert state_named("active") is State.ACTIVE
    assert state_named("Active") is None
    assert state_named("archived") is None
    assert state_named(3) is None


@given(st.lists(st.sampled_from(list(State)), max_size=60))
def test_no_sequence_of_requests_leaves_the_table(requests: list[State]) -> None:
    """Apply any requests in turn, as the handler does: a legal one moves the contract, an
    illegal one raises a NonRetryableError naming from, to and the allowed targets and
    leaves the contract where it was."""
    reachable = reachable_from(INITIAL_STATE)
    state = INITIAL_STATE
    for target in requests:
        allowed = allowed_targets(state)
        if (str(state), str(target)) in DOCUMENTED:
            state = check_transition(state, target)
            assert state is target
        else:
            with pytest.raises(IllegalTransition) as caught:
                check_transition(state, target)
            error = caught.value
            assert isinstance(error, NonRetryableError)
            assert (error.from_state, error.to_state) == (str(state), str(target))
            assert error.allowed == tuple(str(s) for s in allowed)
            assert f"{state} -> {target}" in str(error)
            assert all(str(s) in str(error) for s in allowed)
        assert state in reachable
        if is_final(state):
            assert allowed_targets(state) == ()
