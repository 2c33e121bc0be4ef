"""The README's "Using the router" example runs as a new user would run it.

The code blocks are read from README.md, so the README cannot drift from what works: the
handler module is saved where its first line says, the shell lines run (`worker run`
with `--burst` added, so it drains and exits), the client block enqueues, and the
recorded job then replays.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

from jobforge.client import JobForgeClient
from tests.acceptance.test_replay_job_cli import DEADLINE_SECONDS, jobforge

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Using the router"


def router_blocks() -> list[tuple[str, str]]:
    """(language, code) of every fenced block of the section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```(\w+)\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def shell_commands(block: str) -> list[list[str]]:
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [command for command in commands if command]


def test_the_router_example_runs_as_written(database_url: str, tmp_path: Path) -> None:
    blocks = router_blocks()
    assert [language for language, _ in blocks[:3]] == ["python", "python", "sh"]
    (_, handler_code), (_, client_code), (_, shell) = blocks[:3]
    module_path = re.match(r"# (\S+\.py)\n", handler_code)
    assert module_path, "the handler block starts with the path to save it as"
    handler_file = tmp_path / module_path.group(1)
    handler_file.parent.mkdir(parents=True)
    (handler_file.parent / "__init__.py").write_text("", encoding="utf-8")
    handler_file.write_text(handler_code, encoding="utf-8")
    env = {"JOBFORGE_DATABASE_URL": database_url}

    migrate, worker = shell_commands(shell)
    assert migrate == ["jobforge", "migrate"]
    assert worker[:2] == ["jobforge", "worker"]
    assert jobforge(*migrate[1:], cwd=tmp_path, env=env).returncode == 0
    enqueued = subprocess.run(
        [sys.executable, "-c", client_code + "\nprint(job.id)\n"],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert enqueued.returncode == 0, enqueued.stderr
    job_id = uuid.UUID(enqueued.stdout.split()[-1])
    drained = jobforge(*worker[1:], "--burst", cwd=tmp_path, env=env)
    assert drained.returncode == 0, drained.stderr

    with JobForgeClient(database_url) as client:
        job = client.get_job(job_id)
        result = client.get_result(job_id)
    assert job.state == "succeeded", job.last_error
    assert result is not None
    [call] = result.input_snapshot["connector_responses"]
    assert (call["connector_id"], call["operation"]) == ("mailer", "send")
    assert result.output["message_id"] == call["response"]["id"]
    assert [
        event["decision"] for event in result.decision_trace if event["source"] == "handler"
    ] == ["chose_channel"]

    module = module_path.group(1).removesuffix(".py").replace("/", ".")
    replayed = jobforge("replay", "--job", str(job_id), "-m", module, cwd=tmp_path, env=env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "reproduced: artifact hash" in replayed.stdout
