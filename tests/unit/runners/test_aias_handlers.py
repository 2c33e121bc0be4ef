"""The AIAS handlers in-process, connector calls answered by recordings (as a replay
answers them, failures included): what the goldens cannot show — the fates of a failed
model call, the trace, and the payload checks."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jobforge.connectors.calls import RecordedResponse
from jobforge.errors import ConnectorDeadLetter, ConnectorFailure, NonRetryableError
from jobforge.runners.aias.errors import (
    InvalidModelResponse,
    InvalidRegistryResponse,
    InvalidTaskInput,
    NoAllowedTarget,
    NoCapableTarget,
)
from jobforge.runners.aias.model import StepUnanswered
from jobforge.runners.aias.route import route_task
from jobforge.runners.aias.step import run_step
from tests.unit.runners.aias_support import (
    TENANT,
    Run,
    answer,
    catalogue,
    failure,
    route_payload,
    target,
)

CATALOGUE = (
    target("claude-eu", "summarise", "translate", load=0.35, cost_tier=2, region="eu-central"),
    target("llama-us", "summarise", "translate", load=0.1, region="us-east"),
    target("mistral-eu", "summarise", load=0.2),
    target("review-bot", "code-review", load=0.0, job_type="acme.review.run"),
)
EU_ONLY = {"data_residency": ["eu-west", "eu-central"]}


def routed_step(*required: str, **options: Any) -> dict[str, Any]:
    """The payload of step 0, as the route asks for it."""
    run = Run(route_task, route_payload(*required, **options), [catalogue(*CATALOGUE)])
    run()
    [follow_up] = run.context.follow_ups
    payload: dict[str, Any] = follow_up.payload
    return payload


# ----------------------------------------------------------------- aias.task.route


def test_the_route_asks_the_catalogue_once_and_dispatches_step_zero() -> None:
    payload = route_payload(
        "summarise",
        steps=[{"capability": "summarise"}, {"capability": "translate", "input": "de"}],
        policy=EU_ONLY,
    )
    run = Run(route_task, payload, [catalogue(*CATALOGUE)])
    output = run()
    assert run.calls() == [
        ("list_targets", {"tenant_id": str(TENANT), "capabilities": ["summarise", "translate"]})
    ]
    assert output["plan"] == [
        {"step": 0, "capabilities": ["summarise"], "eligible": 2},
        {"step": 1, "capabilities": ["summarise", "translate"], "eligible": 1},
    ]
    assert (output["route"]["target"], output["route"]["fallbacks"]) == (
        "mistral-eu",
        ["claude-eu"],
    )
    [follow_up] = run.context.follow_ups
    assert (follow_up.job_type, follow_up.idempotency_key, follow_up.run_at) == (
        "aias.step.run",
        "aias:task-1:step:0",
        None,
    )
    assert follow_up.payload["input"] == {"ticket": 4711}
    assert "previous_output" not in follow_up.payload
    assert run.decision_names() == [
        "candidate_incapable",
        "candidate_filtered",
        "route_chosen",
        "step_planned",
    ]
    [filtered] = run.decisions("candidate_filtered")
    assert (filtered["target"], filtered["reasons"], filtered["detail"]) == (
        "llama-us",
        ["data_residency"],
        "region us-east is outside data_residency (eu-central, eu-west)",
    )
    [chosen] = run.decisions("route_chosen")
    assert chosen["reason"] == "the lowest load (0.2) of 2 allowed candidates"


def test_a_step_goes_to_its_targets_own_job_type() -> None:
    run = Run(route_task, route_payload("code-review"), [catalogue(*CATALOGUE)])
    output = run()
    assert output["route"]["job_type"] == "acme.review.run"
    assert [f.job_type for f in run.context.follow_ups] == ["acme.review.run"]


def test_a_later_step_with_nowhere_to_go_fails_the_task_before_anything_runs() -> None:
    payload = route_payload(
        "summarise",
        steps=[{"capability": "summarise"}, {"capability": "translate"}],
        policy={"denied_targets": ["claude-eu", "llama-us"]},
    )
    run = Run(route_task, payload, [catalogue(*CATALOGUE)])
    with pytest.raises(NoAllowedTarget) as caught:
        run()
    assert str(caught.value) == (
        "task task-1 step 1 needs summarise, translate: the tenant's policy refuses every "
        "capable target (claude-eu: in the policy's denied_targets; llama-us: in the "
        "policy's denied_targets)"
    )
    assert isinstance(caught.value, NonRetryableError)
    assert run.context.follow_ups == ()
    assert [e["step"] for e in run.decisions("candidate_filtered")] == [0, 0, 1, 1]


def test_an_empty_catalogue_has_no_capable_target() -> None:
    run = Run(route_task, route_payload("summarise"), [catalogue()])
    with pytest.raises(
        NoCapableTarget, match=r"needs summarise: no target in the catalogue declares them all$"
    ):
        run()


def test_a_long_list_of_incapable_targets_is_cut_short() -> None:
    many = [target(f"t{index}", "other") for index in range(8)]
    run = Run(route_task, route_payload("summarise"), [catalogue(*many)])
    with pytest.raises(NoCapableTarget) as caught:
        run()
    assert str(caught.value).endswith("t4 lacks summarise; and 3 more)")
    assert len(run.decisions("candidate_incapable")) == 8


def test_a_malformed_catalogue_fails_the_route() -> None:
    run = Run(route_task, route_payload("summarise"), [catalogue({"id": "a"})])
    with pytest.raises(InvalidRegistryResponse, match=re.escape("targets[0].job_type")):
        run()


def test_a_payload_the_schema_would_refuse_is_refused_by_the_handler_too() -> None:
    payload = route_payload("summarise")
    payload["task"]["required_capabilities"] = []
    with pytest.raises(InvalidTaskInput, match=re.escape("payload.task.required_capabilities")):
        Run(route_task, payload, [])()


# ----------------------------------------------------------------- aias.step.run


def test_a_failure_handed_on_moves_the_step_to_its_fallback() -> None:
    """fail in the metadata: the handler gets the failure and tries the next target."""
    step = routed_step("summarise", policy=EU_ONLY)
    run = Run(run_step, step, [failure("timeout"), answer({"summary": "ok"})])
    output = run()
    assert run.model_targets() == ["mistral-eu", "claude-eu"]
    assert output["target"] == "claude-eu"
    assert output["fallbacks_taken"] == [
        {"target": "mistral-eu", "error_kind": "connector_timeout"}
    ]
    assert output["chain_complete"] is True
    [fallback] = run.decisions("target_fallback")
    assert (fallback["target"], fallback["next_target"], fallback["error_kind"]) == (
        "mistral-eu",
        "claude-eu",
        "connector_timeout",
    )
    assert run.context.follow_ups == ()


def test_a_queued_failure_is_left_to_the_queue() -> None:
    """queue in the metadata: no fallback, the job runs again after the delay."""
    step = routed_step("summarise", policy=EU_ONLY)
    run = Run(run_step, step, [failure("rate_limit_exceeded", retry_in_seconds=12.0)])
    with pytest.raises(ConnectorFailure) as caught:
        run()
    assert (caught.value.error_kind, caught.value.retry_in_seconds) == (
        "connector_rate_limit_exceeded",
        12.0,
    )
    assert not isinstance(caught.value, NonRetryableError)
    assert run.model_targets() == ["mistral-eu"]
    assert run.decisions("target_fallback") == []


def test_a_dead_lettered_failure_is_final_even_with_fallbacks_left() -> None:
    step = routed_step("summarise", policy=EU_ONLY)
    assert step["fallbacks"] == ["claude-eu"]
    run = Run(run_step, step, [failure("authentication_failed", dead_letter=True)])
    with pytest.raises(ConnectorDeadLetter) as caught:
        run()
    assert caught.value.error_kind == "connector_authentication_failed"
    assert isinstance(caught.value, NonRetryableError)
    assert run.model_targets() == ["mistral-eu"]


def test_when_every_target_fails_the_step_fails_with_the_last_failure() -> None:
    step = routed_step("summarise", policy=EU_ONLY)
    run = Run(run_step, step, [failure("timeout"), failure("server_error")])
    with pytest.raises(ConnectorFailure) as caught:
        run()
    assert type(caught.value) is ConnectorFailure
    assert (caught.value.type, caught.value.error_kind, caught.value.retry_in_seconds) == (
        "server_error",
        "connector_server_error",
        None,
    )
    assert str(caught.value) == (
        "task task-1 step 0: no target answered: mistral-eu (connector_timeout), "
        "claude-eu (connector_server_error)"
    )
    fallbacks = run.decisions("target_fallback")
    assert [(e["target"], e["next_target"]) for e in fallbacks] == [
        ("mistral-eu", "claude-eu"),
        ("claude-eu", None),
    ]


def test_when_no_target_answers_at_all_the_step_is_retried_later() -> None:
    step = routed_step("summarise", policy=EU_ONLY)
    run = Run(run_step, step, [answer(None), answer(None)])
    with pytest.raises(StepUnanswered, match=re.escape("mistral-eu (no_response), claude-eu")):
        run()
    assert not isinstance(StepUnanswered("x"), NonRetryableError)


@pytest.mark.parametrize(
    ("response", "message"),
    [([1], "got list"), ({"result": 1}, "got keys result"), ({}, "got keys none")],
)
def test_a_model_answer_without_an_output_fails_the_step(response: Any, message: str) -> None:
    step = routed_step("summarise", policy=EU_ONLY)
    run = Run(run_step, step, [RecordedResponse("aias.model", "run_step", response)])
    with pytest.raises(InvalidModelResponse, match=message):
        run()


def test_a_step_hands_its_output_and_the_next_steps_own_input_on() -> None:
    step = routed_step(
        "summarise",
        steps=[{"capability": "summarise"}, {"capability": "translate", "input": "de"}],
        policy=EU_ONLY,
    )
    run = Run(run_step, step, [answer("summary"), catalogue(*CATALOGUE)])
    output = run()
    model_request = run.calls()[0][1]
    assert (model_request["input"], model_request["previous_output"]) == ({"ticket": 4711}, None)
    assert run.calls()[1] == (
        "list_targets",
        {"tenant_id": str(TENANT), "capabilities": ["summarise", "translate"]},
    )
    [follow_up] = run.context.follow_ups
    assert follow_up.idempotency_key == "aias:task-1:step:1"
    assert follow_up.payload["input"] == "de"
    assert follow_up.payload["previous_output"] == "summary"
    assert follow_up.payload["chain"] == step["chain"]
    assert output["next"]["target"] == "claude-eu"
    assert output["chain_complete"] is False

    last = Run(run_step, follow_up.payload, [answer("Zusammenfassung")])
    finished = last()
    assert last.calls()[0][1]["previous_output"] == "summary"
    assert (finished["next"], finished["chain_complete"]) == (None, True)
    assert last.decision_names() == ["step_answered", "chain_complete"]


def test_a_step_tries_each_target_once() -> None:
    step = {**routed_step("summarise", policy=EU_ONLY), "fallbacks": ["mistral-eu", "claude-eu"]}
    run = Run(run_step, step, [failure("timeout"), failure("timeout")])
    with pytest.raises(ConnectorFailure):
        run()
    assert run.model_targets() == ["mistral-eu", "claude-eu"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"step": 1}, "payload.step: 1 is past the end of a chain of 1 step"),
        ({"step": -1}, "payload.step: expected an integer from 0"),
        (
            {"capabilities": ["translate"]},
            "payload.capabilities: step 0 of this chain needs summarise",
        ),
        ({"target": ""}, "payload.target"),
        ({"task_id": None}, "payload.task_id"),
        ({"chain": {"kind": "x"}}, "payload.chain.agent"),
    ],
)
def test_a_step_payload_at_odds_with_its_chain_is_refused(
    change: dict[str, Any], message: str
) -> None:
    step = {**routed_step("summarise", policy=EU_ONLY), **change}
    run = Run(run_step, step, [])
    with pytest.raises(InvalidTaskInput, match=re.escape(message)):
        run()
    assert run.calls() == []


def test_a_chain_longer_than_the_longest_is_refused() -> None:
    payload = route_payload("summarise", steps=[{"capability": "summarise"}] * 33)
    with pytest.raises(InvalidTaskInput, match="a task has at most 32 steps, got 33"):
        Run(route_task, payload, [])()
