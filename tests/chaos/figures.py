"""The figures a chaos run measured, printed at the end of the test session (a worker
process of pytest-xdist writes them; the controlling process prints them)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

FIGURES_DIR = Path(tempfile.gettempdir()) / "jobforge-chaos-figures"


def record_figures(name: str, figures: dict[str, Any]) -> None:
    FIGURES_DIR.mkdir(exist_ok=True)
    (FIGURES_DIR / f"{name}.json").write_text(json.dumps(figures), encoding="utf-8")


def print_figures(write_line: Any, write_title: Any, since: float) -> None:
    """Print (and remove) the figures recorded since ``since`` (a Unix time)."""
    if not FIGURES_DIR.is_dir():
        return
    for path in sorted(FIGURES_DIR.glob("*.json")):
        if path.stat().st_mtime >= since:
            write_title(f"chaos: {path.stem}")
            for key, value in json.loads(path.read_text(encoding="utf-8")).items():
                write_line(f"{key:<44} {value}")
        path.unlink()
