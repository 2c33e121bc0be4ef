"""The HTTP connector registered with a worker: a job's connector call goes over HTTP and is
recorded; a call the guard refuses kills the job at once, naming the address and rule."""

from __future__ import annotations

import uuid
from typing import Any

from jobforge import HandlerRegistry, JobContext
from jobforge.client import JobForgeClient
from jobforge.connectors import ConnectorRegistry, register_connector
from jobforge.connectors.http import HttpConnector, Operation
from jobforge.worker import Worker, WorkerConfig
from tests.integration.connectors.http_support import LocalServer, NetworkSpy, Reply


def fetch_item(payload: dict[str, Any], ctx: JobContext) -> Any:
    return ctx.connector(payload["connector"]).call("get_item", {"id": payload["id"]})


def test_jobs_call_out_through_the_registered_http_connector(
    database_url: str,
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    server: LocalServer,
    spy: NetworkSpy,
) -> None:
    server.routes["/items/7"] = lambda seen: Reply(
        200, b'{"id": "7", "name": "seven"}', {"Content-Type": "application/json"}
    )
    operations = {"get_item": Operation("GET", "/items/{id}")}
    local = HttpConnector(
        f"http://items.test:{server.port}",
        operations=operations,
        allowed_hosts=["items.test"],
        resolver=lambda name, port: ["127.0.0.1"],
    )
    metadata = HttpConnector("http://169.254.169.254", operations=operations)
    connectors = ConnectorRegistry()
    register_connector("items.local", local, registry=connectors)
    register_connector("items.metadata", metadata, registry=connectors)
    handlers = HandlerRegistry()
    handlers.register("items.fetch", fetch_item)
    fetched = client.enqueue_job(
        tenant_id=tenant_id, type="items.fetch", payload={"connector": "items.local", "id": "7"}
    )
    refused = client.enqueue_job(
        tenant_id=tenant_id, type="items.fetch", payload={"connector": "items.metadata", "id": "7"}
    )

    with local, metadata:
        report = Worker(
            database_url,
            registry=handlers,
            connectors=connectors,
            config=WorkerConfig(burst=True, poll_interval_seconds=0.05),
        ).run()

    assert (report.succeeded, report.dead) == (1, 1)
    [result] = client.get_results(fetched.id)
    assert result.output == {"id": "7", "name": "seven"}
    job = client.get_job(refused.id)
    assert job.state == "dead"
    assert job.last_error["kind"] == "http_address_refused"
    assert "169.254.169.254" in job.last_error["message"]
    assert "rule cloud-metadata" in job.last_error["message"]
    assert spy.connected == ["127.0.0.1"]
