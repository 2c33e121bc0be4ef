"""What `jobforge worker run` sets up in its own process before it runs jobs."""

from __future__ import annotations

import json
import subprocess
import sys

from jobforge.cli.worker_command import YOUNG_GENERATION_THRESHOLD


def _in_fresh_interpreter(code: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return dict(json.loads(completed.stdout))


def test_start_up_objects_are_frozen_out_of_garbage_collection() -> None:
    seen = _in_fresh_interpreter(
        "import gc, json\n"
        "from jobforge.cli.worker_command import tune_garbage_collection\n"
        "before = gc.get_threshold()\n"
        "tune_garbage_collection()\n"
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'before': before,"
        " 'after': gc.get_threshold()}))\n"
    )
    assert isinstance(seen["frozen"], int)
    assert seen["frozen"] > 1_000
    before, after = seen["before"], seen["after"]
    assert isinstance(before, list)
    assert isinstance(after, list)
    assert after == [YOUNG_GENERATION_THRESHOLD, *before[1:]]


def test_the_jobforge_command_imports_only_what_its_command_needs() -> None:
    """Every `jobforge` command builds the whole parser: command modules import their heavy
    dependencies when they run, so a worker does not start up the client, demo or replay."""
    seen = _in_fresh_interpreter(
        "import json, sys\n"
        "import jobforge.cli.main\n"
        "print(json.dumps({'loaded': sorted(m for m in sys.modules"
        " if m.startswith(('jobforge.client', 'jobforge.demo', 'jobforge.replay')))}))\n"
    )
    assert seen["loaded"] == []
