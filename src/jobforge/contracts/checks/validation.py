"""``validate``: load each file, check it against its model, then check the files together.

Results are collected, never printed here: the CLI hands them to a reporter. When files are
named (the pre-commit case), only the checks that need nothing but those files run, so a
hook on one connector stays fast; with no files named, everything is checked together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobforge.contracts.checks.checked import Checked
from jobforge.contracts.checks.cross_references import Broken, check_cross_references
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
    broken: list[Broken] = []
    for file in files:
        result.files_checked[file.kind] += 1
        loaded = load_file(file.path, file.display, max_bytes=config.max_file_bytes)
        problems.extend(loaded.problems)
        if not loaded.ok:
            broken.append(Broken(file))
            continue
        model, model_problems = _check_model(file.kind, loaded)
        problems.extend(model_problems)
        if model is None:
            broken.append(Broken(file, loaded.data))
        else:
            checked.append(Checked(file, loaded, model))
    problems.extend(_local_checks(checked))
    if not paths:
        problems.extend(check_cross_references(config, checked, broken))
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


def _check_model(kind: FileKind, loaded: LoadedFile) -> tuple[Any, list[Problem]]:
    from pydantic import ValidationError  # noqa: PLC0415

    from jobforge.contracts.checks.model_errors import validation_problems  # noqa: PLC0415
    from jobforge.contracts.models.contract_files import MODELS  # noqa: PLC0415

    model_class = MODELS[kind.value]
    try:
        return model_class.model_validate(loaded.data), []
    except ValidationError as exc:
        return None, validation_problems(exc, model_class, loaded)


def _local_checks(checked: list[Checked]) -> list[Problem]:
    """Checks that need only the file itself and its path."""
    problems = []
    for item in checked:
        path = item.file.path
        if item.file.kind is FileKind.CONNECTOR:
            folder = path.parent.name
            if item.model.connector_id != folder:
                problems.append(
                    item.loaded.problem(
                        ("connector_id",),
                        rules.CONNECTOR_FOLDER_MISMATCH,
                        f"connector_id {item.model.connector_id!r} differs from its folder "
                        f"{folder!r}; rename one of them",
                    )
                )
        elif item.file.kind is FileKind.RUNNER:
            stem = path.name.removesuffix(".yaml")
            if item.model.runner_id != stem:
                problems.append(
                    item.loaded.problem(
                        ("runner_id",),
                        rules.RUNNER_FILE_MISMATCH,
                        f"runner_id {item.model.runner_id!r} differs from the file name "
                        f"{path.name!r}; expected {item.model.runner_id}.yaml",
                    )
                )
    return problems
