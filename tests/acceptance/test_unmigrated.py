"""Commands and the client on a database without (or with an older) JobForge schema say
what to do: run `jobforge migrate`, naming the version it brings."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from jobforge.client import JobForgeClient
from jobforge.db.migrations import load_migrations, migrate
from jobforge.errors import SchemaNotMigrated

JOBFORGE = str(Path(sys.executable).parent / "jobforge")
ROOT = Path(__file__).resolve().parents[2]
ADVICE = f"run `jobforge migrate` to bring the database to schema version {len(load_migrations())}"


def jobforge(*arguments: str) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [JOBFORGE, *arguments], capture_output=True, text=True, timeout=60, check=False, cwd=ROOT
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


@pytest.fixture(params=["empty", "version-2"])
def unmigrated_url(request: pytest.FixtureRequest, empty_database_url: str) -> str:
    if request.param == "version-2":
        migrate(empty_database_url, load_migrations()[:2])
    return empty_database_url


def test_the_client_says_run_migrate(unmigrated_url: str) -> None:
    with JobForgeClient(unmigrated_url) as client, pytest.raises(SchemaNotMigrated) as caught:
        client.enqueue_job(tenant_id=uuid.uuid4(), type="a.b", payload={})
    assert ADVICE in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        [
            "worker",
            "run",
            "--burst",
            "--no-contracts",
            "-m",
            "tests.integration.handlers_for_tests",
        ],
    ],
    ids=["stats", "worker"],
)
def test_commands_say_run_migrate(unmigrated_url: str, command: list[str]) -> None:
    completed = jobforge(*command, "--database-url", unmigrated_url)
    assert completed.returncode == 1
    assert ADVICE in completed.stderr
