"""Which file is which: classifying paths, and finding every contract file of a project.

The layout is fixed so that a file's kind follows from its path:
``connectors/<connector_id>/metadata.json``, ``contracts/runners/<runner_id>.yaml``,
``goldens/<runner_id>/<case>.yaml`` (each folder as configured) and the removal records,
``removed.yaml`` next to the runners folder (``contracts/removed.yaml``), which ``drift``
reads. A file that looks meant to be one of these but is named otherwise
(``metadata.yml``, ``Metadata.json``, ``case.yml``, ``removed.yml``) is a problem, so that
it is never silently skipped. Messages name the folders the project configured, not the
defaults.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from jobforge.contracts.config import ContractsConfig
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.json_names import quoted as _quoted
from jobforge.contracts.problems.problem import START, Problem

CONNECTOR_FILE = "metadata.json"
CONTRACT_SUFFIX = ".yaml"
REMOVALS_FILE_NAME = "removed.yaml"
_YAML_LOOKALIKES = {".yml", ".json", ".yaml"}
_README_NAMES = {"readme.md", "readme.rst", "readme.txt", ".gitkeep"}


def connector_pattern(config: ContractsConfig) -> str:
    """``connectors/<connector_id>/metadata.json``, with the configured folder."""
    return f"{config.relative(config.connectors_dir)}/<connector_id>/{CONNECTOR_FILE}"


def runner_pattern(config: ContractsConfig) -> str:
    return f"{config.relative(config.runners_dir)}/<runner_id>{CONTRACT_SUFFIX}"


def golden_pattern(config: ContractsConfig) -> str:
    return f"{config.relative(config.goldens_dir)}/<runner_id>/<case>{CONTRACT_SUFFIX}"


def removals_path(config: ContractsConfig) -> Path:
    """The removal records: ``removed.yaml`` next to the runners folder."""
    return config.runners_dir.parent / REMOVALS_FILE_NAME


def expected_layout(config: ContractsConfig) -> str:
    """Where each kind of contract file goes, for messages about a file that is none."""
    return (
        f"{connector_pattern(config)}, {runner_pattern(config)}, {golden_pattern(config)} "
        f"or {config.relative(removals_path(config))}"
    )


class FileKind(StrEnum):
    RUNNER = "runner"
    CONNECTOR = "connector"
    GOLDEN = "golden"
    REMOVALS = "removals"

    def counted(self, count: int) -> str:
        """``2 runners``, ``1 removals file``: for summaries."""
        if self is FileKind.REMOVALS:
            return f"{count} removals file{'' if count == 1 else 's'}"
        return f"{count} {self.value}{'' if count == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class ContractFile:
    kind: FileKind
    path: Path
    display: str


@dataclass(frozen=True, slots=True)
class Misnamed:
    display: str
    message: str

    def problem(self) -> Problem:
        return Problem(self.display, START, (), rules.MISNAMED_FILE, self.message)


@functools.lru_cache(maxsize=64)
def _resolved(folder: Path) -> Path:
    """``folder.resolve()``, once per folder: classify runs for every named file."""
    return folder.resolve()


def classify(path: Path, config: ContractsConfig) -> ContractFile | Misnamed | None:
    """The kind of ``path``, a Misnamed if it looks like a misnamed contract, else None."""
    absolute = path.resolve()
    display = config.relative(path)
    name = absolute.name
    lowered = name.lower()
    records = _removals(absolute, path, display, config)
    if records is not None:
        return records
    for folder, classifier in (
        (config.connectors_dir, _connector),
        (config.runners_dir, _runner),
        (config.goldens_dir, _golden),
    ):
        try:
            parts = absolute.relative_to(_resolved(folder)).parts
        except ValueError:
            continue
        if lowered in _README_NAMES:
            return None
        return classifier(parts, path, display, config)
    return None


def _removals(
    absolute: Path, path: Path, display: str, config: ContractsConfig
) -> ContractFile | Misnamed | None:
    """The removal records, or a file beside them that looks meant to be them."""
    expected = removals_path(config)
    if absolute.parent != _resolved(expected.parent):
        return None
    stem, suffix = Path(absolute.name).stem, Path(absolute.name).suffix
    if absolute.name == REMOVALS_FILE_NAME:
        return ContractFile(FileKind.REMOVALS, path, display)
    if stem.lower() == Path(REMOVALS_FILE_NAME).stem and suffix.lower() in _YAML_LOOKALIKES:
        return Misnamed(
            display,
            f"the removal records are named {_quoted(REMOVALS_FILE_NAME)}, "
            f"got {_quoted(absolute.name)}",
        )
    return None


def _connector(
    parts: tuple[str, ...], path: Path, display: str, config: ContractsConfig
) -> ContractFile | Misnamed | None:
    name = parts[-1]
    if len(parts) == 2 and name == CONNECTOR_FILE:
        return ContractFile(FileKind.CONNECTOR, path, display)
    looks_meant = name.lower().startswith("metadata") or name.lower().endswith(".json")
    if not looks_meant:
        return None
    if len(parts) != 2:
        return Misnamed(display, f"connector metadata goes in {connector_pattern(config)}")
    return Misnamed(
        display, f"connector metadata must be named {_quoted(CONNECTOR_FILE)}, got {_quoted(name)}"
    )


def _runner(
    parts: tuple[str, ...], path: Path, display: str, config: ContractsConfig
) -> ContractFile | Misnamed | None:
    suffix = Path(parts[-1]).suffix
    if len(parts) == 1 and suffix == CONTRACT_SUFFIX:
        return ContractFile(FileKind.RUNNER, path, display)
    if suffix.lower() not in _YAML_LOOKALIKES:
        return None
    if len(parts) != 1:
        folder = config.relative(config.runners_dir)
        return Misnamed(display, f"runner contracts go directly in {folder}/")
    return Misnamed(
        display, f"runner contracts end in {_quoted(CONTRACT_SUFFIX)}, got {_quoted(suffix)}"
    )


def _golden(
    parts: tuple[str, ...], path: Path, display: str, config: ContractsConfig
) -> ContractFile | Misnamed | None:
    suffix = Path(parts[-1]).suffix
    if len(parts) == 2 and suffix == CONTRACT_SUFFIX:
        return ContractFile(FileKind.GOLDEN, path, display)
    if suffix.lower() not in _YAML_LOOKALIKES:
        return None
    if len(parts) != 2:
        return Misnamed(display, f"goldens go in {golden_pattern(config)}")
    return Misnamed(
        display, f"golden cases end in {_quoted(CONTRACT_SUFFIX)}, got {_quoted(suffix)}"
    )


def discover(
    config: ContractsConfig, kinds: Collection[FileKind] = tuple(FileKind)
) -> tuple[list[ContractFile], list[Problem]]:
    """Every contract file under the configured folders of ``kinds`` (all by default), and
    every misnamed one."""
    files: list[ContractFile] = []
    problems: list[Problem] = []
    folders = {
        FileKind.RUNNER: config.runners_dir,
        FileKind.CONNECTOR: config.connectors_dir,
        FileKind.GOLDEN: config.goldens_dir,
    }
    for kind, folder in folders.items():
        if kind not in kinds:
            continue
        for path in _walk(folder):
            found = classify(path, config)
            if isinstance(found, ContractFile):
                files.append(found)
            elif isinstance(found, Misnamed):
                problems.append(found.problem())
    if FileKind.REMOVALS in kinds:
        files.extend(_removal_records(config, problems))
    if FileKind.CONNECTOR in kinds:
        problems.extend(_connector_folders_without_metadata(config))
    return files, problems


def _removal_records(config: ContractsConfig, problems: list[Problem]) -> list[ContractFile]:
    """The removal records if there are any, and any file beside them misnamed as them."""
    folder = removals_path(config).parent
    if not folder.is_dir():
        return []
    found: list[ContractFile] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        classified = _removals(path.resolve(), path, config.relative(path), config)
        if isinstance(classified, ContractFile):
            found.append(classified)
        elif isinstance(classified, Misnamed):
            problems.append(classified.problem())
    return found


def _walk(folder: Path) -> list[Path]:
    """Files under ``folder``, sorted, skipping hidden entries (``.git``, editor files)."""
    found: list[Path] = []
    if not folder.is_dir():
        return found
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(Path(directory, name) for name in sorted(names) if not name.startswith("."))
    return found


def _connector_folders_without_metadata(config: ContractsConfig) -> list[Problem]:
    if not config.connectors_dir.is_dir():
        return []
    return [
        Problem(
            config.relative(entry),
            START,
            (),
            rules.MISSING_METADATA,
            f"connector folder without a {CONNECTOR_FILE}",
        )
        for entry in sorted(config.connectors_dir.iterdir())
        if entry.is_dir()
        and not entry.name.startswith(".")
        and not any(child.name.lower().startswith("metadata") for child in entry.iterdir())
    ]
