"""Running an integration example as its docs page says: one command, from the repository
root, on the embedded PostgreSQL, with no network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEADLINE_SECONDS = 240


def run_example(name: str) -> str:
    """``python examples/integrations/<name>_example.py``: its standard output, once it has
    exited 0 without a traceback."""
    example = Path("examples") / "integrations" / f"{name}_example.py"
    completed = subprocess.run(
        [sys.executable, str(example)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE_SECONDS,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout
