"""Runner contracts for the job types waiting in the queue, when run in a project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from jobforge.doctor.options import DoctorOptions
from jobforge.doctor.queries import doctor_query
from jobforge.doctor.results import CheckResult, failed, listed, passed, warned
from jobforge.project import find_project_root

Connection = psycopg.Connection[dict[str, Any]]
NAME = "runner_contracts"


def check_runner_contracts(conn: Connection, options: DoctorOptions) -> CheckResult:
    """Every job type with unfinished jobs has a runner contract in the project."""
    waiting = [row["type"] for row in conn.execute(doctor_query("waiting_job_types"))]
    start = (options.project or Path.cwd()).resolve()
    root = find_project_root(start)
    if root is None:
        return warned(
            NAME,
            f"no project here ({start} and its parents hold no pyproject.toml): runner "
            "contracts not checked",
            "run doctor in the project the workers run, or pass --project DIR",
            waiting_job_types=waiting,
        )
    # Imported here: reading contracts costs pydantic and YAML, and only this check needs it.
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415

    config = load_config(root)
    if not config.runners_dir.is_dir():
        return warned(
            NAME,
            f"the project at {root} has no {config.relative(config.runners_dir)}/: runner "
            "contracts not checked",
            "add runner contracts (jobforge-contracts init) or pass --project DIR",
            waiting_job_types=waiting,
        )
    contracts = load_contract_set(config)
    if contracts.problems:
        first = contracts.problems[0]
        return failed(
            NAME,
            f"the runner contracts of {root} do not validate ({len(contracts.problems)} "
            f"problem(s); first: {first.path}:{first.position.line}: {first.message})",
            "run `jobforge-contracts validate` and fix them: workers refuse to start until then",
            waiting_job_types=waiting,
        )
    declared = {job_type for runner in contracts.runner_models() for job_type in runner.job_types}
    missing = [job_type for job_type in waiting if job_type not in declared]
    facts = {"waiting_job_types": waiting, "without_contract": missing, "project": str(root)}
    if missing:
        return failed(
            NAME,
            f"job types waiting in the queue have no runner contract in {root}: {listed(missing)}",
            "add them to a runner contract (contracts/runners/<runner>.yaml), or run doctor "
            "with --project naming the project that declares them",
            **facts,
        )
    return passed(
        NAME,
        f"all {len(waiting)} waiting job type(s) have a runner contract in {root}",
        **facts,
    )
