"""Building small projects of contract files in a temporary folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = Path(__file__).parent / "samples"
# Frozen copies of the zone-scan runner, two of its goldens and its connector: the shipped
# files grow with the runners (more job types, connectors and versions), which a project
# of this one job type lacks; tests of the rules need a project that stays put.
SAMPLE_CONNECTOR = SAMPLES / "readylayer.cdn" / "metadata.json"
SAMPLE_RUNNER = SAMPLES / "autopilot.ops.scan" / "autopilot.ops.scan.yaml"
SAMPLE_GOLDENS = SAMPLES / "autopilot.ops.scan" / "goldens"


def sample_connector(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE_CONNECTOR.read_text(encoding="utf-8"))
    document.pop("$schema")
    document.update(changes)
    return document


def write_connector(root: Path, folder: str, document: dict[str, Any]) -> Path:
    path = root / "connectors" / folder / "metadata.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def make_project(root: Path, *, pyproject: str = "", with_samples: bool = True) -> Path:
    """A project at ``root``: a pyproject.toml and, optionally, the shipped sample files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    if with_samples:
        connector = root / "connectors" / "readylayer.cdn"
        connector.mkdir(parents=True)
        shutil.copyfile(SAMPLE_CONNECTOR, connector / "metadata.json")
        runners = root / "contracts" / "runners"
        runners.mkdir(parents=True)
        shutil.copyfile(SAMPLE_RUNNER, runners / SAMPLE_RUNNER.name)
        shutil.copytree(SAMPLE_GOLDENS, root / "goldens" / "autopilot.ops.scan")
    return root


SAMPLE_PYPROJECT = '[tool.jobforge]\nhandler_modules = ["jobforge.runners.ops.scan"]\n'
