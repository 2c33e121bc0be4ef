"""`jobforge worker run` carries connector calls over HTTP as the connector metadata says.

The worker runs in the repository (its `connectors/` declare each shipped connector's
HTTP operations), configured by environment variables only, against a ReadyLayer API
served on 127.0.0.1 by this test. Loopback is refused by default, so the test also shows
an operator's allow-list at work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from jobforge.client import JobForgeClient

REPOSITORY = Path(__file__).resolve().parents[2]
JOBFORGE = str(Path(sys.executable).parent / "jobforge")
TOKEN = "rl-test-token"
ZONE = "shop.example.com"
URLS = [f"https://{ZONE}/", f"https://{ZONE}/products/1", f"https://{ZONE}/missing"]


@dataclass
class ReadyLayerApi:
    """A ReadyLayer API on loopback: what it was asked, and its base URL."""

    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


class _ReadyLayerHandler(BaseHTTPRequestHandler):
    api: ReadyLayerApi

    def do_GET(self) -> None:
        self._record(None)
        if self.path == "/v1/limits":
            self._answer(200, {"requests_per_second": 5, "burst_size": 2})
        else:
            self._answer(404, {"error": "no such resource"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._record(body)
        if self.path != f"/v1/zones/{ZONE}/cache/warm":
            self._answer(404, {"error": "no such resource"})
            return
        results = [
            {"url": url, "status": 404 if url.endswith("/missing") else 200, "cache_status": "MISS"}
            for url in body["urls"]
        ]
        self._answer(200, {"results": results})

    def _record(self, body: Any) -> None:
        self.api.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "body": body,
            }
        )

    def _answer(self, status: int, document: Any) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def readylayer_api() -> Iterator[ReadyLayerApi]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReadyLayerHandler)
    api = ReadyLayerApi(f"http://127.0.0.1:{server.server_address[1]}/v1")
    _ReadyLayerHandler.api = api
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def run_worker(
    database_url: str, *, cwd: Path = REPOSITORY, **variables: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not (name.startswith("JOBFORGE_") and name.endswith(("_BASE_URL", "_TOKEN")))
    }
    environment.update(JOBFORGE_NO_CACHE="1", **variables)
    return subprocess.run(
        [
            JOBFORGE, "worker", "run", "--database-url", database_url, "--burst",
            "--job-type", "readylayer.cache.warm", "-m", "jobforge.runners.readylayer.warm",
        ],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def enqueue_warm(database_url: str, payload: Any = None) -> uuid.UUID:
    with JobForgeClient(database_url) as client:
        job = client.enqueue_job(
            tenant_id=uuid.uuid4(),
            type="readylayer.cache.warm",
            payload={"zone": ZONE, "urls": URLS} if payload is None else payload,
            max_attempts=1,
        )
    return job.id


@pytest.mark.parametrize("project", ["repository", "empty folder"])
def test_the_worker_calls_the_api_the_metadata_declares(
    database_url: str, readylayer_api: ReadyLayerApi, project: str, tmp_path: Path
) -> None:
    """In this repository the project's own connector metadata applies; in a folder with
    no project files (a user who installed the wheel) the shipped one does."""
    job_id = enqueue_warm(database_url)
    completed = run_worker(
        database_url,
        cwd=REPOSITORY if project == "repository" else tmp_path,
        JOBFORGE_READYLAYER_CDN_BASE_URL=readylayer_api.base_url,
        JOBFORGE_READYLAYER_CDN_ALLOWED_NETWORKS="127.0.0.1/32",
        JOBFORGE_READYLAYER_CDN_TOKEN=TOKEN,
    )
    assert completed.returncode == 0, completed.stderr
    with JobForgeClient(database_url) as client:
        job = client.get_job(job_id)
        result = client.get_result(job_id)
    assert job.state == "succeeded", job.last_error
    assert result is not None
    outcomes = {item["url"]: item["outcome"] for item in result.output["outcomes"]}
    assert outcomes == {URLS[0]: "warmed", URLS[1]: "warmed", URLS[2]: "failed"}
    assert [(r["method"], r["path"]) for r in readylayer_api.requests] == [
        ("GET", "/v1/limits"),
        ("POST", f"/v1/zones/{ZONE}/cache/warm"),
        ("POST", f"/v1/zones/{ZONE}/cache/warm"),
    ]
    assert {r["authorization"] for r in readylayer_api.requests} == {f"Bearer {TOKEN}"}
    assert readylayer_api.requests[1]["body"] == {"urls": URLS[:2]}, "zone went into the path"
    # Only the connectors of the job types this worker serves are set up.
    assert "BASE_URL" not in completed.stderr


def test_a_shipped_contract_applies_in_a_project_without_contracts(
    database_url: str, readylayer_api: ReadyLayerApi, tmp_path: Path
) -> None:
    job_id = enqueue_warm(database_url, {"zone": ZONE, "urls": "not a list"})
    run_worker(database_url, cwd=tmp_path)
    with JobForgeClient(database_url) as client:
        job = client.get_job(job_id)
    assert job.state == "dead"
    assert job.last_error["kind"] == "invalid_input"
    assert readylayer_api.requests == []


def test_loopback_stays_refused_without_the_operators_allow_list(
    database_url: str, readylayer_api: ReadyLayerApi
) -> None:
    job_id = enqueue_warm(database_url)
    run_worker(
        database_url,
        JOBFORGE_READYLAYER_CDN_BASE_URL=readylayer_api.base_url,
        JOBFORGE_READYLAYER_CDN_TOKEN=TOKEN,
    )
    with JobForgeClient(database_url) as client:
        job = client.get_job(job_id)
    assert job.state == "dead"
    assert job.last_error["kind"] == "http_address_refused"
    assert "rule loopback" in job.last_error["message"]
    assert "JOBFORGE_READYLAYER_CDN_ALLOWED_NETWORKS on the worker" in job.last_error["message"]
    assert readylayer_api.requests == []


def test_a_connector_without_a_base_url_fails_its_jobs_naming_the_variable(
    database_url: str,
) -> None:
    job_id = enqueue_warm(database_url)
    completed = run_worker(database_url)
    assert completed.returncode == 0, completed.stderr
    assert "JOBFORGE_READYLAYER_CDN_BASE_URL" in completed.stderr
    with JobForgeClient(database_url) as client:
        job = client.get_job(job_id)
    assert job.state == "dead"
    assert job.last_error["kind"] == "connector_unavailable"
    assert "set JOBFORGE_READYLAYER_CDN_BASE_URL on the worker" in job.last_error["message"]
