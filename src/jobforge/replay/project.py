"""From a project's contract files to what replay and fuzzing need: goldens and contracts."""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jobforge.contracts.checks.model_errors import validation_problems
from jobforge.contracts.config import ContractsConfig
from jobforge.contracts.contract_set import load_contract_set
from jobforge.contracts.loading.layout import (
    ContractFile,
    FileKind,
    Misnamed,
    classify,
    discover,
    golden_pattern,
)
from jobforge.contracts.loading.loader import LoadedFile, load_file
from jobforge.contracts.models.contract_files import GoldenCase, RunnerConfig
from jobforge.contracts.problems.problem import Problem
from jobforge.contracts.problems.problem_format import escape_control
from jobforge.errors import ConfigurationError
from jobforge.handlers import import_handler_modules
from jobforge.replay.cases import DEFAULT_NOW, DEFAULT_SEED, GoldenSpec
from jobforge.worker.job_types import JobTypeContract, contracts_by_job_type

# Golden tenants may be readable names; they map to stable UUIDs in this namespace.
TENANT_NAMESPACE = uuid.UUID("6a6f6266-6f72-4765-8000-74656e616e74")


@dataclass(frozen=True)
class InvalidGolden:
    """A golden file that is not a valid golden: where it is, what it says it is (its
    ``name`` and ``job_type`` when they are strings), and its problems."""

    path: str
    name: str | None
    job_type: str | None
    problems: tuple[Problem, ...]

    @property
    def line(self) -> int:
        return min(problem.position.line for problem in self.problems)

    @property
    def message(self) -> str:
        """Each problem without its location, joined with "; " (one line)."""
        return "; ".join(dict.fromkeys(_headline(problem) for problem in self.problems))


@dataclass
class ReplayInputs:
    goldens: list[GoldenSpec] = field(default_factory=list)
    job_types: dict[str, JobTypeContract] = field(default_factory=dict)
    runners: dict[str, RunnerConfig] = field(default_factory=dict)
    contract_problems: list[Problem] = field(default_factory=list)
    """Problems of runner contracts and connectors: goldens cannot be judged by them."""
    invalid_goldens: list[InvalidGolden] = field(default_factory=list)
    files_read: Counter[FileKind] = field(default_factory=Counter)

    @property
    def problems(self) -> list[Problem]:
        """Every problem, of contract files and goldens, sorted by file and position."""
        found = [*self.contract_problems]
        for invalid in self.invalid_goldens:
            found.extend(invalid.problems)
        return sorted(found, key=Problem.sort_key)


def tenant_uuid(tenant: str) -> str:
    """The golden's tenant as a UUID: itself if it is one, else a stable name-based UUID."""
    try:
        return str(uuid.UUID(tenant))
    except ValueError:
        return str(uuid.uuid5(TENANT_NAMESPACE, tenant))


def load_replay_inputs(config: ContractsConfig, paths: Sequence[Path] = ()) -> ReplayInputs:
    """Runner contracts and goldens (all of them, or those at ``paths``), with problems."""
    from pydantic import ValidationError  # noqa: PLC0415

    inputs = ReplayInputs()
    discovered = discover(config)
    contracts = load_contract_set(config, discovered=discovered)
    inputs.contract_problems.extend(contracts.problems)
    inputs.files_read.update(
        file.kind for file in discovered[0] if file.kind in (FileKind.RUNNER, FileKind.CONNECTOR)
    )
    inputs.runners = {key: located.model for key, located in contracts.runners.items()}
    inputs.job_types = contracts_by_job_type(inputs.runners.values())
    for file in _golden_files(config, paths, discovered[0], inputs.invalid_goldens):
        inputs.files_read[FileKind.GOLDEN] += 1
        loaded = load_file(file.path, file.display, max_bytes=config.max_file_bytes)
        if not loaded.ok:
            inputs.invalid_goldens.append(_invalid(file.display, loaded, loaded.problems))
            continue
        try:
            case = GoldenCase.model_validate(loaded.data)
        except ValidationError as exc:
            problems = validation_problems(exc, GoldenCase, loaded)
            inputs.invalid_goldens.append(_invalid(file.display, loaded, problems))
            continue
        runner = inputs.job_types.get(case.job_type)
        expectation = "expected_error" if case.expected_error is not None else "expected_output"
        expected_line = loaded.positions.value((expectation,)).line
        inputs.goldens.append(
            GoldenSpec(
                name=case.name,
                path=Path(file.display),
                line=expected_line,
                job_type=case.job_type,
                tenant_id=tenant_uuid(case.tenant),
                input=case.input,
                expected_output=case.expected_output,
                exact=case.exact,
                expected_trace_keys=tuple(case.expected_trace_keys),
                expected_artifact_keys=tuple(case.expected_artifact_keys),
                deterministic=case.deterministic,
                connector_responses=tuple(
                    response.to_recording() for response in case.connector_responses
                ),
                now=datetime.fromisoformat(case.now) if case.now else DEFAULT_NOW,
                seed=case.seed if case.seed is not None else DEFAULT_SEED,
                expected_output_line=expected_line,
                expected_error=(
                    case.expected_error.model_dump(exclude_none=True)
                    if case.expected_error is not None
                    else None
                ),
                expected_follow_ups=(
                    tuple(f.model_dump(exclude_unset=True) for f in case.expected_follow_ups)
                    if case.expected_follow_ups is not None
                    else None
                ),
                runner_id=runner.runner_id if runner else None,
            )
        )
    return inputs


def _invalid(display: str, loaded: LoadedFile, problems: Sequence[Problem]) -> InvalidGolden:
    data = loaded.data if isinstance(loaded.data, dict) else {}
    name, job_type = data.get("name"), data.get("job_type")
    return InvalidGolden(
        path=display,
        name=name if isinstance(name, str) else None,
        job_type=job_type if isinstance(job_type, str) else None,
        problems=tuple(sorted(problems, key=Problem.sort_key)),
    )


def _headline(problem: Problem) -> str:
    field = f"{problem.field_text}: " if problem.field else ""
    return escape_control(f"{field}{problem.rule.title}: {problem.message}")


def _golden_files(
    config: ContractsConfig,
    paths: Sequence[Path],
    discovered: Sequence[ContractFile],
    invalid: list[InvalidGolden],
) -> list[ContractFile]:
    if not paths:
        return [file for file in discovered if file.kind is FileKind.GOLDEN]
    chosen: list[ContractFile] = []
    for path in paths:
        found = classify(path, config)
        if isinstance(found, ContractFile) and found.kind is FileKind.GOLDEN:
            chosen.append(found)
        elif isinstance(found, Misnamed):
            problem = found.problem()
            invalid.append(InvalidGolden(problem.path, None, None, (problem,)))
        else:
            raise ConfigurationError(f"{path}: not a golden file ({golden_pattern(config)})")
    return chosen


def import_project_handlers(config: ContractsConfig) -> None:
    """Import ``[tool.jobforge] handler_modules`` from the project root (and its src/)."""
    for folder in (config.root / "src", config.root):
        if folder.is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        import_handler_modules(config.handler_modules)
    except Exception as exc:
        cause = exc.__cause__ or exc
        raise ConfigurationError(
            f"pyproject.toml [tool.jobforge] handler_modules: importing failed: "
            f"{type(cause).__name__}: {cause}"
        ) from exc
