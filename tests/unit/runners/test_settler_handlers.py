"""The Settler handlers, run in-process on a real JobContext whose ``settler.store`` calls
are answered by recordings (as a replay answers them): the paths the goldens do not show."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from jobforge.connectors.calls import RecordedResponse
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorSession, UnrecordedConnectorCall
from jobforge.context import JobContext
from jobforge.determinism.trace import HANDLER_SOURCE, DecisionTrace
from jobforge.errors import NonRetryableError
from jobforge.runners.settler.advance import advance_contract
from jobforge.runners.settler.errors import (
    ContractNotFound,
    IllegalTransition,
    InvalidContractInput,
    InvalidStoreResponse,
    ReminderNotDue,
    VersionConflict,
)
from jobforge.runners.settler.names import RUNNER_ID, STORE_CONNECTOR_ID
from jobforge.runners.settler.remind import remind_contract

NOW = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)
TERMS = {"start": "2025-04-01T00:00:00Z", "end": "2026-04-01T00:00:00Z", "renewal_notice_days": 60}


def contract(state: str, version: int, terms: Any = None, **last: Any) -> dict[str, Any]:
    """A contract document as the store answers with it; ``last`` overrides fields of its
    last transition (by default: created in ``state`` at ``version``)."""
    transition = {
        "from": None,
        "to": state,
        "at": "2025-03-01T00:00:00Z",
        "version": version,
        "reason": None,
        **last,
    }
    return {
        "contract_id": "c-1",
        "state": state,
        "version": version,
        "terms": terms,
        "last_transition": transition,
    }


def updated(document: dict[str, Any]) -> dict[str, Any]:
    return {"outcome": "updated", "contract": document}


APPENDED = ("append_history", {"outcome": "appended"})


class Run:
    """One handler call answered by ``responses`` ((operation, response), in order)."""

    def __init__(
        self,
        handler: Any,
        payload: Any,
        responses: Sequence[tuple[str, Any]],
        *,
        now: datetime = NOW,
    ) -> None:
        self.trace = DecisionTrace(RUNNER_ID)
        recordings = [
            RecordedResponse(STORE_CONNECTOR_ID, op, response) for op, response in responses
        ]
        self.session = ConnectorSession(ConnectorRegistry(), recordings, self.trace.record)
        self.context = JobContext(
            job_id=uuid.UUID(int=1),
            tenant_id=uuid.UUID(int=2),
            job_type="settler.contract.test",
            attempt=1,
            max_attempts=3,
            trace_id="trace",
            worker_id="test",
            now=now,
            seed=0,
            trace=self.trace,
            runner_id=RUNNER_ID,
            connectors=self.session,
        )
        self.handler = handler
        self.payload = payload

    def __call__(self) -> Any:
        return self.handler(self.payload, self.context)

    def calls(self) -> list[tuple[str, Any]]:
        return [(exchange.operation, exchange.request) for exchange in self.session.exchanges()]

    def decisions(self) -> list[str]:
        return [e["decision"] for e in self.trace.events() if e["source"] == HANDLER_SOURCE]

    def follow_ups(self) -> list[tuple[str, Any, str, datetime | None]]:
        return [
            (f.job_type, f.payload, f.idempotency_key, f.run_at) for f in self.context.follow_ups
        ]


def test_an_activation_asks_for_both_reminders_with_their_keys_and_times() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "active", "terms": TERMS},
        [
            ("get_contract", {"contract": contract("signed", 3)}),
            ("set_state", updated(contract("active", 4, TERMS, **{"from": "signed"}))),
            APPENDED,
        ],
    )
    output = run()
    assert output["outcome"] == "changed"
    assert run.follow_ups() == [
        (
            "settler.contract.remind",
            {"contract_id": "c-1", "kind": "renewal", "due": "2026-01-31T00:00:00Z"},
            "settler:c-1:renewal:2026-01-31T00:00:00Z",
            datetime(2026, 1, 31, tzinfo=UTC),
        ),
        (
            "settler.contract.remind",
            {"contract_id": "c-1", "kind": "expiry", "due": "2026-04-01T00:00:00Z"},
            "settler:c-1:expiry:2026-04-01T00:00:00Z",
            datetime(2026, 4, 1, tzinfo=UTC),
        ),
    ]
    assert run.decisions() == ["transition", "reminder", "reminder"]
    operation, request = run.calls()[1]
    assert operation == "set_state"
    assert request == {
        "tenant_id": str(uuid.UUID(int=2)),
        "contract_id": "c-1",
        "expected_version": 3,
        "state": "active",
        "terms": TERMS,
        "transition": {
            "from": "signed",
            "to": "active",
            "at": "2025-04-01T09:30:00Z",
            "reason": None,
        },
    }


def test_a_version_conflict_is_retried_and_says_what_changed() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "terminated"},
        [
            ("get_contract", {"contract": contract("active", 4, TERMS)}),
            (
                "set_state",
                {"outcome": "version_conflict", "contract": contract("expired", 5, TERMS)},
            ),
        ],
    )
    with pytest.raises(VersionConflict) as caught:
        run()
    assert not isinstance(caught.value, NonRetryableError)
    assert caught.value.error_kind == "contract_version_conflict"
    assert "it read version 4 (active), the store now holds version 5 (expired)" in str(
        caught.value
    )
    assert run.follow_ups() == []


def test_a_store_that_skips_a_version_is_not_believed() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "sent"},
        [
            ("get_contract", {"contract": contract("draft", 1)}),
            ("set_state", updated(contract("sent", 3))),
        ],
    )
    with pytest.raises(
        InvalidStoreResponse, match=r"expected sent at version 2, got sent at version 3"
    ):
        run()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            {"contract": {**contract("draft", 1), "contract_id": "c-2"}},
            "contract.contract_id: expected 'c-1', got 'c-2'",
        ),
        (
            {"contract": {**contract("draft", 1), "state": "archived"}},
            "contract.state: expected one of draft, sent",
        ),
        (
            {"contract": {**contract("draft", 1), "version": 0}},
            "contract.version: expected an integer from 1, got 0",
        ),
        (
            {"contract": {**contract("draft", 1), "terms": {"start": "soon", "end": None}}},
            "contract.terms.start: 'soon' is not a valid RFC 3339 time",
        ),
        (["not", "an", "object"], "settler.store.get_contract: expected an object, got list"),
    ],
)
def test_a_malformed_store_answer_fails_the_job_naming_the_field(answer: Any, message: str) -> None:
    run = Run(advance_contract, {"contract_id": "c-1", "to": "sent"}, [("get_contract", answer)])
    with pytest.raises(InvalidStoreResponse) as caught:
        run()
    assert message in str(caught.value)


def test_an_unknown_contract_fails_without_writing() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "sent"},
        [("get_contract", {"contract": None})],
    )
    with pytest.raises(ContractNotFound, match="the store has no contract 'c-1' for this tenant"):
        run()
    assert [operation for operation, _ in run.calls()] == ["get_contract"]


def test_terms_change_only_with_a_move_to_draft_or_active() -> None:
    changed_terms = {**TERMS, "end": "2027-04-01T00:00:00Z"}
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "signed", "terms": changed_terms},
        [("get_contract", {"contract": contract("sent", 2, TERMS)})],
    )
    with pytest.raises(InvalidContractInput, match=r"not with sent -> signed"):
        run()


def test_the_same_terms_spelled_otherwise_are_no_change() -> None:
    same = {
        "start": "2025-04-01T02:00:00+02:00",
        "end": "2026-04-01T00:00:00Z",
        "renewal_notice_days": 60,
    }
    signed = contract("signed", 3, TERMS, **{"from": "sent"})
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "signed", "terms": same},
        [
            ("get_contract", {"contract": signed}),
            ("append_history", {"outcome": "already_recorded"}),
        ],
    )
    output = run()
    assert (output["outcome"], output["history"], output["reminders"]) == (
        "unchanged",
        "already_recorded",
        [],
    )
    assert run.follow_ups() == []


def test_a_same_state_request_with_new_terms_is_illegal_outside_draft_and_active() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "sent", "terms": {**TERMS, "renewal_notice_days": 10}},
        [("get_contract", {"contract": contract("sent", 2, TERMS)})],
    )
    with pytest.raises(
        IllegalTransition,
        match=r"sent -> sent; from sent it may go to draft, signed or terminated",
    ):
        run()


def test_renewing_an_active_contract_schedules_reminders_for_the_new_end() -> None:
    renewed = {**TERMS, "end": "2027-04-01T00:00:00Z"}
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "active", "terms": renewed, "reason": "renewed early"},
        [
            ("get_contract", {"contract": contract("active", 4, TERMS)}),
            ("set_state", updated(contract("active", 5, renewed, **{"from": "active"}))),
            APPENDED,
        ],
    )
    output = run()
    assert (output["outcome"], output["from"], output["to"], output["version"]) == (
        "changed",
        "active",
        "active",
        5,
    )
    assert [key for _, _, key, _ in run.follow_ups()] == [
        "settler:c-1:renewal:2027-01-31T00:00:00Z",
        "settler:c-1:expiry:2027-04-01T00:00:00Z",
    ]


def test_a_retried_activation_past_the_end_still_expires_the_contract_at_once() -> None:
    """The activation happened while the term ran; its retry comes after the end: no
    renewal reminder any more, but the expiry must still happen, now."""
    later = datetime(2026, 5, 1, tzinfo=UTC)
    active = contract("active", 4, TERMS, **{"from": "signed"})
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "active"},
        [("get_contract", {"contract": active}), ("append_history", {"outcome": "appended"})],
        now=later,
    )
    output = run()
    assert output["outcome"] == "unchanged"
    assert output["history"] == "appended"  # the gap the first attempt left is filled
    assert [(r["kind"], r["action"]) for r in output["reminders"]] == [
        ("renewal", "skipped"),
        ("expiry", "scheduled"),
    ]
    assert run.follow_ups() == [
        (
            "settler.contract.remind",
            {"contract_id": "c-1", "kind": "expiry", "due": "2026-04-01T00:00:00Z"},
            "settler:c-1:expiry:2026-04-01T00:00:00Z",
            later,
        )
    ]


def test_a_contract_without_a_last_transition_writes_no_history_when_unchanged() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "draft"},
        [("get_contract", {"contract": {**contract("draft", 1), "last_transition": None}})],
    )
    assert run()["history"] == "none"
    assert [operation for operation, _ in run.calls()] == ["get_contract"]


@pytest.mark.parametrize(
    ("payload", "stored", "message"),
    [
        (
            {"to": "sent", "at": "2025-04-01T09:30:01Z"},
            contract("draft", 1),
            "payload.at: 2025-04-01T09:30:01Z is after the job's time 2025-04-01T09:30:00Z",
        ),
        ({"to": "active"}, contract("signed", 3), "activating contract c-1 needs terms"),
        (
            {"to": "sent", "at": "2025-02-29T00:00:00Z"},
            contract("draft", 1),
            "payload.at: '2025-02-29T00:00:00Z' is not a valid RFC 3339 time",
        ),
    ],
)
def test_requests_the_schema_cannot_refuse_are_refused_by_the_handler(
    payload: dict[str, Any], stored: dict[str, Any], message: str
) -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", **payload},
        [("get_contract", {"contract": stored})],
    )
    with pytest.raises(InvalidContractInput) as caught:
        run()
    assert message in str(caught.value)
    assert caught.value.error_kind == "invalid_input"
    assert "set_state" not in [operation for operation, _ in run.calls()]


def test_an_earlier_at_dates_the_transition() -> None:
    run = Run(
        advance_contract,
        {"contract_id": "c-1", "to": "signed", "at": "2025-03-28T14:02:11+01:00"},
        [
            ("get_contract", {"contract": contract("sent", 2)}),
            (
                "set_state",
                updated(contract("signed", 3, **{"from": "sent", "at": "2025-03-28T13:02:11Z"})),
            ),
            APPENDED,
        ],
    )
    assert run()["at"] == "2025-03-28T13:02:11Z"
    assert run.calls()[1][1]["transition"]["at"] == "2025-03-28T13:02:11Z"


def test_a_reminder_run_early_is_retried_when_it_is_due() -> None:
    run = Run(
        remind_contract,
        {"contract_id": "c-1", "kind": "renewal", "due": "2026-01-31T00:00:00Z"},
        [("get_contract", {"contract": contract("active", 4, TERMS)})],
        now=datetime(2026, 1, 30, 23, 59, 30, tzinfo=UTC),
    )
    with pytest.raises(ReminderNotDue) as caught:
        run()
    assert not isinstance(caught.value, NonRetryableError)
    assert caught.value.retry_in_seconds == 30.0


def test_a_renewal_reminder_of_terms_without_a_notice_period_is_skipped() -> None:
    run = Run(
        remind_contract,
        {"contract_id": "c-1", "kind": "renewal", "due": "2026-01-31T00:00:00Z"},
        [
            (
                "get_contract",
                {"contract": contract("active", 5, {**TERMS, "renewal_notice_days": 0})},
            )
        ],
        now=datetime(2026, 1, 31, tzinfo=UTC),
    )
    output = run()
    assert (output["outcome"], output["reason"]) == (
        "skipped",
        "the contract's current terms have no renewal due",
    )
    assert run.decisions() == ["reminder_skipped"]


def test_a_reminder_makes_no_call_it_was_not_answered_for() -> None:
    """The recordings are the whole conversation: a call beyond them fails the replay."""
    run = Run(
        remind_contract,
        {"contract_id": "c-1", "kind": "expiry", "due": "2026-04-01T00:00:00Z"},
        [("get_contract", {"contract": contract("active", 4, TERMS)})],
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )
    with pytest.raises(UnrecordedConnectorCall, match="set_state"):
        run()
