"""Registry generation and drift for 1,000 connectors, in a temporary project.

Figures (seconds, medians of a few runs): rendering in memory from loaded models; each
command in a fresh process as CI runs it (``generate-registry`` into an empty folder,
``generate-registry --check`` on an up-to-date folder, ``lock``, and ``drift`` against
the lock). The target for generating the registry of 1,000 connectors is under 3 s.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jobforge.contracts.config import load_config
from jobforge.contracts.contract_set import load_contract_set
from jobforge.registry.render import render_registry

CONNECTORS = 1_000
RUNS = 3
REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = str(Path(sys.executable).parent / "jobforge-contracts")
SAMPLE = REPO_ROOT / "connectors" / "readylayer.cdn" / "metadata.json"
PYPROJECT = '[project]\nname = "bench"\nversion = "0"\n'


def _make_project(root: Path) -> None:
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    sample.pop("$schema", None)
    for index in range(CONNECTORS):
        connector_id = f"bench.c{index:04d}"
        document = {
            **sample,
            "connector_id": connector_id,
            "supported_job_types": [f"bench.job{index:04d}"],
            "capabilities": {**sample["capabilities"], "batch": index % 2 == 0},
        }
        folder = root / "connectors" / connector_id
        folder.mkdir(parents=True)
        (folder / "metadata.json").write_text(json.dumps(document, indent=2), encoding="utf-8")


def _command_seconds(arguments: list[str], cwd: Path, *, before: Path | None = None) -> float:
    timings = []
    for _ in range(RUNS):
        if before is not None:
            shutil.rmtree(before, ignore_errors=True)
        started = time.perf_counter()
        completed = subprocess.run(
            [CONTRACTS, *arguments], cwd=cwd, capture_output=True, check=False
        )
        timings.append(time.perf_counter() - started)
        if completed.returncode != 0:
            raise RuntimeError(
                f"jobforge-contracts {' '.join(arguments)} exited {completed.returncode}: "
                f"{completed.stdout.decode()[-2000:]}{completed.stderr.decode()[-2000:]}"
            )
    return statistics.median(timings)


def _render_seconds(root: Path) -> tuple[float, float]:
    started = time.perf_counter()
    contracts = load_contract_set(load_config(root), include_runners=False)
    loaded = time.perf_counter()
    assert contracts.ok, contracts.problems[:3]
    models = contracts.connector_models()
    render_registry(models)  # warm the template cache, as one CLI run does once
    timings = []
    for _ in range(RUNS):
        begin = time.perf_counter()
        render_registry(models)
        timings.append(time.perf_counter() - begin)
    return loaded - started, statistics.median(timings)


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="jobforge-bench-registry-") as scratch:
        root = Path(scratch)
        _make_project(root)
        output = root / "docs" / "connectors"
        load_seconds, render_seconds = _render_seconds(root)
        generate = _command_seconds(["generate-registry"], root, before=output)
        check = _command_seconds(["generate-registry", "--check"], root)
        lock = _command_seconds(["lock", "--force"], root)
        drift = _command_seconds(["drift"], root)
        files = len(list(output.iterdir()))
    return {
        "connectors": float(CONNECTORS),
        "registry files written": float(files),
        "load 1,000 connector files in process (s)": load_seconds,
        "render 1,000 connectors in memory (s)": render_seconds,
        "generate-registry, fresh process, empty folder (s)": generate,
        "generate-registry --check, fresh process (s)": check,
        "lock, fresh process (s)": lock,
        "drift against the lock, fresh process (s)": drift,
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<55} {value:>10.3f}")
