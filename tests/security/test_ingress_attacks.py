"""Attacks on the HTTP ingress, each against a real server over HTTP and a real PostgreSQL.

Tenant A's key holder is the attacker; tenant B's job is the victim. Every attack checks
that B's rows are unchanged and that nothing sent back names them. Where the app could be
wrong, a second test performs the same step in SQL as the server's login role acting as
A's producer role: the database itself must refuse it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from jobforge.connectors.webhooks import WebhookSecret, new_message_id
from jobforge.errors import ConfigurationError
from jobforge.server.database import tenant_role
from jobforge.server.tenant_roles import grant_ingress
from tests.conftest import TenantRole
from tests.integration.server.support import (
    IngressWorld,
    RunningServer,
    ingress_world,
    problem,
    running_server,
)
from tests.integration.server.webhook_support import deliver, webhook_server
from tests.integration.support import connect, enqueue

pytestmark = pytest.mark.parametrize("database_url", ["plain"], indirect=True)
VICTIM_SECRET = "tenant B's secret"


@pytest.fixture
def ingress(database_url: str, make_role: Callable[[], TenantRole]) -> Iterator[IngressWorld]:
    with ingress_world(database_url, make_role) as built:
        yield built


@pytest.fixture
def victim_job(ingress: IngressWorld) -> uuid.UUID:
    with connect(ingress.owner_url) as owner:
        return enqueue(owner, ingress.tenant_b, "victim.job", payload={"secret": VICTIM_SECRET})


@pytest.fixture
def server(ingress: IngressWorld) -> Iterator[RunningServer]:
    with running_server(ingress.settings()) as running:
        yield running


def test_a_key_cannot_read_or_cancel_another_tenants_job_even_by_id(
    ingress: IngressWorld, server: RunningServer, victim_job: uuid.UUID
) -> None:
    before = ingress.jobs_of(ingress.tenant_b)
    own = ingress.key(ingress.tenant_a)
    with server.client(own) as http:
        answers = [
            http.get(f"/v1/jobs/{victim_job}"),
            http.get(f"/v1/jobs/{victim_job}/result"),
            http.post(f"/v1/jobs/{victim_job}/cancel"),
        ]
        unknown = http.get(f"/v1/jobs/{uuid.uuid4()}")
    for answer in answers:
        document = problem(answer, 404)
        # Exactly what an id that exists nowhere gets: no existence leak.
        assert document == problem(unknown, 404)
        assert VICTIM_SECRET not in answer.text
        assert str(ingress.tenant_b) not in answer.text
    assert ingress.jobs_of(ingress.tenant_b) == before


def as_login_acting_for(ingress: IngressWorld, tenant: uuid.UUID) -> psycopg.Connection[Any]:
    conn = psycopg.connect(ingress.login.url)
    conn.execute("SELECT set_config('role', %s, true)", (tenant_role(tenant),))
    return conn


def test_the_database_refuses_it_too(ingress: IngressWorld, victim_job: uuid.UUID) -> None:
    before = ingress.jobs_of(ingress.tenant_b)
    with as_login_acting_for(ingress, ingress.tenant_a) as conn:
        seen = conn.execute("SELECT id FROM jobforge.jobforge_jobs").fetchall()
        assert seen == []
        with pytest.raises(psycopg.Error) as canceled:
            conn.execute("SELECT * FROM jobforge.jobforge_cancel_job(%s)", (victim_job,))
        assert canceled.value.sqlstate == "JF004"
    with (
        as_login_acting_for(ingress, ingress.tenant_a) as conn,
        pytest.raises(psycopg.Error) as enqueued,
    ):
        enqueue(conn, ingress.tenant_b, "forged.job")
    assert enqueued.value.sqlstate == "JF003"
    assert ingress.jobs_of(ingress.tenant_b) == before


def test_the_login_role_alone_reaches_no_tenant(
    ingress: IngressWorld, victim_job: uuid.UUID
) -> None:
    """NOINHERIT: outside a request's SET LOCAL ROLE, the login role holds nothing."""
    with psycopg.connect(ingress.login.url, autocommit=True) as conn:
        for statement, params in (
            ("SELECT id FROM jobforge.jobforge_jobs", None),
            ("SELECT * FROM jobforge.jobforge_cancel_job(%s)", (victim_job,)),
        ):
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(statement, params)
            assert refused.value.sqlstate in ("42501", "JF004")
        with pytest.raises(psycopg.Error) as refused:
            enqueue(conn, ingress.tenant_b, "forged.job")
        assert refused.value.sqlstate in ("42501", "JF003")
    assert [row["id"] for row in ingress.jobs_of(ingress.tenant_b)] == [victim_job]


