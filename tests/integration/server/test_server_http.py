"""What every request meets: keys, problem documents, body and rate limits, metrics,
mounted apps and the OpenAPI document."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from tests.integration.server.support import (
    IngressWorld,
    RunningServer,
    problem,
    running_server,
)
from tests.integration.support import connect


def test_requests_without_a_valid_key_are_refused_alike(
    world: IngressWorld, server: RunningServer
) -> None:
    revoked = world.key(world.tenant_a)
    with connect(world.owner_url) as owner:
        owner.execute(
            "SELECT * FROM jobforge.jobforge_revoke_api_key(%s, %s, 'test')",
            (world.tenant_a, revoked.key_id),
        )
    valid = world.key(world.tenant_a)
    one_off = valid.text[:-2] + ("AA" if not valid.text.endswith("AA") else "BA")
    for authorization in (None, "Basic dXNlcjpwdw==", "Bearer nonsense", f"Bearer {one_off}",
                          f"Bearer {revoked.text}"):  # fmt: skip
        headers = {} if authorization is None else {"Authorization": authorization}
        with server.client() as http:
            response = http.post("/v1/jobs", json={"type": "a.b", "payload": {}}, headers=headers)
        document = problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert document["detail"] in (
            "invalid API key",
            "send an API key: Authorization: Bearer jf_...",
        )
    assert world.jobs_of(world.tenant_a) == []


def test_health_needs_no_key(server: RunningServer) -> None:
    with server.client() as http:
        response = http.get("/healthz")
    assert response.json() == {"status": "ok"}


def test_every_error_is_a_problem_document(world: IngressWorld, server: RunningServer) -> None:
    with server.client(world.key(world.tenant_a)) as http:
        unknown_field = problem(
            http.post("/v1/jobs", json={"type": "a.b", "payload": {}, "tenant_id": "x"}), 422
        )
        assert {"pointer": "/tenant_id", "detail": "Extra inputs are not permitted"} in (
            unknown_field["errors"]
        )
        bad_type = problem(http.post("/v1/jobs", json={"type": "A B", "payload": {}}), 422)
        assert [e["pointer"] for e in bad_type["errors"]] == ["/type"]
        missing = problem(http.post("/v1/jobs", json={"type": "a.b"}), 422)
        assert [e["pointer"] for e in missing["errors"]] == ["/payload"]
        not_json = problem(
            http.post("/v1/jobs", content=b"{nope", headers={"Content-Type": "application/json"}),
            422,
        )
        assert not_json["errors"][0]["pointer"] == ""
        naive = problem(
            http.post(
                "/v1/jobs", json={"type": "a.b", "payload": {}, "run_at": "2030-01-01T00:00:00"}
            ),
            422,
        )
        assert naive["errors"] == [
            {"pointer": "/run_at", "detail": naive["detail"].split(": ", 1)[1]}
        ]
        too_deep = problem(http.post("/v1/jobs", json={"type": "a.b", "payload": nested(70)}), 422)
        assert too_deep["errors"][0]["pointer"].startswith("/payload")
        problem(http.get("/v1/jobs/not-a-uuid"), 422)
        for field in ("trace_id", "idempotency_key", "type"):
            event = {"type": "e", "payload": {}, field: "a\u0000b"}
            nul = problem(http.post("/v1/events", json=event), 422)
            assert [e["pointer"] for e in nul["errors"]] == [f"/{field}"]
        problem(http.get("/nowhere"), 404)
        not_allowed = problem(http.delete("/v1/jobs"), 405)
        assert "POST" in not_allowed_header(http.delete("/v1/jobs").headers)
        assert not_allowed["type"].endswith("method-not-allowed")
    assert world.jobs_of(world.tenant_a) == []


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def not_allowed_header(headers: object) -> str:
    return str(headers.get("allow", ""))


def test_large_bodies_are_refused_before_they_are_read(world: IngressWorld) -> None:
    with running_server(world.settings(max_body_bytes=4096)) as server:
        key = world.key(world.tenant_a)
        with server.client(key) as http:
            declared = http.post("/v1/jobs", json={"type": "a.b", "payload": "x" * 5000})
            problem(declared, 413)

            def chunks() -> Iterator[bytes]:
                yield b'{"type": "a.b", "payload": "'
                for _ in range(100):
                    yield b"x" * 100
                yield b'"}'

            chunked = http.post(
                "/v1/jobs", content=chunks(), headers={"Content-Type": "application/json"}
            )
            problem(chunked, 413)
            assert (
                http.post("/v1/jobs", json={"type": "a.b", "payload": "x" * 3000}).status_code
                == 201
            )
        # A client that declares a huge body and never sends it is answered at once.
        with socket.create_connection(server.url.removeprefix("http://").split(":")) as raw:
            raw.sendall(
                b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + key.text.encode() + b"\r\n"
                b"Content-Length: 1000000000\r\n\r\n"
            )
            raw.settimeout(10)
            assert raw.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert len(world.jobs_of(world.tenant_a)) == 1


def test_each_key_has_its_own_rate_limit(world: IngressWorld) -> None:
    with running_server(world.settings(rate_per_second=0.01, burst=2)) as server:
        limited, other = world.key(world.tenant_a), world.key(world.tenant_a)
        with server.client(limited) as http:
            statuses = [
                http.get("/v1/jobs/00000000-0000-4000-8000-000000000000").status_code
                for _ in range(2)
            ]
            refused = http.get("/v1/jobs/00000000-0000-4000-8000-000000000000")
        with server.client(other) as http:
            allowed = http.get("/v1/jobs/00000000-0000-4000-8000-000000000000")
    assert statuses == [404, 404]
    problem(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert allowed.status_code == 404


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(f"dashboard at {scope['path']}")(scope, receive, send)


def test_mounted_apps_are_served_and_measured(world: IngressWorld) -> None:
    key = world.key(world.tenant_a)
    with (
        running_server(world.settings(), mounts={"/ui": hello}) as server,
        server.client(key) as http,
    ):
        assert http.get("/ui/jobs").text == "dashboard at /ui/jobs"
        http.get("/v1/jobs/00000000-0000-4000-8000-000000000000")
        http.get("/v1/jobs/00000000-0000-4000-8000-000000000001")
        http.get("/random/path")
        metrics = http.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert (
        'jobforge_http_requests_total{method="GET",route="/v1/jobs/{job_id}",status="404"} 2.0'
        in text
    )
    assert 'jobforge_http_requests_total{method="GET",route="/ui",status="200"} 1.0' in text
    assert 'jobforge_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert (
        'jobforge_http_request_duration_seconds_count{method="GET",route="/v1/jobs/{job_id}"} 2.0'
        in text
    )


def test_the_openapi_document_declares_every_error_as_a_problem(server: RunningServer) -> None:
    with server.client() as http:
        document = http.get("/openapi.json").json()
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type", "title", "status", "detail"
    ]  # fmt: skip
    assert document["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) >= {
        ("POST", "/v1/jobs"), ("GET", "/v1/jobs/{job_id}"), ("GET", "/v1/jobs/{job_id}/result"),
        ("POST", "/v1/jobs/{job_id}/cancel"), ("POST", "/v1/events"),
        ("POST", "/v1/webhooks/{source}"), ("GET", "/healthz"), ("GET", "/metrics"),
    }  # fmt: skip
    for (method, path), operation in operations.items():
        errors = {s: r for s, r in operation["responses"].items() if s >= "400"}
        assert "500" in errors, (method, path)
        for status, response in errors.items():
            assert list(response["content"]) == ["application/problem+json"], (method, path, status)
        if path.startswith("/v1/jobs") or path == "/v1/events":
            assert {"401", "403", "422", "429"} <= set(errors), (method, path)


def test_nothing_in_answers_depends_on_the_clock_but_times(
    world: IngressWorld, server: RunningServer
) -> None:
    with server.client(world.key(world.tenant_a)) as http:
        job = http.get(
            f"/v1/jobs/{http.post('/v1/jobs', json={'type': 'a.b', 'payload': {}}).json()['id']}"
        ).json()
    assert datetime.fromisoformat(job["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(job["run_at"]) <= datetime.now(UTC)


def test_the_queue_gauges_are_exported_only_with_a_role_to_read_the_queue_as(
    world: IngressWorld,
) -> None:
    with world.owner() as owner:
        for _ in range(3):
            owner.enqueue_job(tenant_id=world.tenant_a, type="mail.send", payload={})
    with running_server(world.settings()) as server, server.client() as http:
        assert "jobforge_queue_depth" not in http.get("/metrics").text
    settings = world.settings(queue_metrics_database_url=world.owner_url)
    with running_server(settings) as server, server.client() as http:
        text = http.get("/metrics").text
    assert 'jobforge_queue_depth{job_type="mail.send"} 3.0' in text
    assert "jobforge_queue_metrics_up 1.0" in text
    assert 'jobforge_queue_lag_seconds{job_type="mail.send"}' in text
