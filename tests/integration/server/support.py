"""The ingress under test: a real uvicorn on 127.0.0.1 serving ``create_app`` against a
real PostgreSQL, as a NOINHERIT login role set up the way docs/SECURITY.md says."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from psycopg import sql
from starlette.types import ASGIApp

from jobforge.client import JobForgeClient
from jobforge.keys.material import PlaintextKey
from jobforge.server.app import create_app
from jobforge.server.settings import ServerSettings
from jobforge.server.tenant_roles import grant_ingress
from tests.conftest import TenantRole
from tests.integration.support import connect, wait_until
from tests.integration.test_api_keys import insert_key

START_SECONDS = 30.0
ALL_SCOPES = ("enqueue:*", "read:jobs", "cancel:jobs", "events:fire")


@dataclass
class RunningServer:
    url: str
    app: Any

    def client(self, key: PlaintextKey | None = None, **options: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key.text}"} if key is not None else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **options)


@contextlib.contextmanager
def running_server(
    settings: ServerSettings, mounts: Mapping[str, ASGIApp] | None = None
) -> Iterator[RunningServer]:
    """Serve ``settings`` on a free port of 127.0.0.1 until the block ends; yields once
    /healthz answers 200 (polled, with a deadline)."""
    app = create_app(settings, mounts=mounts)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ingress", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), START_SECONDS, "uvicorn")
        assert server.started, "the server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(url), START_SECONDS, "/healthz to answer 200")
        yield RunningServer(url, app)
    finally:
        server.should_exit = True
        thread.join(timeout=START_SECONDS)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class IngressWorld:
    """Two tenants served by one ingress login role. Keys are stored as the owner."""

    owner_url: str
    login: TenantRole
    tenant_a: uuid.UUID
    tenant_b: uuid.UUID
    settings_options: dict[str, Any] = field(default_factory=dict)

    def settings(self, **options: Any) -> ServerSettings:
        return ServerSettings(database_url=self.login.url, **{**self.settings_options, **options})

    def key(self, tenant: uuid.UUID, scopes: tuple[str, ...] = ALL_SCOPES) -> PlaintextKey:
        return insert_key(self.owner_url, tenant, scopes=scopes)

    def owner(self) -> JobForgeClient:
        return JobForgeClient(self.owner_url)

    def jobs_of(self, tenant: uuid.UUID) -> list[dict[str, Any]]:
        with connect(self.owner_url) as conn:
            rows = conn.execute(
                "SELECT *, state::text AS state FROM jobforge.jobforge_jobs "
                "WHERE tenant_id = %s ORDER BY seq",
                (tenant,),
            ).fetchall()
        return [dict(row) for row in rows]


@contextlib.contextmanager
def ingress_world(database_url: str, make_role: Callable[[], TenantRole]) -> Iterator[IngressWorld]:
    """A login role made NOINHERIT and a key verifier, serving two new tenants; the tenant
    roles (cluster-wide) are dropped afterwards."""
    login = make_role()
    world = IngressWorld(database_url, login, uuid.uuid4(), uuid.uuid4())
    with connect(database_url) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} NOINHERIT").format(sql.Identifier(login.name)))
        conn.execute("SELECT jobforge.jobforge_grant_key_verifier(%s)", (login.name,))
    roles = [grant_ingress(database_url, login.name, t) for t in (world.tenant_a, world.tenant_b)]
    try:
        yield world
    finally:
        drop_roles(database_url, roles)


def drop_roles(database_url: str, roles: list[str]) -> None:
    with connect(database_url) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response's problem document, checked to be one with ``status``."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json", response.headers
    document: dict[str, Any] = response.json()
    assert document["status"] == status
    assert document["type"].startswith("urn:jobforge:problem:")
    assert isinstance(document["title"], str)
    assert isinstance(document["detail"], str)
    assert isinstance(document["errors"], list)
    return document
