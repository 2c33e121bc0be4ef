"""Signed webhooks into the ingress: a delivery becomes its source's job or event, once."""

from __future__ import annotations

import time

from jobforge.connectors.webhooks import WebhookSecret, new_message_id
from jobforge.server.webhook_sources import WebhookSource
from tests.integration.server.support import IngressWorld, problem, running_server
from tests.integration.server.webhook_support import deliver, job_ids, webhook_server


def test_a_delivery_becomes_one_job_and_its_retry_finds_it(world: IngressWorld) -> None:
    secret = WebhookSecret.generate()
    message_id = new_message_id()
    body = {"invoice": "in_1", "amount": 1200}
    with webhook_server(world, secret) as server:
        first = deliver(server, "billing", body, secret, message_id=message_id)
        # The sender's retry: same id and body, signed again a little later.
        retry = deliver(
            server, "billing", body, secret, message_id=message_id, timestamp=int(time.time()) + 5
        )
    assert first.status_code == 200, first.text
    assert first.json()["message_id"] == message_id
    assert first.json()["jobs"][0]["created"] is True
    assert retry.status_code == 200, retry.text
    assert job_ids(retry) == job_ids(first)
    assert retry.json()["jobs"][0]["created"] is False
    [job] = world.jobs_of(world.tenant_a)
    assert (job["type"], job["payload"], job["idempotency_key"]) == (
        "billing.webhook", body, message_id
    )  # fmt: skip


def test_an_event_source_is_routed_by_the_tenants_triggers(world: IngressWorld) -> None:
    with world.owner() as owner:
        owner.create_trigger(
            tenant_id=world.tenant_a, name="crm", event_type="user.signed_up", job_type="crm.sync"
        )
    secret = WebhookSecret.generate()
    message_id = new_message_id()
    with webhook_server(world, secret) as server:
        first = deliver(server, "signups", {"user": 9}, secret, message_id=message_id)
        retry = deliver(server, "signups", {"user": 9}, secret, message_id=message_id)
        not_an_object = deliver(server, "signups", [1, 2], secret)
    assert first.json()["jobs"][0]["job_type"] == "crm.sync"
    assert job_ids(retry) == job_ids(first)
    problem(not_an_object, 422)
    [job] = world.jobs_of(world.tenant_a)
    assert job["payload"] == {"user": 9}


def test_during_a_rotation_both_secrets_are_accepted(world: IngressWorld) -> None:
    old, new = WebhookSecret.generate(), WebhookSecret.generate()
    source = WebhookSource(
        name="billing", tenant_id=world.tenant_a, secret=new, previous_secret=old,
        job_type="billing.webhook",
    )  # fmt: skip
    with running_server(world.settings(webhook_sources=(source,))) as server:
        assert deliver(server, "billing", {"n": 1}, old).status_code == 200
        assert deliver(server, "billing", {"n": 2}, new).status_code == 200
        problem(deliver(server, "billing", {"n": 3}, WebhookSecret.generate()), 401)
    assert sorted(job["payload"]["n"] for job in world.jobs_of(world.tenant_a)) == [1, 2]


def test_a_body_that_is_not_json_is_refused_after_verification(world: IngressWorld) -> None:
    secret = WebhookSecret.generate()
    with webhook_server(world, secret) as server:
        refused = deliver(server, "billing", b"\xff not json", secret)
    assert problem(refused, 422)["errors"][0]["pointer"] == ""
    assert world.jobs_of(world.tenant_a) == []
