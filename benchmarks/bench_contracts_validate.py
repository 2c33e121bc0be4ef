"""``jobforge-contracts validate`` speed, each run in a fresh process as CI and pre-commit do.

Figures: one connector file (the pre-commit case) against check-jsonschema on the same file
with the exported schema; 1,000 connector files named on the command line; and a whole
project of 1,000 connectors plus the runner serving their job types (cross-references on).
Medians of a few runs; the 1,000-connector project is generated in a temporary folder.
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

CONNECTORS = 1_000
SINGLE_FILE_RUNS = 7
TREE_RUNS = 3
REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONTRACTS = str(BIN / "jobforge-contracts")
CHECK_JSONSCHEMA = str(BIN / "check-jsonschema")
SAMPLE = REPO_ROOT / "connectors" / "readylayer.cdn" / "metadata.json"
CONNECTOR_SCHEMA = REPO_ROOT / "contracts" / "schema" / "connector.schema.json"

PYPROJECT = """\
[project]
name = "bench"
version = "0"

[tool.jobforge]
handler_modules = []

[[tool.jobforge.contracts.ignore]]
paths = ["contracts/runners/*"]
rules = ["missing-handler", "missing-golden"]
reason = "the benchmark measures validation, it ships no handlers or goldens"
"""


def _seconds(command: list[str], cwd: Path, runs: int, expect: int = 0) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        timings.append(time.perf_counter() - started)
        if completed.returncode != expect:
            raise RuntimeError(
                f"{' '.join(command[:3])}... exited {completed.returncode}: "
                f"{completed.stdout.decode()[-2000:]}{completed.stderr.decode()[-2000:]}"
            )
    return statistics.median(timings)


def _make_project(root: Path) -> list[Path]:
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    template = json.loads(SAMPLE.read_text(encoding="utf-8"))
    template.pop("$schema", None)
    paths = []
    job_types = []
    for index in range(CONNECTORS):
        connector_id = f"bench.c{index:04d}"
        job_type = f"{connector_id}.call"
        document = {**template, "connector_id": connector_id, "supported_job_types": [job_type]}
        folder = root / "connectors" / connector_id
        folder.mkdir(parents=True)
        path = folder / "metadata.json"
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        paths.append(path)
        job_types.append(job_type)
    runner_lines = [
        "runner_id: bench.all",
        "runner_type: ops",
        "version: 1.0.0",
        "description: serves every benchmark job type",
        "job_types:",
    ]
    for job_type in job_types:
        runner_lines += [
            f"  {job_type}:",
            "    description: a call",
            "    input_schema: {type: object}",
            "    output_schema: {type: object}",
        ]
    runner_lines += [
        "methods: {execute: true, validate: false, health: false, trace: false}",
        "determinism: {input_snapshot: true, decision_trace: true, output_artifact: true,"
        " replayable: true}",
        "retry: {max_attempts: 3, backoff_base_seconds: 1, backoff_cap_seconds: 10}",
        "timeout_seconds: 30",
    ]
    runners = root / "contracts" / "runners"
    runners.mkdir(parents=True)
    (runners / "bench.all.yaml").write_text("\n".join(runner_lines) + "\n", encoding="utf-8")
    return paths


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    figures["one_connector_jobforge_s"] = _seconds(
        [CONTRACTS, "validate", str(SAMPLE)], REPO_ROOT, SINGLE_FILE_RUNS
    )
    figures["one_connector_check_jsonschema_s"] = _seconds(
        [CHECK_JSONSCHEMA, "--schemafile", str(CONNECTOR_SCHEMA), str(SAMPLE)],
        REPO_ROOT,
        SINGLE_FILE_RUNS,
    )
    figures["python_startup_s"] = _seconds([sys.executable, "-c", "pass"], REPO_ROOT, 5)
    root = Path(tempfile.mkdtemp(prefix="jobforge-bench-contracts-"))
    try:
        paths = _make_project(root)
        relative = [str(path.relative_to(root)) for path in paths]
        figures["1000_connectors_named_s"] = _seconds(
            [CONTRACTS, "validate", *relative], root, TREE_RUNS
        )
        figures["1000_connectors_whole_project_s"] = _seconds(
            [CONTRACTS, "validate"], root, TREE_RUNS
        )
    finally:
        shutil.rmtree(root)
    return figures


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<40} {value:8.3f}")
