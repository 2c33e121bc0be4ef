"""The runner contracts and connector metadata of a project, read from disk or a git revision.

The registry generator and the drift check need every runner and connector as a model,
not the whole validation (goldens, handler imports). Files are read with the same
position-aware loader ``validate`` uses, so a broken file is reported as
``path:line:column`` and the command stops before it renders or compares anything.

A git revision is read without a checkout: ``git archive`` streams the two folders at
that revision into a temporary folder, which is then read like a working tree; problem
paths are shown as ``REF:path``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobforge.contracts.config import ContractsConfig
from jobforge.contracts.loading.layout import ContractFile, FileKind, discover
from jobforge.contracts.loading.loader import LoadedFile, load_file
from jobforge.contracts.models.contract_files import ConnectorMetadata, RunnerConfig
from jobforge.contracts.problems import rules
from jobforge.contracts.problems.problem import START, Position, Problem
from jobforge.errors import ConfigurationError

GIT_TIMEOUT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Located:
    """A model with the file it came from, to point messages at its keys."""

    model: Any
    display: str
    loaded: LoadedFile

    def position(self, *field_path: str) -> Position:
        return self.loaded.positions.value(field_path) if self.loaded.data else START


@dataclass(slots=True)
class ContractSet:
    """Runners and connectors by id, and the problems that kept any file out."""

    runners: dict[str, Located] = field(default_factory=dict)
    connectors: dict[str, Located] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def runner_models(self) -> list[RunnerConfig]:
        return [self.runners[key].model for key in sorted(self.runners)]

    def connector_models(self) -> list[ConnectorMetadata]:
        return [self.connectors[key].model for key in sorted(self.connectors)]


def load_contract_set(
    config: ContractsConfig,
    *,
    include_runners: bool = True,
    discovered: tuple[list[ContractFile], list[Problem]] | None = None,
) -> ContractSet:
    """Every runner contract and connector metadata file under the configured folders
    (``discovered``: the result of ``discover`` when the caller has it already)."""
    from pydantic import ValidationError  # noqa: PLC0415

    from jobforge.contracts.checks.model_errors import validation_problems  # noqa: PLC0415

    result = ContractSet()
    files, layout_problems = discover(config) if discovered is None else discovered
    owned = [config.relative(config.connectors_dir)]
    if include_runners:
        owned.append(config.relative(config.runners_dir))
    result.problems.extend(p for p in layout_problems if _under_any(p.path, owned))
    wanted = {FileKind.CONNECTOR, FileKind.RUNNER} if include_runners else {FileKind.CONNECTOR}
    for file in files:
        if file.kind not in wanted:
            continue
        loaded = load_file(file.path, file.display, max_bytes=config.max_file_bytes)
        if not loaded.ok:
            result.problems.extend(loaded.problems)
            continue
        model_class = RunnerConfig if file.kind is FileKind.RUNNER else ConnectorMetadata
        try:
            model = model_class.model_validate(loaded.data)
        except ValidationError as exc:
            result.problems.extend(validation_problems(exc, model_class, loaded))
            continue
        located = Located(model, file.display, loaded)
        if isinstance(model, RunnerConfig):
            _add_unique(result.runners, model.runner_id, located, "runner_id", result.problems)
        else:
            _add_unique(
                result.connectors, model.connector_id, located, "connector_id", result.problems
            )
    result.problems.sort(key=Problem.sort_key)
    return result


def load_contract_set_at(config: ContractsConfig, revision: str) -> ContractSet:
    """The contract set as it was at git ``revision`` (a commit, branch or tag)."""
    commit = _git(config.root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    if commit is None:
        raise ConfigurationError(
            f"--against {revision}: not a commit of the git repository at {config.root}"
        )
    commit_id = commit.decode().strip()
    # Paths given to ls-tree and archive are relative to the working folder: run them at
    # the top of the repository, with the project's own prefix in front.
    top_level = Path((_git(config.root, "rev-parse", "--show-toplevel") or b"").decode().strip())
    prefix = (_git(config.root, "rev-parse", "--show-prefix") or b"").decode().strip()
    folders = [
        prefix + config.relative(folder) for folder in (config.runners_dir, config.connectors_dir)
    ]
    listed = _git(top_level, "ls-tree", "-r", "--name-only", commit_id, "--", *folders) or b""
    names = listed.decode().splitlines()
    present = [folder for folder in folders if any(n.startswith(folder + "/") for n in names)]
    with tempfile.TemporaryDirectory(prefix="jobforge-drift-") as scratch:
        top = Path(scratch)
        if present:
            archive = _git(top_level, "archive", "--format=tar", commit_id, "--", *present)
            if archive is None:
                raise ConfigurationError(f"--against {revision}: git archive failed")
            _extract(archive, top)
        snapshot_root = top / prefix if prefix else top
        snapshot_config = dataclasses.replace(
            config,
            root=snapshot_root.resolve(),
            runners_dir=snapshot_root / config.runners_dir.relative_to(config.root),
            connectors_dir=snapshot_root / config.connectors_dir.relative_to(config.root),
            goldens_dir=snapshot_root / config.goldens_dir.relative_to(config.root),
            schema_dir=snapshot_root / config.schema_dir.relative_to(config.root),
        )
        result = load_contract_set(snapshot_config)
    result.problems = [
        dataclasses.replace(problem, path=f"{revision}:{problem.path}")
        for problem in result.problems
    ]
    for table in (result.runners, result.connectors):
        for key, located in table.items():
            table[key] = dataclasses.replace(located, display=f"{revision}:{located.display}")
    return result


def _extract(archive: bytes, destination: Path) -> None:
    """Unpack a tar from ``git archive``: regular files and folders only, never outside."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(destination, filter="data")
            return
        members = [
            member
            for member in tar.getmembers()
            if (member.isfile() or member.isdir())
            and not member.name.startswith("/")
            and ".." not in Path(member.name).parts
        ]
        tar.extractall(destination, members=members)  # noqa: S202 - members checked above


def _git(root: Path, *arguments: str) -> bytes | None:
    """stdout of ``git arguments`` run in ``root``, None if git says no."""
    try:
        completed = subprocess.run(
            ["git", *arguments],  # noqa: S607 - git is looked up on PATH, as a user runs it
            cwd=root,
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except FileNotFoundError as exc:
        raise ConfigurationError("--against needs git, which is not on PATH") from exc
    if completed.returncode != 0:
        if b"not a git repository" in completed.stderr:
            raise ConfigurationError(f"--against: {root} is not inside a git repository")
        return None
    return completed.stdout


def _under_any(display: str, folders: list[str]) -> bool:
    return any(display == folder or display.startswith(folder + "/") for folder in folders)


def _add_unique(
    table: dict[str, Located],
    key: str,
    located: Located,
    id_field: str,
    problems: list[Problem],
) -> None:
    first = table.get(key)
    if first is None:
        table[key] = located
        return
    rule = rules.DUPLICATE_RUNNER_ID if id_field == "runner_id" else rules.DUPLICATE_CONNECTOR_ID
    problems.append(
        located.loaded.problem(
            (id_field,),
            rule,
            f"{id_field} {json.dumps(key)} is already declared in {first.display}",
        )
    )
