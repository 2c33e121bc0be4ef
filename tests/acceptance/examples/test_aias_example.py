"""examples/integrations/aias_example.py, run as its docs page says: one command, from the
repository root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

from tests.acceptance.examples.support import run_example


def test_the_example_routes_a_chain_falls_back_refuses_and_reproduces() -> None:
    out = run_example("aias")
    assert "aias.task.route routed step 0 to mistral-eu (aias.step.run)" in out
    for step, target in enumerate(["mistral-eu", "claude-eu", "mistral-eu"]):
        assert f"aias.step.run step {step} on {target}" in out
        assert f"trace agent-run-support, idempotency key aias:ticket-4711:step:{step}\n" in out
    assert "step 1 on claude-eu, after mistral-eu failed (connector_timeout)" in out
    assert (
        "aias.task.route dead: no_allowed_target: task pr-981 step 0 needs code-review: the "
        "tenant's policy refuses every capable target (review-bot: region us-east is outside "
        "data_residency (eu-central, eu-west))"
    ) in out
    assert "The support reply enqueued again made no new step" in out
    assert "Replay of the route (aias.task.route): reproduced" in out
    assert "Replay of the step that fell back (aias.step.run): reproduced" in out
    assert out.rstrip().endswith("The throwaway database is gone.")
