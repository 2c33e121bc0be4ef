"""Golden replay speed: 100 goldens cold (including the throwaway PostgreSQL), and the
per-golden cost once PostgreSQL is up.

The 100 goldens are copies of the two zone-scan goldens of ``autopilot.ops.scan`` in a
temporary project (the same two since the first figures, so figures stay comparable).
"Cold" is one `jobforge-contracts replay` process from spawn to exit on an embedded
PostgreSQL it starts and removes. The per-golden overhead replays 1 and then 100
goldens in process on an already migrated database and divides the difference.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jobforge.contracts.config import load_config
from jobforge.db.throwaway import DatabaseFactory, embedded_server
from jobforge.handlers import default_registry
from jobforge.replay.engine import run_goldens
from jobforge.replay.project import import_project_handlers, load_replay_inputs

GOLDENS = 100
COLD_RUNS = 3
REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = str(Path(sys.executable).parent / "jobforge-contracts")
PYPROJECT = """\
[project]
name = "bench"
version = "0"

[tool.jobforge]
handler_modules = ["jobforge.runners.ops.scan"]
"""


def _project(folder: Path) -> Path:
    for name in ("contracts", "connectors"):
        shutil.copytree(REPO_ROOT / name, folder / name)
    (folder / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    samples = [
        REPO_ROOT / "goldens" / "autopilot.ops.scan" / f"{name}.yaml"
        for name in ("hardened-zone", "weak-tls")
    ]
    target = folder / "goldens" / "autopilot.ops.scan"
    target.mkdir(parents=True)
    for index in range(GOLDENS):
        sample = samples[index % len(samples)]
        text = sample.read_text(encoding="utf-8").replace("name: ", f"name: copy {index} of ", 1)
        (target / f"case-{index:03d}.yaml").write_text(text, encoding="utf-8")
    return folder


def _cold_seconds(project: Path) -> float:
    started = time.perf_counter()
    subprocess.run([CONTRACTS, "replay"], cwd=project, check=True, capture_output=True)
    return time.perf_counter() - started


def _per_golden_ms(project: Path) -> float:
    config = load_config(project)
    inputs = load_replay_inputs(config)
    import_project_handlers(config)
    with embedded_server() as server_url:
        factory = DatabaseFactory(server_url)
        timings = {}
        for count in (1, GOLDENS):
            with factory.database() as url:
                started = time.perf_counter()
                outcomes = run_goldens(
                    url,
                    inputs.goldens[:count],
                    registry=default_registry,
                    job_types=inputs.job_types,
                )
                timings[count] = time.perf_counter() - started
                assert all(outcome.passed for outcome in outcomes)
    return (timings[GOLDENS] - timings[1]) / (GOLDENS - 1) * 1000


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="jobforge-bench-replay-") as folder:
        project = _project(Path(folder))
        cold = [_cold_seconds(project) for _ in range(COLD_RUNS)]
        return {
            "replay_100_goldens_cold_embedded_median_s": statistics.median(cold),
            "replay_per_golden_overhead_ms": _per_golden_ms(project),
        }
