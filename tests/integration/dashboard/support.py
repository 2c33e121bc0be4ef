"""The dashboard under test: a real uvicorn on 127.0.0.1 serving the ingress app with the
dashboard mounted under /ui (as `jobforge serve` does), against a real PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Any

import httpx
import psycopg
import uvicorn

from jobforge.dashboard import DashboardSettings, create_dashboard_app
from jobforge.dashboard.context import DashboardContext
from jobforge.server.app import create_app
from jobforge.server.settings import ServerSettings
from tests.integration.support import complete, enqueue, fail, wait_until

TOKEN = "operator-token-" + "k" * 32
SECRET = b"s" * 32
START_SECONDS = 30.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Dashboard:
    """A served dashboard: ``url`` is its root (…/ui), ``context`` its shared state."""

    url: str
    context: DashboardContext

    def at(self, location: str) -> str:
        """The absolute URL of a ``Location`` the dashboard sent (a path from the root)."""
        return self.url.removesuffix("/ui") + location

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False, **options)

    @contextlib.contextmanager
    def logged_in(self) -> Iterator[httpx.Client]:
        """A client holding an operator session (logged in with the token)."""
        with self.client() as client:
            response = client.post("/login", data={"token": TOKEN})
            assert response.status_code == 303, response.text
            yield client


def settings(database_url: str, **options: Any) -> DashboardSettings:
    return DashboardSettings(database_url=database_url, token=TOKEN, secret=SECRET, **options)


@contextlib.contextmanager
def served(dashboard_settings: DashboardSettings) -> Iterator[Dashboard]:
    """Serve the ingress with the dashboard under /ui on a free port until the block ends;
    yields once the login page answers 200 (polled, with a deadline)."""
    dashboard = create_dashboard_app(dashboard_settings)
    app = create_app(
        ServerSettings(database_url=dashboard_settings.database_url), mounts={"/ui": dashboard}
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    context = dashboard.state.dashboard
    try:
        wait_until(lambda: server.started or not thread.is_alive(), START_SECONDS, "uvicorn")
        assert server.started, "the server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/ui"
        wait_until(lambda: _answers(f"{url}/login"), START_SECONDS, "/ui/login to answer 200")
        yield Dashboard(url, context)
    finally:
        server.should_exit = True
        thread.join(timeout=START_SECONDS)
        context.database.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


INSERT_JOB = """
INSERT INTO jobforge.jobforge_jobs (id, tenant_id, type, payload, state, trace_id, attempts,
                                    max_attempts, run_at, created_at)
VALUES (%(id)s, %(tenant_id)s, %(type)s, '{}', %(state)s, %(trace_id)s, 0, 5,
        now() - make_interval(secs => %(run_seconds_ago)s),
        now() - make_interval(secs => %(seconds_ago)s))
