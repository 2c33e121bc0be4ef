"""Running ``jobforge-contracts`` as a user types it: a fresh process, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROGRAM = str(Path(sys.executable).parent / "jobforge-contracts")
DEADLINE_SECONDS = 60


def contracts(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [PROGRAM, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed
