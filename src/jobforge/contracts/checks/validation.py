"""``validate``: load each file, check it against its model, then check the files together.

Results are collected, never printed here: the CLI hands them to a reporter. When files are
named (the pre-commit case), only the checks that need nothing but those files run, so a
hook on one connector stays fast; with no files named, everything is checked together.

Every problem a file has is reported in one run: a file with a refused value is still
checked against its model, and one that breaks its model still takes part in the checks
across files with the values it got right (see ``checked``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobforge.contracts.checks.checked import Checked
from jobforge.contracts.checks.cross_references import check_cross_references
from jobforge.contracts.config import ContractsConfig
from jobforge.contracts.loading.layout import (
    ContractFile,
    FileKind,
    Misnamed,
    classify,
    discover,
    expected_layout,
)
from jobforge.contracts.loading.loader import LoadedFile, load_file
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.json_names import quoted
from jobforge.contracts.problems.problem import START, Problem


@dataclass(slots=True)
class ValidationResult:
    problems: list[Problem] = field(default_factory=list)
    ignored: int = 0
    files_checked: Counter[FileKind] = field(default_factory=Counter)
    cross_references_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def file_count(self) -> int:
        return sum(self.files_checked.values())


def validate(config: ContractsConfig, paths: Sequence[Path] = ()) -> ValidationResult:
    """Check the named files, or every contract file of the project if none are named."""
    result = ValidationResult()
    files, problems = _classify_named(paths, config) if paths else discover(config)
    checked: list[Checked] = []
    for file in files:
        result.files_checked[file.kind] += 1
        loaded = load_file(file.path, file.display, max_bytes=config.max_file_bytes)
        problems.extend(loaded.problems)
        item, model_problems = check_file(file, loaded)
        problems.extend(model_problems)
        checked.append(item)
    problems.extend(_local_checks(checked))
    if not paths:
        problems.extend(check_cross_references(config, checked))
        result.cross_references_checked = True
    kept = [p for p in problems if not any(ignore.matches(p) for ignore in config.ignores)]
    result.ignored = len(problems) - len(kept)
    result.problems = sorted(kept, key=Problem.sort_key)
    return result


def _classify_named(
    paths: Sequence[Path], config: ContractsConfig
) -> tuple[list[ContractFile], list[Problem]]:
    """The named files by kind (each once); misnamed and unrelated files as problems."""
    files: list[ContractFile] = []
    problems: list[Problem] = []
    for path in dict.fromkeys(path.resolve() for path in paths):
        found = classify(path, config)
        if isinstance(found, ContractFile):
            files.append(found)
        elif isinstance(found, Misnamed):
            problems.append(found.problem())
        else:
            problems.append(
                Problem(
                    config.relative(path),
                    START,
                    (),
                    rules.MISNAMED_FILE,
                    f"not a contract file: expected {expected_layout(config)}",
                )
            )
    return files, problems


def check_file(file: ContractFile, loaded: LoadedFile) -> tuple[Checked, list[Problem]]:
    """``loaded`` against the model of its kind, unless it could not be read at all."""
    if not loaded.readable:
        return Checked(file, loaded), []
    from jobforge.contracts.checks.model_errors import check_model  # noqa: PLC0415

    model, problems, wrong = check_model(_model_of(file.kind), loaded)
    # A model built with a refused value's stand-in is not the file's model.
    return Checked(file, loaded, model if loaded.ok else None, tuple(wrong)), problems


def _model_of(kind: FileKind) -> type[Any]:
    from jobforge.contracts.models.contract_files import MODELS  # noqa: PLC0415
    from jobforge.contracts.models.removal_records import RemovalRecords  # noqa: PLC0415

    return RemovalRecords if kind is FileKind.REMOVALS else MODELS[kind.value]


def _local_checks(checked: list[Checked]) -> list[Problem]:
    """Checks that need only the file itself and its path."""
    problems = []
    for item in checked:
        path = item.file.path
        connector_id, runner_id = item.text("connector_id"), item.text("runner_id")
        if item.file.kind is FileKind.CONNECTOR and connector_id is not None:
            folder = path.parent.name
            if connector_id != folder:
                problems.append(
                    item.loaded.problem(
                        ("connector_id",),
                        rules.CONNECTOR_FOLDER_MISMATCH,
                        f"connector_id {quoted(connector_id)} differs from its folder "
                        f"{quoted(folder)}; rename one of them",
                    )
                )
        elif item.file.kind is FileKind.RUNNER and runner_id is not None:
            stem = path.name.removesuffix(".yaml")
            if runner_id != stem:
                problems.append(
                    item.loaded.problem(
                        ("runner_id",),
                        rules.RUNNER_FILE_MISMATCH,
                        f"runner_id {quoted(runner_id)} differs from the file name "
                        f"{quoted(path.name)}; expected {runner_id}.yaml",
                    )
                )
    return problems