"""


def job_id_at(conn: psycopg.Connection[Any], seconds_ago: float) -> uuid.UUID:
    """A version 7 UUID (RFC 9562) for a job enqueued ``seconds_ago`` by the server's clock:
    the milliseconds since the epoch, the version, random bits."""
    row = conn.execute("SELECT floor(extract(epoch FROM now()) * 1000)::bigint AS ms").fetchone()
    assert row is not None
    millis = int(row["ms"]) - round(seconds_ago * 1000)
    raw = bytearray(millis.to_bytes(6, "big") + secrets.token_bytes(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return uuid.UUID(bytes=bytes(raw))


def insert_job(
    conn: psycopg.Connection[Any],
    tenant_id: uuid.UUID,
    *,
    job_type: str = "ops.job",
    state: str = "queued",
    seconds_ago: float = 0,
    run_seconds_ago: float = 0,
) -> uuid.UUID:
    """A job row (as the owner) in ``state``, enqueued ``seconds_ago`` (its id says so too),
    runnable from ``run_seconds_ago`` (negative: in the future)."""
    job_id = job_id_at(conn, seconds_ago)
    conn.execute(
        INSERT_JOB,
        {
            "id": job_id, "tenant_id": tenant_id, "type": job_type, "state": state,
            "trace_id": job_id.hex, "seconds_ago": seconds_ago,
            "run_seconds_ago": run_seconds_ago,
        },
    )  # fmt: skip
    return job_id


def claim_one(conn: psycopg.Connection[Any], job_id: uuid.UUID) -> int:
    """Claim ``job_id`` as a worker (and any other runnable job of its type); its attempt."""
    rows = conn.execute(
        "SELECT c.id, c.attempts FROM jobforge.jobforge_claim_jobs('ops-worker', 1000, 30, "
        "ARRAY[(SELECT type FROM jobforge.jobforge_jobs WHERE id = %s)]) c",
        (job_id,),
    ).fetchall()
    attempts = {row["id"]: row["attempts"] for row in rows}
    assert job_id in attempts, f"job {job_id} was not claimable"
    return int(attempts[job_id])


def succeeded_job(
    conn: psycopg.Connection[Any], tenant_id: uuid.UUID, job_type: str = "ops.job"
) -> uuid.UUID:
    job_id = enqueue(conn, tenant_id, job_type)
    assert complete(conn, "ops-worker", job_id, claim_one(conn, job_id), {"ok": True})
    return job_id


def dead_job(
    conn: psycopg.Connection[Any],
    tenant_id: uuid.UUID,
    job_type: str = "ops.job",
    *,
    payload: Any = None,
    message: str = "card declined",
) -> uuid.UUID:
    """A job whose only attempt failed through the worker RPCs (so it has a result)."""
    job_id = enqueue(conn, tenant_id, job_type, max_attempts=1, payload=payload or {})
    attempt = claim_one(conn, job_id)
    fail(conn, "ops-worker", job_id, attempt, retryable=False,
         error={"kind": "exception", "message": message})  # fmt: skip
    return job_id


def complete_with_follow_ups(
    conn: psycopg.Connection[Any], job_id: uuid.UUID, follow_ups: list[dict[str, Any]]
) -> list[uuid.UUID]:
    """Complete ``job_id``'s attempt as a worker does (with an artifact and a decision
    trace), asking for ``follow_ups``; the ids of the jobs they made, in order."""
    attempt = claim_one(conn, job_id)
    artifact = json.dumps({"done": str(job_id)}, separators=(",", ":"))
    document = [{
        "job_id": str(job_id), "attempt": attempt, "output": {"done": str(job_id)},
        "artifact_canonical": artifact, "artifact_sha256": "ab" * 32,
        "decision_trace": [{"step": "chose_channel", "channel": "email"}],
        "follow_ups": [{"idempotency_key": f"{job_id}/{i}", "payload": {}, **f}
                       for i, f in enumerate(follow_ups)],
    }]  # fmt: skip
    conn.execute(
        "SELECT * FROM jobforge.jobforge_complete_jobs_with_follow_ups('ops-worker', %s::jsonb)",
        (json.dumps(document),),
    )
    rows = conn.execute(
        "SELECT id FROM jobforge.jobforge_jobs WHERE parent_job_id = %s ORDER BY seq", (job_id,)
    ).fetchall()
    return [row["id"] for row in rows]


class _Tables(HTMLParser):
    """The text of each cell of each table of a page, by the table's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self._table[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    """The rows (header row included) of the table ``table_id`` as cell texts."""
    parser = _Tables()
    parser.feed(html)
    assert table_id in parser.tables, f"the page has no table {table_id!r}"
    return parser.tables[table_id]


def link(html: str, link_id: str) -> str | None:
    """The href of the link ``link_id`` (unescaped), None when the page has none."""
    match = re.search(rf'<a href="([^"]+)"[^>]* id="{link_id}"', html)
    return unescape(match.group(1)) if match else None


def listed_ids(html: str) -> list[str]:
    """The ids of the jobs a listing page shows, in order."""
    return re.findall(r'<tr data-job-id="([0-9a-f-]+)">', html)