def test_a_login_role_that_inherits_is_not_set_up(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    inheriting = make_role()
    with pytest.raises(ConfigurationError, match="NOINHERIT"):
        grant_ingress(database_url, inheriting.name, uuid.uuid4())


def test_a_scope_for_one_family_cannot_enqueue_another(
    ingress: IngressWorld, server: RunningServer
) -> None:
    key = ingress.key(ingress.tenant_a, scopes=("enqueue:billing.*",))
    with server.client(key) as http:
        for job_type in ("ops.scan", "billing", "billingx.charge", "ops.billing.charge"):
            problem(http.post("/v1/jobs", json={"type": job_type, "payload": {}}), 403)
        injected = http.post(
            "/v1/jobs",
            json={"type": "billing.charge", "payload": {},
                  "idempotency_key": "x'); DROP TABLE jobforge.jobforge_jobs; --"},
        )  # fmt: skip
    assert injected.status_code == 201
    [job] = ingress.jobs_of(ingress.tenant_a)
    assert job["idempotency_key"] == "x'); DROP TABLE jobforge.jobforge_jobs; --"


def test_a_server_not_set_up_for_a_tenant_refuses_its_keys(
    ingress: IngressWorld, server: RunningServer
) -> None:
    stranger = uuid.uuid4()
    with server.client(ingress.key(stranger)) as http:
        refused = http.post("/v1/jobs", json={"type": "a.b", "payload": {}})
    assert problem(refused, 403)["type"].endswith("tenant-not-served")
    assert ingress.jobs_of(stranger) == []


@pytest.mark.parametrize(
    "tamper",
    [
        "stale timestamp",
        "future timestamp",
        "tampered body",
        "stranger's secret",
        "no signature",
        "signature of another delivery",
    ],
)
def test_refused_webhooks_write_nothing(ingress: IngressWorld, tamper: str) -> None:
    secret = WebhookSecret.generate()
    body = json.dumps({"amount": 1}).encode()
    now = int(time.time())
    with webhook_server(ingress, secret) as server, server.client() as http:
        if tamper == "stale timestamp":
            response = deliver(server, "billing", body, secret, timestamp=now - 3600)
        elif tamper == "future timestamp":
            response = deliver(server, "billing", body, secret, timestamp=now + 3600)
        elif tamper == "stranger's secret":
            response = deliver(server, "billing", body, WebhookSecret.generate())
        else:
            from jobforge.connectors.webhooks import WebhookSigner  # noqa: PLC0415

            headers = WebhookSigner(secret).sign(body, message_id=new_message_id())
            sent = body
            if tamper == "tampered body":
                sent = json.dumps({"amount": 1000000}).encode()
            elif tamper == "no signature":
                del headers["webhook-signature"]
            else:
                headers["webhook-id"] = new_message_id()
            response = http.post("/v1/webhooks/billing", content=sent, headers=headers)
    problem(response, 401)
    assert ingress.jobs_of(ingress.tenant_a) == []


def test_an_unknown_webhook_source_is_not_found(ingress: IngressWorld) -> None:
    secret = WebhookSecret.generate()
    with webhook_server(ingress, secret) as server:
        for source in ("nobody", "..%2f..%2fv1%2fjobs", "BILLING"):
            problem(deliver(server, source, {"a": 1}, secret), 404)
    assert ingress.jobs_of(ingress.tenant_a) == []


def test_a_roles_name_cannot_be_injected_through_the_tenant(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    login = make_role()
    with connect(database_url) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(login.name)))
    with pytest.raises(Exception, match="tenant_id: expected a UUID"):
        grant_ingress(database_url, login.name, 'x"; DROP ROLE postgres; --')


def test_a_reused_connection_keeps_no_tenant_from_the_request_before(
    ingress: IngressWorld,
) -> None:
    """One connection serves every request in turn, after successes and refusals alike."""
    with running_server(ingress.settings(database_connections=1)) as server:
        with server.client(ingress.key(ingress.tenant_a)) as http:
            job_id = http.post("/v1/jobs", json={"type": "a.b", "payload": {}}).json()["id"]
            problem(http.post(f"/v1/jobs/{uuid.uuid4()}/cancel"), 404)
        with server.client(ingress.key(ingress.tenant_b)) as http:
            problem(http.get(f"/v1/jobs/{job_id}"), 404)
            problem(http.post(f"/v1/jobs/{job_id}/cancel"), 404)
        with server.client(ingress.key(ingress.tenant_a)) as http:
            assert http.get(f"/v1/jobs/{job_id}").json()["state"] == "queued"
