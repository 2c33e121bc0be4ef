"""`jobforge replay --job ID` as a user types it, in a project, after a real worker ran.

The worker and the replay are separate `jobforge` processes that find the handlers the
way a user's would: through ``[tool.jobforge] handler_modules`` of the project's
pyproject.toml, or ``-m``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from jobforge.client import JobForgeClient

JOBFORGE = str(Path(sys.executable).parent / "jobforge")
DEADLINE_SECONDS = 60
NO_HANDLER_HINT = (
    "jobforge: error: no handler for job type billing.charge: pass -m MODULE or add it to "
    "[tool.jobforge] handler_modules in pyproject.toml"
)

HANDLERS = """\
import os

from jobforge import handler


class CardDeclined(Exception):
    pass


@handler("billing.charge")
def charge(payload, ctx):
    if os.environ.get("BILLING_OUTAGE"):
        raise ConnectionError("payment gateway unreachable")
    if payload["card"] == "expired":
        raise CardDeclined("card expired")
    return {"charged": payload["amount"], "at": ctx.now.isoformat()}
"""


def jobforge(
    *arguments: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [JOBFORGE, *arguments],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    # The worker logs handler tracebacks inside JSON lines; a crash of jobforge itself
    # would print one at the start of a line.
    crashed = any(line.startswith("Traceback") for line in completed.stderr.splitlines())
    assert not crashed, completed.stderr
    return completed


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "billing"
    folder.mkdir()
    (folder / "billing_jobs.py").write_text(HANDLERS, encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "billing"
            version = "0.0.0"

            [tool.jobforge]
            handler_modules = ["billing_jobs"]
            """
        ),
        encoding="utf-8",
    )
    return folder


def charged(
    database_url: str, project: Path, payload: dict[str, object], env: dict[str, str] | None = None
) -> uuid.UUID:
    """Enqueue a billing.charge job (one attempt) and run a worker over it."""
    with JobForgeClient(database_url) as client:
        job_id = client.enqueue_job(
            tenant_id=uuid.uuid4(), type="billing.charge", payload=payload, max_attempts=1
        ).id
    worker = jobforge(
        "worker", "run", "--burst", "--database-url", database_url, cwd=project, env=env
    )
    assert worker.returncode == 0, worker.stderr
    return job_id


def replay(
    database_url: str, job_id: uuid.UUID | str, *options: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return jobforge(
        "replay", "--job", str(job_id), *options, "--database-url", database_url, cwd=cwd
    )


def test_a_dead_job_is_reproduced_with_the_projects_handlers(
    database_url: str, project: Path
) -> None:
    job_id = charged(database_url, project, {"card": "expired", "amount": 40})

    replayed = replay(database_url, job_id, cwd=project)

    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.startswith(
        f"job {job_id} attempt 1 (dead): reproduced: the same failure, "
        "exception (billing_jobs.CardDeclined): card expired\n"
        "traceback of the replay:\n"
    )
    assert 'raise CardDeclined("card expired")' in replayed.stdout


def test_a_succeeded_job_is_reproduced(database_url: str, project: Path) -> None:
    job_id = charged(database_url, project, {"card": "valid", "amount": 40})

    replayed = replay(database_url, job_id, cwd=project)

    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.startswith(
        f"job {job_id} attempt 1 (succeeded): reproduced: artifact hash "
    )


def test_a_failure_that_does_not_happen_again_exits_1_and_shows_both(
    database_url: str, project: Path
) -> None:
    job_id = charged(
        database_url, project, {"card": "valid", "amount": 40}, env={"BILLING_OUTAGE": "1"}
    )

    replayed = replay(database_url, job_id, cwd=project)

    assert replayed.returncode == 1, replayed.stderr
    assert replayed.stdout.startswith(
        f"job {job_id} attempt 1 (dead): differs: the recorded attempt failed: "
        "exception (builtins.ConnectionError): payment gateway unreachable\n"
        "the replay succeeded, artifact hash "
    )
    assert '"charged":40' in replayed.stdout


def test_without_a_handler_the_error_says_how_to_register_one(
    database_url: str, project: Path, tmp_path: Path
) -> None:
    job_id = charged(database_url, project, {"card": "expired", "amount": 40})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    replayed = replay(database_url, job_id, cwd=elsewhere)

    assert replayed.returncode == 2
    assert replayed.stdout == ""
    first, second = replayed.stderr.splitlines()
    assert first == NO_HANDLER_HINT
    assert second.startswith("  handler modules imported: none (no pyproject.toml in ")

    with_module = jobforge(
        "replay", "--job", str(job_id), "-m", "billing_jobs", "--database-url", database_url,
        cwd=elsewhere, env={"PYTHONPATH": str(project)},
    )  # fmt: skip
    assert with_module.returncode == 0, with_module.stderr
    assert "reproduced: the same failure" in with_module.stdout


def test_a_job_or_attempt_that_cannot_be_replayed_exits_2(database_url: str, project: Path) -> None:
    job_id = charged(database_url, project, {"card": "expired", "amount": 40})

    no_attempt = replay(database_url, job_id, "--attempt", "5", cwd=project)
    assert no_attempt.returncode == 2
    assert no_attempt.stderr == (
        f"jobforge: error: job {job_id} has no recorded attempt 5 (recorded: 1)\n"
    )

    unknown = replay(database_url, uuid.uuid4(), cwd=project)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("jobforge: error: ")

    malformed = replay(database_url, "not-a-job-id", cwd=project)
    assert malformed.returncode == 2
    assert malformed.stderr.startswith("jobforge: error: ")
