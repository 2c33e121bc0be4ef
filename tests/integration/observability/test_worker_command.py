"""`jobforge worker run --metrics-port` as an operator runs it: a process serving /metrics."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from jobforge.client import JobForgeClient, JobSpec
from tests.integration.observability.support import scrape
from tests.integration.support import wait_until

REPO_ROOT = Path(__file__).resolve().parents[3]
HANDLERS = "tests.integration.handlers_for_tests"
START_SECONDS = 30
DRAIN_SECONDS = 30
PROCESS_SECONDS = 45
WORKER_ID = "metrics-cli-worker"


def worker_command(database_url: str, *options: str) -> list[str]:
    return [
        sys.executable, "-m", "jobforge.worker", "run", "--database-url", database_url,
        "-m", HANDLERS, "--job-type", "proc.noop", "--poll-interval", "0.1", *options,
    ]  # fmt: skip


class LogLines:
    """Collects a process' stderr lines on a thread, so the test can wait for one."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._stream = stream
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def field(self, name: str) -> str | None:
        """``name`` of the first JSON log line that has it."""
        for line in list(self.lines):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and name in entry:
                return str(entry[name])
        return None

    def text(self) -> str:
        """Everything the process wrote (call once it has exited)."""
        self._thread.join(PROCESS_SECONDS)
        return "".join(self.lines)

    def close(self) -> None:
        self._thread.join(PROCESS_SECONDS)
        self._stream.close()


StartWorker = Callable[..., tuple[subprocess.Popen[str], LogLines]]


@pytest.fixture
def start_worker(
    database_url: str,
) -> Iterator[StartWorker]:
    started: list[tuple[subprocess.Popen[str], LogLines]] = []

    def start(*options: str) -> tuple[subprocess.Popen[str], LogLines]:
        process = subprocess.Popen(
            worker_command(database_url, *options), cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True
        )
        assert process.stderr is not None
        started.append((process, LogLines(process.stderr)))
        return started[-1]

    yield start
    for process, log in started:
        if process.poll() is None:
            process.kill()
        process.wait(PROCESS_SECONDS)
        log.close()


def test_the_worker_serves_its_metrics_until_it_stops(
    client: JobForgeClient,
    tenant_id: uuid.UUID,
    start_worker: StartWorker,
) -> None:
    process, log = start_worker("--metrics-port", "0", "--worker-id", WORKER_ID)
    url = wait_until(lambda: log.field("metrics_url"), START_SECONDS, "the metrics URL logged")
    assert url.startswith("http://127.0.0.1:")

    client.enqueue_jobs(
        [JobSpec(tenant_id=tenant_id, type="proc.noop", payload={"n": n}) for n in range(6)]
    )
    metrics = wait_until(
        lambda: (
            (current := scrape(url)).value("jobforge_jobs_succeeded_total", job_type="proc.noop")
            == 6
            and current
        ),
        DRAIN_SECONDS,
        "six successes counted",
    )
    assert metrics.value("jobforge_worker_info", worker_id=WORKER_ID) == 1
    assert metrics.value("jobforge_jobs_claimed_total", job_type="proc.noop") == 6
    assert metrics.value("jobforge_queue_metrics_up") == 1
    assert metrics.value("jobforge_queue_depth", job_type="proc.noop") == 0

    process.send_signal(signal.SIGTERM)
    assert process.wait(PROCESS_SECONDS) == 0, log.text()


def test_a_port_already_taken_is_an_error_naming_it(
    database_url: str, start_worker: StartWorker
) -> None:
    first, log = start_worker("--metrics-port", "0")
    url = wait_until(lambda: log.field("metrics_url"), START_SECONDS, "the metrics URL logged")
    port = url.rsplit(":", 1)[1].split("/")[0]

    second = subprocess.run(
        worker_command(database_url, "--metrics-port", port, "--burst"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_SECONDS,
        check=False,
    )
    assert second.returncode == 1, second.stderr
    assert f"metrics endpoint: cannot listen on 127.0.0.1 port {port}" in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGTERM)
    assert first.wait(PROCESS_SECONDS) == 0, log.text()
