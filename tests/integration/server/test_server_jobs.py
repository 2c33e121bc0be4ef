"""The ingress's job and event endpoints over real HTTP, against a real PostgreSQL."""

from __future__ import annotations

import uuid

from tests.integration.server.support import IngressWorld, RunningServer, problem
from tests.integration.support import claim, complete, connect


def test_a_job_is_enqueued_read_and_found_again_by_its_idempotency_key(
    world: IngressWorld, server: RunningServer
) -> None:
    key = world.key(world.tenant_a)
    with server.client(key) as http:
        created = http.post(
            "/v1/jobs",
            json={"type": "billing.charge", "payload": {"amount": 42}},
            headers={"Idempotency-Key": "charge-42"},
        )
        assert created.status_code == 201, created.text
        receipt = created.json()
        assert receipt["created"] is True
        assert receipt["state"] == "queued"
        assert created.headers["location"] == f"/v1/jobs/{receipt['id']}"

        again = http.post(
            "/v1/jobs",
            json={
                "type": "billing.charge",
                "payload": {"amount": 42},
                "idempotency_key": "charge-42",
            },
        )
        assert again.status_code == 200
        assert again.json()["id"] == receipt["id"]
        assert again.json()["created"] is False

        job = http.get(f"/v1/jobs/{receipt['id']}").json()
    assert job["tenant_id"] == str(world.tenant_a)
    assert job["payload"] == {"amount": 42}
    assert job["idempotency_key"] == "charge-42"
    assert [row["id"] for row in world.jobs_of(world.tenant_a)] == [uuid.UUID(receipt["id"])]


def test_differing_idempotency_keys_in_header_and_body_are_refused(
    world: IngressWorld, server: RunningServer
) -> None:
    with server.client(world.key(world.tenant_a)) as http:
        response = http.post(
            "/v1/jobs",
            json={"type": "a.b", "payload": {}, "idempotency_key": "one"},
            headers={"Idempotency-Key": "two"},
        )
    document = problem(response, 422)
    assert document["type"].endswith("idempotency-key-mismatch")
    assert [e.get("pointer") or e.get("parameter") for e in document["errors"]] == [
        "/idempotency_key",
        "Idempotency-Key",
    ]
    assert world.jobs_of(world.tenant_a) == []


def test_the_result_is_null_until_an_attempt_finishes(
    world: IngressWorld, server: RunningServer
) -> None:
    with server.client(world.key(world.tenant_a)) as http:
        job_id = http.post("/v1/jobs", json={"type": "a.b", "payload": {"n": 1}}).json()["id"]
        pending = http.get(f"/v1/jobs/{job_id}/result")
        assert pending.status_code == 200
        assert pending.json() == {"job_id": job_id, "state": "queued", "result": None}
        with connect(world.owner_url) as owner:
            [claimed] = claim(owner, "w1")
            assert complete(owner, "w1", claimed["id"], 1, {"done": True})
        finished = http.get(f"/v1/jobs/{job_id}/result").json()
    assert finished["state"] == "succeeded"
    assert finished["result"]["attempt"] == 1
    assert finished["result"]["outcome"] == "succeeded"
    assert finished["result"]["output"] == {"done": True}


def test_a_job_is_canceled(world: IngressWorld, server: RunningServer) -> None:
    with server.client(world.key(world.tenant_a)) as http:
        job_id = http.post("/v1/jobs", json={"type": "a.b", "payload": {}}).json()["id"]
        canceled = http.post(f"/v1/jobs/{job_id}/cancel")
    assert canceled.status_code == 200
    assert canceled.json()["state"] == "canceled"
    assert world.jobs_of(world.tenant_a)[0]["state"] == "canceled"


def test_each_operation_needs_its_scope(world: IngressWorld, server: RunningServer) -> None:
    job_id = server_job(world, server)
    enqueue_only = world.key(world.tenant_a, scopes=("enqueue:billing.*",))
    with server.client(enqueue_only) as http:
        assert (
            http.post("/v1/jobs", json={"type": "billing.charge", "payload": {}}).status_code == 201
        )
        refused = http.post("/v1/jobs", json={"type": "ops.scan", "payload": {}})
        assert "enqueue:ops.scan" in problem(refused, 403)["detail"]
        problem(http.post("/v1/jobs", json={"type": "billing", "payload": {}}), 403)
        problem(http.get(f"/v1/jobs/{job_id}"), 403)
        problem(http.get(f"/v1/jobs/{job_id}/result"), 403)
        problem(http.post(f"/v1/jobs/{job_id}/cancel"), 403)
        problem(http.post("/v1/events", json={"type": "e", "payload": {}}), 403)
    types = sorted(row["type"] for row in world.jobs_of(world.tenant_a))
    assert types == ["a.b", "billing.charge"]
    assert world.jobs_of(world.tenant_a)[0]["state"] == "queued"


def server_job(world: IngressWorld, server: RunningServer) -> str:
    with server.client(world.key(world.tenant_a)) as http:
        job_id: str = http.post("/v1/jobs", json={"type": "a.b", "payload": {}}).json()["id"]
    return job_id


def test_an_event_is_routed_by_the_tenants_triggers_once_per_idempotency_key(
    world: IngressWorld, server: RunningServer
) -> None:
    with world.owner() as owner:
        owner.create_trigger(
            tenant_id=world.tenant_a, name="welcome", event_type="user.signed_up",
            job_type="mail.welcome", payload_defaults={"template": "hello"},
        )  # fmt: skip
    event = {"type": "user.signed_up", "payload": {"user": 7}}
    with server.client(world.key(world.tenant_a)) as http:
        first = http.post("/v1/events", json=event, headers={"Idempotency-Key": "signup-7"})
        second = http.post("/v1/events", json={**event, "idempotency_key": "signup-7"})
        unrouted = http.post("/v1/events", json={"type": "nobody.listens", "payload": {}})
    assert first.status_code == 200, first.text
    [routed] = first.json()["jobs"]
    assert routed["job_type"] == "mail.welcome"
    assert routed["created"] is True
    assert second.json()["jobs"] == [{**routed, "created": False}]
    assert unrouted.json() == {"jobs": []}
    [job] = world.jobs_of(world.tenant_a)
    assert job["payload"] == {"template": "hello", "user": 7}
