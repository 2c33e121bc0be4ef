"""A new user's first hour with the contract tool, in a repository of their own.

One story, as a user types it in a fresh git repository: ``init``; ``check`` passes; an
edit to the handler makes ``check`` fail with a message that names the golden and the
field; ``replay --update`` rewrites exactly that value; a job type renamed (the old one
removed) fails ``drift --against HEAD`` until the runner gets a major bump and a recorded
breaking change; ``lock`` then records it, and ``check`` passes again.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.support import contracts

DEADLINE_SECONDS = 120
RUNNER = "acme.billing"
RUNNER_FILE = "contracts/runners/acme.billing.yaml"
GOLDEN_FILE = "goldens/acme.billing/active-item.yaml"
HANDLER_FILE = "jobforge_handlers/acme_billing.py"
CONNECTOR_FILE = "connectors/acme.billing.api/metadata.json"


def git(repo: Path, *arguments: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *arguments],
        cwd=repo, capture_output=True, text=True, timeout=DEADLINE_SECONDS, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def succeeds(repo: Path, *arguments: str) -> str:
    completed = contracts(*arguments, cwd=repo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def fails(repo: Path, *arguments: str) -> str:
    completed = contracts(*arguments, cwd=repo)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    return completed.stdout + completed.stderr


def edit(repo: Path, path: str, old: str, new: str, *, every: bool = False) -> None:
    file = repo / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) >= 1 if every else text.count(old) == 1, f"{old!r} in {path}"
    file.write_text(text.replace(old, new), encoding="utf-8")


def changed_lines(repo: Path) -> list[str]:
    """The added and removed lines of the working tree against HEAD."""
    diff = git(repo, "diff", "--unified=0", "--no-color")
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    git(root, "init", "-q")
    (root / "pyproject.toml").write_text('[project]\nname = "shop"\nversion = "1.0.0"\n')
    return root


def test_the_first_hour(repo: Path) -> None:
    # Start: a skeleton that passes at once.
    succeeds(repo, "init", "--runner", RUNNER)
    succeeds(repo, "check")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "contracts")

    # An edit changes the handler's output: check fails and says where and what.
    edit(repo, HANDLER_FILE, '"status": status,', '"status": status.upper(),')
    failure = fails(repo, "check")
    assert re.search(rf"{re.escape(GOLDEN_FILE)}:\d+", failure), failure
    assert "status" in failure
    assert "Traceback" not in failure

    # --update writes the new value and nothing else: one line out, one line in.
    succeeds(repo, "replay", "--update")
    assert changed_lines(repo) == [
        "-  status: active",  # goldens/acme.billing/active-item.yaml
        "+  status: ACTIVE",
        '-        "status": status,',  # jobforge_handlers/acme_billing.py: the user's edit
        '+        "status": status.upper(),',
    ]
    succeeds(repo, "check")
    git(repo, "commit", "-q", "-am", "statuses in capitals")

    # Renaming a job type removes the old one: the most breaking change of all.
    for path in (RUNNER_FILE, GOLDEN_FILE, HANDLER_FILE, CONNECTOR_FILE):
        edit(repo, path, "acme.billing.lookup", "acme.billing.find", every=True)
    drift = fails(repo, "drift", "--against", "HEAD")
    assert "acme.billing.lookup" in drift
    assert re.search(rf"{re.escape(RUNNER_FILE)}:\d+:\d+", drift), drift
    fails(repo, "lock")  # the lock never records an unacknowledged breaking change

    # Acknowledged as the contract says: a major bump and a recorded breaking change.
    edit(
        repo,
        RUNNER_FILE,
        "version: 0.1.0\n",
        "version: 1.0.0\nbreaking_changes:\n  1.0.0:\n"
        "    message: acme.billing.lookup is now acme.billing.find; enqueue the new name.\n",
    )
    edit(
        repo,
        CONNECTOR_FILE,
        '"version": "0.1.0",',
        '"version": "1.0.0",\n'
        '  "breaking_changes": {"1.0.0": {"message": "serves acme.billing.find"}},',
    )
    succeeds(repo, "drift", "--against", "HEAD")
    succeeds(repo, "lock")
    succeeds(repo, "schema")
    succeeds(repo, "generate-registry")
    succeeds(repo, "check")
