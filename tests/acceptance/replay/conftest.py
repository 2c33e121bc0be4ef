"""A scratch project for the replay CLI: the sample runner plus a runner whose handler blocks."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.unit.contracts.support import make_project

REPO = Path(__file__).resolve().parents[3]

BLOCKING_RUNNER = """\
runner_id: test.blocking
runner_type: ops
version: 1.0.0
description: Waits until a file appears, so a test can interrupt a replay mid-job.
job_types:
  test.blocking.wait:
    description: Wait for the file named in the input.
    input_schema:
      type: object
      required: [release_file, started_file]
      properties:
        release_file: {type: string}
        started_file: {type: string}
    output_schema: {type: object}
methods: {execute: true, validate: false, health: false, trace: false}
determinism: {input_snapshot: true, decision_trace: true, output_artifact: true, replayable: true}
retry: {max_attempts: 1, backoff_base_seconds: 1, backoff_cap_seconds: 1}
timeout_seconds: 60
"""

BLOCKING_HANDLER = """\
import threading
from pathlib import Path

from jobforge import handler


@handler("test.blocking.wait")
def wait(payload, ctx):
    Path(payload["started_file"]).write_text(str(ctx.job_id))
    release = Path(payload["release_file"])
    pause = threading.Event()
    while not release.exists():
        pause.wait(0.05)
    return {}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The zone-scan runner, its connector and two goldens (frozen copies), with the
    repository's JSON Schemas, runnable from ``tmp_path``."""
    make_project(
        tmp_path,
        pyproject=textwrap.dedent(
            """\
            [project]
            name = "scratch"
            version = "0.0.0"

            [tool.jobforge]
            handler_modules = ["jobforge.runners.ops.scan"]
            """
        ),
    )
    shutil.copytree(REPO / "contracts" / "schema", tmp_path / "contracts" / "schema")
    return tmp_path


@pytest.fixture
def blocking_project(project: Path) -> Path:
    """``project`` plus the blocking runner, its handler module and one golden."""
    (project / "contracts" / "runners" / "test.blocking.yaml").write_text(BLOCKING_RUNNER)
    (project / "blocking_handlers.py").write_text(BLOCKING_HANDLER)
    golden_dir = project / "goldens" / "test.blocking"
    golden_dir.mkdir()
    (golden_dir / "waits.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: waits for its release file
            job_type: test.blocking.wait
            tenant: blocking-tests
            input:
              release_file: {project / "release"}
              started_file: {project / "started"}
            expected_output: {{}}
            deterministic: false
            """
        )
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'handler_modules = ["jobforge.runners.ops.scan"]',
            'handler_modules = ["jobforge.runners.ops.scan", "blocking_handlers"]',
        )
    )
    return project
