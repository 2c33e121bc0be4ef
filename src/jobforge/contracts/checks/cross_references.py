"""Checks across files: ids unique, every job type served, handled, covered by goldens.

These need the whole tree (and, for handlers, importing the project's handler modules),
so they run when ``validate`` is given no paths.

A file that did not load or match its model is already a problem of its own. What it
declares is unknown, so nothing that may refer to it is reported: a broken
``connectors/x/metadata.json`` does not also make every use of ``x`` an unknown
connector, nor a broken runner contract orphan its goldens.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobforge.contracts.checks.checked import Checked
from jobforge.contracts.config import PYPROJECT, ContractsConfig
from jobforge.contracts.loading.layout import CONNECTOR_FILE, ContractFile, FileKind
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.problem import START, Position, Problem


@dataclass(frozen=True, slots=True)
class Broken:
    """A file that did not load (``data`` None) or did not match its model."""

    file: ContractFile
    data: Any = None

    def text(self, key: str) -> str | None:
        """The raw ``key`` of the file, if it loaded as a mapping and that is a string."""
        value = self.data.get(key) if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None

    def keys(self, key: str) -> set[str] | None:
        """The raw keys of the mapping at ``key``, or None when they cannot be known."""
        value = self.data.get(key) if isinstance(self.data, dict) else None
        return {str(name) for name in value} if isinstance(value, dict) else None


@dataclass(frozen=True, slots=True)
class _Unknowns:
    """What broken files may declare: ids they may define and job types they may serve
    or cover (None where even a guess is impossible)."""

    connector_ids: set[str]
    runner_ids: set[str]
    served: set[str] | None
    covered_by_runner: dict[str, set[str] | None]

    @classmethod
    def of(cls, broken: Sequence[Broken]) -> _Unknowns:
        connector_ids: set[str] = set()
        runner_ids: set[str] = set()
        served: set[str] | None = set()
        covered: dict[str, set[str] | None] = {}
        for item in broken:
            if item.file.kind is FileKind.CONNECTOR:
                connector_ids.add(item.file.path.parent.name)
                connector_ids.update(filter(None, [item.text("connector_id")]))
            elif item.file.kind is FileKind.RUNNER:
                runner_ids.add(item.file.path.name.removesuffix(".yaml"))
                runner_ids.update(filter(None, [item.text("runner_id")]))
                job_types = item.keys("job_types")
                served = None if served is None or job_types is None else served | job_types
            else:
                runner_id = item.file.path.parent.name
                job_type = item.text("job_type")
                known = covered.get(runner_id, set())
                covered[runner_id] = (
                    None if known is None or job_type is None else known | {job_type}
                )
        return cls(connector_ids, runner_ids, served, covered)


def check_cross_references(
    config: ContractsConfig, checked: list[Checked], broken: Sequence[Broken] = ()
) -> list[Problem]:
    """Problems between ``checked`` files; ``broken`` files make no reference unknown."""
    runners = [c for c in checked if c.file.kind is FileKind.RUNNER]
    connectors = [c for c in checked if c.file.kind is FileKind.CONNECTOR]
    goldens = [c for c in checked if c.file.kind is FileKind.GOLDEN]
    unknowns = _Unknowns.of(broken)
    problems: list[Problem] = []
    problems += _unique_ids(connectors, "connector_id", rules.DUPLICATE_CONNECTOR_ID)
    problems += _unique_ids(runners, "runner_id", rules.DUPLICATE_RUNNER_ID)
    served = _served_job_types(runners, problems)
    if unknowns.served is not None:
        problems += _connector_job_types_served(connectors, {*served, *unknowns.served})
    known_connectors = {c.model.connector_id for c in connectors} | unknowns.connector_ids
    problems += _runner_connectors_known(config, runners, known_connectors)
    problems += _handlers(config, runners)
    problems += _goldens(config, runners, goldens, unknowns)
    return problems


def _unique_ids(items: list[Checked], key: str, rule: rules.Rule) -> list[Problem]:
    first: dict[str, Checked] = {}
    problems = []
    for item in items:
        value = getattr(item.model, key)
        if value in first:
            problems.append(
                item.loaded.problem(
                    (key,), rule, f"{key} {value!r} is also declared in {first[value].file.display}"
                )
            )
        else:
            first[value] = item
    return problems


def _served_job_types(runners: list[Checked], problems: list[Problem]) -> dict[str, Checked]:
    served: dict[str, Checked] = {}
    for runner in runners:
        for job_type in runner.model.job_types:
            if job_type in served:
                problems.append(
                    runner.loaded.key_problem(
                        ("job_types", job_type),
                        rules.DUPLICATE_JOB_TYPE,
                        f"job type {job_type!r} is also served by "
                        f"{served[job_type].file.display}; a job type has one runner",
                    )
                )
            else:
                served[job_type] = runner
    return served


def _connector_job_types_served(connectors: list[Checked], served: set[str]) -> list[Problem]:
    return [
        connector.loaded.problem(
            ("supported_job_types", index),
            rules.JOB_TYPE_NOT_SERVED,
            f"job type {job_type!r} is served by no runner contract",
        )
        for connector in connectors
        for index, job_type in enumerate(connector.model.supported_job_types)
        if job_type not in served
    ]


def _runner_connectors_known(
    config: ContractsConfig, runners: list[Checked], known: set[str]
) -> list[Problem]:
    folder = config.relative(config.connectors_dir)
    return [
        runner.loaded.problem(
            ("connectors", index),
            rules.UNKNOWN_CONNECTOR,
            f"connector {connector_id!r} has no {folder}/{connector_id}/{CONNECTOR_FILE}",
        )
        for runner in runners
        for index, connector_id in enumerate(runner.model.connectors)
        if connector_id not in known
    ]


def _handlers(config: ContractsConfig, runners: list[Checked]) -> list[Problem]:
    if not runners:
        return []
    registered, failure = _registered_job_types(config)
    if failure is not None:
        return [failure]
    return [
        runner.loaded.key_problem(
            ("job_types", job_type),
            rules.MISSING_HANDLER,
            f"no handler is registered for job type {job_type!r} "
            f"(handler modules: {', '.join(config.handler_modules) or 'none configured'})",
        )
        for runner in runners
        for job_type in runner.model.job_types
        if job_type not in registered
    ]


def _registered_job_types(config: ContractsConfig) -> tuple[set[str], Problem | None]:
    """Import ``[tool.jobforge] handler_modules`` and list the job types they register."""
    from jobforge.handlers import default_registry, import_handler_modules  # noqa: PLC0415

    # The project's own modules are importable the way pytest makes them: from the
    # root and from src/, whether or not the project is installed.
    for folder in (config.root / "src", config.root):
        if folder.is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        import_handler_modules(config.handler_modules)
    except Exception as exc:  # noqa: BLE001 - user code may raise anything while importing
        cause = exc.__cause__ or exc
        return set(), Problem(
            PYPROJECT,
            _line_of(config.root / PYPROJECT, "handler_modules"),
            ("tool", "jobforge", "handler_modules"),
            rules.HANDLER_IMPORT_FAILED,
            f"importing the handler modules failed: {type(cause).__name__}: {cause}",
        )
    return set(default_registry.job_types()), None


def _line_of(path: Path, needle: str) -> Position:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return START
    for number, line in enumerate(lines, start=1):
        column = line.find(needle)
        if column != -1:
            return Position(number, column + 1)
    return START


def _goldens(
    config: ContractsConfig, runners: list[Checked], goldens: list[Checked], unknowns: _Unknowns
) -> list[Problem]:
    goldens_folder = config.relative(config.goldens_dir)
    by_id = {runner.model.runner_id: runner for runner in runners}
    covered: set[str] = set()
    problems = []
    for golden in goldens:
        runner_id = golden.file.path.parent.name
        runner = by_id.get(runner_id)
        job_type = golden.model.job_type
        if runner is None and runner_id in unknowns.runner_ids:
            continue  # its runner contract is broken: reported there, checked once fixed
        if runner is None:
            problems.append(
                golden.loaded.problem(
                    (),
                    rules.GOLDEN_UNKNOWN_JOB_TYPE,
                    f"no runner contract {runner_id!r} (the golden's folder name)",
                )
            )
            continue
        contract = runner.model.job_types.get(job_type)
        if contract is None:
            problems.append(
                golden.loaded.problem(
                    ("job_type",),
                    rules.GOLDEN_UNKNOWN_JOB_TYPE,
                    f"runner {runner_id!r} does not serve job type {job_type!r}; it serves "
                    f"{', '.join(sorted(runner.model.job_types))}",
                )
            )
            continue
        covered.add(job_type)
        problems += _expectation_problems(golden, contract.input_schema, contract.output_schema)
    for runner in runners:
        runner_id = runner.model.runner_id
        maybe_covered = unknowns.covered_by_runner.get(runner_id, set())
        if maybe_covered is None:
            continue  # a broken golden of this runner may cover any of its job types
        problems += [
            runner.loaded.key_problem(
                ("job_types", job_type),
                rules.MISSING_GOLDEN,
                f"job type {job_type!r} has no golden in {goldens_folder}/{runner_id}/",
            )
            for job_type in runner.model.job_types
            if job_type not in covered and job_type not in maybe_covered
        ]
    return problems


def _expectation_problems(
    golden: Checked, input_schema: dict[str, Any], output_schema: dict[str, Any]
) -> list[Problem]:
    """The golden's input and expectation against its job type's schemas.

    A golden expecting ``invalid_input`` holds an input that the input schema, or the
    handler's own checks, refuse: it is not held to the schema. One expecting any other
    error needs a valid input, and has no output to check.
    """
    expected_error = golden.model.expected_error
    if expected_error is not None and expected_error.kind == "invalid_input":
        return []
    input_problems = _schema_problems(
        golden, "input", input_schema, rules.GOLDEN_INPUT_INVALID, partial=False
    )
    if expected_error is not None:
        return input_problems
    return input_problems + _schema_problems(
        golden,
        "expected_output",
        output_schema,
        rules.GOLDEN_OUTPUT_INVALID,
        partial=not golden.model.exact,
    )


def _schema_problems(
    golden: Checked, key: str, schema: dict[str, Any], rule: rules.Rule, *, partial: bool
) -> list[Problem]:
    """Problems of ``golden.<key>`` against ``schema``.

    A golden that is not ``exact`` lists only part of the output (it must be contained in
    the real one), so ``required`` is not enforced on its expected output.
    """
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    validator = Draft202012Validator(schema)
    errors: Iterable[Any] = validator.iter_errors(getattr(golden.model, key))
    problems = []
    for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        if partial and error.validator == "required":
            continue
        field_path = (key, *error.absolute_path)
        problems.append(golden.loaded.problem(field_path, rule, error.message))
    return problems
