"""The dashboard acts as its database role: a role granted some tenants as a producer sees
and acts on those tenants only, whatever the operator asks for (row-level security and the
RPCs' grant checks decide, not the dashboard)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from jobforge.client import JobForgeClient
from tests.conftest import TenantRole
from tests.integration.dashboard.support import (
    csrf_token,
    dead_job,
    insert_job,
    listed_ids,
    served,
    settings,
)
from tests.integration.support import connect, job


def test_a_producer_role_sees_and_acts_on_its_tenants_only(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    role = make_role()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    with JobForgeClient(database_url) as owner:
        owner.grant_tenant(role.name, mine, kind="producer")
    with connect(database_url) as conn:
        my_dead = dead_job(conn, mine)
        their_dead = dead_job(conn, theirs)
        their_queued = insert_job(conn, theirs)
    with served(settings(role.url)) as dashboard, dashboard.logged_in() as client:
        assert listed_ids(client.get("/dead-letters").text) == [str(my_dead)]
        assert listed_ids(client.get("/jobs", params={"tenant": str(theirs)}).text) == []
        assert str(theirs) not in client.get("/").text
        assert client.get(f"/jobs/{their_dead}").status_code == 404
        token = csrf_token(client.get("/").text)
        for path in (f"/jobs/{their_dead}/requeue", f"/jobs/{their_queued}/cancel"):
            refused = client.post(path, data={"csrf_token": token})
            assert refused.status_code == 404, refused.text
        done = client.post(f"/jobs/{my_dead}/requeue", data={"csrf_token": token})
        assert done.status_code == 303  # the control: its own tenant's job is requeued
    with connect(database_url) as conn:
        assert job(conn, their_dead)["state"] == "dead"
        assert job(conn, their_queued)["state"] == "queued"
        assert job(conn, my_dead)["state"] == "awaiting_retry"


def test_a_role_without_grants_sees_nothing(
    database_url: str, make_role: Callable[[], TenantRole]
) -> None:
    role = make_role()
    with connect(database_url) as conn:
        dead = dead_job(conn, uuid.uuid4())
    with served(settings(role.url)) as dashboard, dashboard.logged_in() as client:
        page = client.get("/dead-letters")
        refused = client.get(f"/jobs/{dead}")
    # Without a grant the role may not even use the schema: each page says so, and what to do.
    for response in (page, refused):
        assert response.status_code == 403
        assert "permission denied for schema jobforge" in response.text
        assert "jobforge grant-tenant ROLE TENANT_ID --producer" in response.text
    assert listed_ids(page.text) == []
