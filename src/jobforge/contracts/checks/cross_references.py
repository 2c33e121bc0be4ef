"""Checks across files: ids unique, every job type served, handled, covered by goldens.

These need the whole tree (and, for handlers, importing the project's handler modules),
so they run when ``validate`` is given no paths.

Each check reads the values it needs from each file (see ``checked``), whether or not the
rest of the file is right: a golden with an unknown key still has its input checked
against its runner's schema. A value that is wrong or missing is a problem of its own,
and what it would say is unknown, so nothing that depends on it is reported: a broken
``connector_id`` does not also make every use of that connector unknown (the folder name
and the text written count as declared), a runner whose job types cannot be read orphans
none of its goldens, and a golden whose job type is wrong leaves no job type of its runner
without a golden.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jobforge.contracts.checks.checked import Checked
from jobforge.contracts.config import PYPROJECT, ContractsConfig
from jobforge.contracts.loading.layout import CONNECTOR_FILE, FileKind
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.json_names import quoted
from jobforge.contracts.problems.problem import START, Position, Problem
from jobforge.contracts.problems.schema_messages import schema_error_message


def check_cross_references(config: ContractsConfig, files: Sequence[Checked]) -> list[Problem]:
    """Problems between ``files`` (every contract file, loaded or not)."""
    runners = [c for c in files if c.file.kind is FileKind.RUNNER]
    connectors = [c for c in files if c.file.kind is FileKind.CONNECTOR]
    goldens = [c for c in files if c.file.kind is FileKind.GOLDEN]
    problems: list[Problem] = []
    problems += _unique_ids(connectors, "connector_id", rules.DUPLICATE_CONNECTOR_ID)
    problems += _unique_ids(runners, "runner_id", rules.DUPLICATE_RUNNER_ID)
    problems += _duplicate_job_types(runners)
    problems += _connector_job_types_served(connectors, runners)
    problems += _runner_connectors_known(config, runners, connectors)
    problems += _handlers(config, runners)
    problems += _goldens(config, runners, goldens)
    return problems


def _declared_ids(item: Checked, key: str, from_path: str) -> set[str]:
    """The ids a file declares: its valid ``key``; if that is wrong, any it may mean (the
    name its path gives, and the text written)."""
    known = item.text(key)
    if known is not None:
        return {known}
    written = item.written_text(key)
    return {from_path, written} if written is not None else {from_path}


def _job_types(runner: Checked) -> list[str] | None:
    """The job types a runner declares as written (a wrong key is still declared), or None
    when its ``job_types`` cannot be read as a mapping."""
    written = runner.value("job_types")
    if not runner.holds_all_written("job_types") or not isinstance(written, dict):
        return None
    return list(written)


def _valid_job_types(runner: Checked) -> list[str]:
    """The job types of a runner whose names are valid."""
    return [
        job_type
        for job_type in _job_types(runner) or []
        if runner.known("job_types", job_type, "[key]")
    ]


def _unique_ids(items: list[Checked], key: str, rule: rules.Rule) -> list[Problem]:
    first: dict[str, Checked] = {}
    problems = []
    for item in items:
        value = item.text(key)
        if value is None:
            continue
        if value in first:
            problems.append(
                item.loaded.problem(
                    (key,),
                    rule,
                    f"{key} {quoted(value)} is also declared in {first[value].file.display}",
                )
            )
        else:
            first[value] = item
    return problems


def _duplicate_job_types(runners: list[Checked]) -> list[Problem]:
    served: dict[str, Checked] = {}
    problems = []
    for runner in runners:
        for job_type in _valid_job_types(runner):
            if job_type in served:
                problems.append(
                    runner.loaded.key_problem(
                        ("job_types", job_type),
                        rules.DUPLICATE_JOB_TYPE,
                        f"job type {quoted(job_type)} is also served by "
                        f"{served[job_type].file.display}; a job type has one runner",
                    )
                )
            else:
                served[job_type] = runner
    return problems


def _connector_job_types_served(connectors: list[Checked], runners: list[Checked]) -> list[Problem]:
    served: set[str] = set()
    for runner in runners:
        declared = _job_types(runner)
        if declared is None:
            return []  # a runner that may serve anything: no job type is surely unserved
        served.update(declared)
    problems = []
    for connector in connectors:
        listed = connector.value("supported_job_types")
        for index in range(len(listed) if isinstance(listed, list) else 0):
            job_type = connector.text("supported_job_types", index)
            if job_type is not None and job_type not in served:
                problems.append(
                    connector.loaded.problem(
                        ("supported_job_types", index),
                        rules.JOB_TYPE_NOT_SERVED,
                        f"job type {quoted(job_type)} is served by no runner contract",
                    )
                )
    return problems


def _runner_connectors_known(
    config: ContractsConfig, runners: list[Checked], connectors: list[Checked]
) -> list[Problem]:
    folder = config.relative(config.connectors_dir)
    known: set[str] = set()
    for connector in connectors:
        known |= _declared_ids(connector, "connector_id", connector.file.path.parent.name)
    problems = []
    for runner in runners:
        listed = runner.value("connectors")
        for index in range(len(listed) if isinstance(listed, list) else 0):
            connector_id = runner.text("connectors", index)
            if connector_id is not None and connector_id not in known:
                problems.append(
                    runner.loaded.problem(
                        ("connectors", index),
                        rules.UNKNOWN_CONNECTOR,
                        f"connector {quoted(connector_id)} has no "
                        f"{folder}/{connector_id}/{CONNECTOR_FILE}",
                    )
                )
    return problems


def _handlers(config: ContractsConfig, runners: list[Checked]) -> list[Problem]:
    job_types = [(runner, job_type) for runner in runners for job_type in _valid_job_types(runner)]
    if not job_types:
        return []
    registered, failure = _registered_job_types(config)
    if failure is not None:
        return [failure]
    return [
        runner.loaded.key_problem(
            ("job_types", job_type),
            rules.MISSING_HANDLER,
            f"no handler is registered for job type {quoted(job_type)} "
            f"(handler modules: {', '.join(config.handler_modules) or 'none configured'})",
        )
        for runner, job_type in job_types
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
    config: ContractsConfig, runners: list[Checked], goldens: list[Checked]
) -> list[Problem]:
    goldens_folder = config.relative(config.goldens_dir)
    by_id: dict[str, Checked] = {}
    maybe_defined: set[str] = set()
    for runner in runners:
        runner_id = runner.text("runner_id")
        if runner_id is not None:
            by_id.setdefault(runner_id, runner)
        else:
            stem = runner.file.path.name.removesuffix(".yaml")
            maybe_defined |= _declared_ids(runner, "runner_id", stem)
    covered: dict[str, set[str]] = {}
    uncertain: set[str] = set()  # runners a golden of unknown job type may cover
    problems: list[Problem] = []
    for golden in goldens:
        runner_id = golden.file.path.parent.name
        found = by_id.get(runner_id)
        if found is None:
            if runner_id not in maybe_defined:
                problems.append(
                    golden.loaded.problem(
                        (),
                        rules.GOLDEN_UNKNOWN_JOB_TYPE,
                        f"no runner contract {quoted(runner_id)} (the golden's folder name)",
                    )
                )
            continue  # else its runner contract is broken: reported there
        job_type = golden.text("job_type")
        served = _job_types(found)
        if job_type is None or served is None:
            uncertain.add(runner_id)
            continue
        if job_type not in served:
            problems.append(
                golden.loaded.problem(
                    ("job_type",),
                    rules.GOLDEN_UNKNOWN_JOB_TYPE,
                    f"runner {quoted(runner_id)} does not serve job type {quoted(job_type)}; "
                    f"it serves {', '.join(sorted(served))}",
                )
            )
            continue
        covered.setdefault(runner_id, set()).add(job_type)
        problems += _golden_against_schemas(golden, found, job_type)
    for runner_id, runner in by_id.items():
        if runner_id in uncertain:
            continue  # a golden of this runner may cover any of its job types
        problems += [
            runner.loaded.key_problem(
                ("job_types", job_type),
                rules.MISSING_GOLDEN,
                f"job type {quoted(job_type)} has no golden in {goldens_folder}/{runner_id}/",
            )
            for job_type in _valid_job_types(runner)
            if job_type not in covered.get(runner_id, set())
        ]
    return problems


def _golden_against_schemas(golden: Checked, runner: Checked, job_type: str) -> list[Problem]:
    """The golden's input and expectation against its job type's schemas, each checked when
    both the value and its schema are known.

    A golden expecting ``invalid_input`` holds an input that the input schema, or the
    handler's own checks, refuse: it is not held to the schema. One expecting any other
    error needs a valid input, and has no output to check. When its ``expected_error`` is
    wrong, which of these it means is unknown, and neither is checked.
    """
    if not golden.known("expected_error"):
        return []
    expected_error = golden.value("expected_error")
    if isinstance(expected_error, dict) and expected_error.get("kind") == "invalid_input":
        return []
    problems = []
    input_schema = ("job_types", job_type, "input_schema")
    if runner.known(*input_schema) and golden.known("input") and "input" in golden.value():
        problems += _schema_problems(
            golden, "input", runner.value(*input_schema), rules.GOLDEN_INPUT_INVALID, partial=False
        )
    if expected_error is not None:
        return problems
    output_schema = ("job_types", job_type, "output_schema")
    if (
        runner.known(*output_schema)
        and golden.known("expected_output")
        and golden.known("exact")
        and "expected_output" in golden.value()
    ):
        problems += _schema_problems(
            golden,
            "expected_output",
            runner.value(*output_schema),
            rules.GOLDEN_OUTPUT_INVALID,
            partial=golden.value("exact", default=False) is not True,
        )
    return problems


def _schema_problems(
    golden: Checked, key: str, schema: Any, rule: rules.Rule, *, partial: bool
) -> list[Problem]:
    """Problems of ``golden.<key>`` against ``schema``.

    A golden that is not ``exact`` lists only part of the output (it must be contained in
    the real one), so ``required`` is not enforced on its expected output.
    """
    from jobforge.json_schema import SchemaValidator  # noqa: PLC0415

    if not isinstance(schema, dict | bool):
        return []
    validator = SchemaValidator(schema)
    errors: Iterable[Any] = validator.iter_errors(golden.value(key))
    problems = []
    for error in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        if partial and error.validator == "required":
            continue
        field_path = (key, *error.absolute_path)
        problems.append(golden.loaded.problem(field_path, rule, schema_error_message(error)))
    return problems
