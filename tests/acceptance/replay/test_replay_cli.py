"""`jobforge-contracts replay` as a user runs it: exit codes, diffs, --update, Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from jobforge.db.throwaway import database_url_for

DEADLINE_SECONDS = 60
ENTRY = "jobforge.cli.contracts_entry"  # `python -m` of jobforge-contracts


def replay(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", ENTRY, "replay", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )


def server_arguments(server_url: str, embedded_server_url: str) -> list[str]:
    """Embedded runs use replay's own embedded server; others name the server."""
    return [] if server_url == embedded_server_url else ["--database-url", server_url]


def test_the_sample_goldens_pass(project: Path, server_url: str, embedded_server_url: str) -> None:
    result = replay(project, *server_arguments(server_url, embedded_server_url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed, 0 failed" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_wrong_expected_output_fails_with_file_line_and_diff(
    project: Path, server_url: str, embedded_server_url: str
) -> None:
    golden = project / "goldens" / "autopilot.ops.scan" / "weak-tls.yaml"
    golden.write_text(golden.read_text().replace("severity: high", "severity: low"))
    result = replay(project, "--jobs", "2", *server_arguments(server_url, embedded_server_url))
    assert result.returncode == 1
    assert "goldens/autopilot.ops.scan/weak-tls.yaml:9: a zone allowing TLS 1.0" in result.stdout
    assert "expected_output is not contained in the actual output (job " in result.stdout
    assert '-      "severity": "low"' in result.stdout
    assert '+      "severity": "high"' in result.stdout
    assert '"scanned_at"' not in result.stdout  # keys the golden leaves out are not shown
    assert "1 passed, 1 failed" in result.stdout


def test_update_rewrites_only_the_expected_output(project: Path, tmp_path: Path) -> None:
    golden = project / "goldens" / "autopilot.ops.scan" / "weak-tls.yaml"
    original = golden.read_text()
    golden.write_text(
        original.replace("expected_output:\n", "expected_output:  # kept comment\n", 1).replace(
            "severity: high", "severity: low"
        )
    )
    junit = tmp_path / "report.xml"
    first = replay(project, "--update", "--junit-xml", str(junit), "-k", "weak-tls")
    assert first.returncode == 0, first.stdout  # every failure was fixed by the update
    assert "updated goldens/autopilot.ops.scan/weak-tls.yaml" in first.stdout
    assert "0 passed, 1 updated, 0 failed" in first.stdout
    assert 'failures="1"' in junit.read_text()  # the report is of the run, before the update
    updated = golden.read_text()
    assert "severity: high" in updated
    assert updated.startswith(original.split("expected_output:")[0])  # head untouched
    assert "connector_responses:" in updated
    assert "# yaml-language-server" in updated
    second = replay(project, "-k", "weak-tls")
    assert second.returncode == 0, second.stdout
    assert "1 passed, 0 failed" in second.stdout


def test_an_invalid_golden_is_reported_not_replayed(project: Path) -> None:
    golden = project / "goldens" / "autopilot.ops.scan" / "weak-tls.yaml"
    golden.write_text(golden.read_text().replace("job_type:", "jobtype:"))
    result = replay(project)
    assert result.returncode == 1
    assert "goldens/autopilot.ops.scan/weak-tls.yaml:" in result.stdout
    assert "jobtype" in result.stdout
    assert "Traceback" not in result.stderr


def _throwaway_databases(server_url: str) -> set[str]:
    with psycopg.connect(server_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'jobforge_tmp_%'"
        ).fetchall()
    return {row[0] for row in rows}


def _database_holding(server_url: str, job_id: str) -> str:
    """The throwaway database whose queue holds ``job_id`` (other tests run beside us)."""
    for name in sorted(_throwaway_databases(server_url)):
        try:
            with psycopg.connect(database_url_for(server_url, name), autocommit=True) as conn:
                if conn.execute(
                    "SELECT 1 FROM jobforge.jobforge_jobs WHERE id = %s", (job_id,)
                ).fetchone():
                    return name
        except psycopg.Error:
            continue  # dropped meanwhile by another test
    raise AssertionError(f"no throwaway database holds job {job_id}")


def _processes_using(folder: Path) -> list[str]:
    """Command lines of running processes that mention ``folder`` (an embedded server's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(folder) in command:
            found.append(command)
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupting_a_replay_leaves_no_database_or_server(
    blocking_project: Path, server_url: str, embedded_server_url: str, stop_signal: int
) -> None:
    arguments = server_arguments(server_url, embedded_server_url)
    # The replay's embedded server lives in its TMPDIR: a folder of this test alone.
    scratch = Path(tempfile.mkdtemp(prefix="jf-replay-"))
    process = subprocess.Popen(
        [sys.executable, "-m", ENTRY, "replay", "-k", "blocking", *arguments],
        cwd=blocking_project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    started = blocking_project / "started"
    deadline = time.monotonic() + DEADLINE_SECONDS
    pause = threading.Event()
    while time.monotonic() < deadline and process.poll() is None:
        if started.exists() and started.read_text():  # the handler wrote its job id
            break
        pause.wait(0.05)
    assert started.exists(), process.communicate(timeout=DEADLINE_SECONDS)
    replay_database = _database_holding(server_url, started.read_text()) if arguments else None
    process.send_signal(stop_signal)
    _, stderr = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    if replay_database is not None:
        assert replay_database not in _throwaway_databases(server_url)
    assert _processes_using(scratch) == []
    assert list(scratch.glob("jobforge-pg-*")) == []  # the server's folder is gone
    shutil.rmtree(scratch)


def test_a_golden_name_with_control_characters_stays_on_one_line(project: Path) -> None:
    golden = project / "goldens" / "autopilot.ops.scan" / "weak-tls.yaml"
    text = golden.read_text()
    golden.write_text(
        text.replace(text.splitlines()[1], 'name: "two\\nlines \\e[31mred"', 1).replace(
            "severity: high", "severity: low"
        )
    )
    result = replay(project, "-k", "two")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "\x1b[31m" not in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.endswith("weak-tls.yaml::two\\nlines \\x1b[31mred") for line in lines), lines
    assert any(line.endswith("weak-tls.yaml:9: two\\nlines \\x1b[31mred") for line in lines), lines
