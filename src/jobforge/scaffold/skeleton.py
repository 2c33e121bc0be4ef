"""Rendering the skeleton in memory: authored files from templates, the rest generated.

The runner contract, connector, golden and handler come from ``templates/``. The JSON
Schemas, the connector registry and the lock are never copied: the runner and connector
are read back from a scratch folder with the same loader ``validate`` uses, and handed to
the same generators ``schema``, ``generate-registry`` and ``lock`` call, so what init
writes is exactly what those commands check against.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.contracts.problems.problem_format import text_line
from jobforge.errors import ConfigurationError, JobForgeError
from jobforge.scaffold.names import SkeletonNames
from jobforge.scaffold.pyproject_section import PYPROJECT, PyprojectError, plan_pyproject
from jobforge.scaffold.writing import Append, Conflict

if TYPE_CHECKING:
    import jinja2

    from jobforge.contracts.contract_set import ContractSet

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
WORKFLOW = ".github/workflows/contracts.yml"
RUNNERS_DIR = "contracts/runners"
SCHEMA_DIR = "contracts/schema"
CONNECTORS_DIR = "connectors"
GOLDENS_DIR = "goldens"


class SkeletonError(JobForgeError):
    """The skeleton would not validate (a domain the runner model refuses, say)."""


@dataclass(slots=True)
class Skeleton:
    """Everything init would do, computed before anything is written."""

    names: SkeletonNames
    files: dict[str, bytes] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    append: Append | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    pre_commit_entry: str = ""

    @property
    def pre_commit_created(self) -> bool:
        return PRE_COMMIT_CONFIG in self.files

    def add(self, path: str, text: str, description: str) -> None:
        self.files[path] = text.encode("utf-8")
        self.descriptions[path] = description


def owned_folders(registry_dir: str) -> tuple[str, ...]:
    """The folders jobforge-contracts reads or generates as a whole."""
    return (RUNNERS_DIR, SCHEMA_DIR, CONNECTORS_DIR, GOLDENS_DIR, registry_dir)


def build_skeleton(root: Path, names: SkeletonNames, registry_dir: str) -> Skeleton:
    """The skeleton for ``names`` in the project at ``root``, writing nothing."""
    skeleton = Skeleton(names)
    section = _render("pyproject-section.toml.j2", names=names)
    pyproject = root / PYPROJECT
    try:
        current = pyproject.read_bytes() if os.path.lexists(pyproject) else None
        edit = plan_pyproject(current, section)
    except PyprojectError as exc:
        skeleton.conflicts.append(Conflict(PYPROJECT, str(exc).removeprefix(f"{PYPROJECT}: ")))
    except OSError as exc:
        skeleton.conflicts.append(Conflict(PYPROJECT, f"cannot read: {exc.strerror}"))
    else:
        if edit.create:
            skeleton.add(PYPROJECT, section, "[tool.jobforge]: handler_modules, contract folders")
        else:
            skeleton.append = Append(PYPROJECT, edit.text, edit.existing_length)
    runner = _render("runner.yaml.j2", names=names)
    connector = _render("connector.json.j2", names=names)
    skeleton.add(names.runner_file, runner, f"runner contract (job type {names.job_type})")
    skeleton.add(names.connector_file, connector, "connector metadata, with $schema")
    skeleton.add(
        names.golden_file,
        _render("golden.yaml.j2", names=names),
        "golden: input, expected output, the recorded connector response",
    )
    skeleton.add(
        names.handler_package_file, _render("handlers_package.py.j2", names=names), "package"
    )
    skeleton.add(
        names.handler_file,
        _render("handler.py.j2", names=names),
        f"handler of {names.job_type} (in handler_modules)",
    )
    contracts = _add_generated(
        skeleton, {names.runner_file: runner, names.connector_file: connector}
    )
    _add_registry(skeleton, root, registry_dir, contracts)
    skeleton.pre_commit_entry = _render("pre-commit-repo.yaml.j2")
    if not os.path.lexists(root / PRE_COMMIT_CONFIG):
        skeleton.add(
            PRE_COMMIT_CONFIG,
            _render("pre-commit-config.yaml.j2", repo_entry=skeleton.pre_commit_entry.rstrip()),
            "pre-commit hooks: validate, registry drift",
        )
    skeleton.add(
        WORKFLOW,
        _render(
            "workflow.yml.j2",
            python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
            jobforge_version=_jobforge_version(),
        ),
        "GitHub Actions: jobforge-contracts check",
    )
    return skeleton


def _add_generated(skeleton: Skeleton, authored: dict[str, str]) -> ContractSet:
    """Schemas and lock, from the models the authored files load into; those models."""
    from jobforge.contracts.drift.lockfile import (  # noqa: PLC0415
        LOCK_FILE_NAME,
        lock_contracts,
        render_lock,
    )
    from jobforge.contracts.models.schema_export import render_schemas  # noqa: PLC0415

    contracts = _load_contracts(authored, skeleton.names)
    for name, text in sorted(render_schemas().items()):
        skeleton.add(f"{SCHEMA_DIR}/{name}", text, "JSON Schema (generated: schema)")
    lock = render_lock(lock_contracts(contracts.runner_models(), contracts.connector_models()))
    skeleton.add(
        f"{Path(RUNNERS_DIR).parent.as_posix()}/{LOCK_FILE_NAME}", lock, "lock (generated: lock)"
    )
    return contracts


def _add_registry(
    skeleton: Skeleton, root: Path, registry_dir: str, contracts: ContractSet
) -> None:
    from jobforge.registry.render import render_registry  # noqa: PLC0415
    from jobforge.registry.usage import registry_runners  # noqa: PLC0415

    runners = registry_runners(contracts.runners.values(), root=root, folder=root / registry_dir)
    rendered = render_registry(contracts.connector_models(), runners)
    for name, text in sorted(rendered.items()):
        skeleton.add(
            f"{registry_dir}/{name}", text, "connector registry (generated: generate-registry)"
        )


def _load_contracts(authored: dict[str, str], names: SkeletonNames) -> ContractSet:
    """The authored runner and connector as models, read from a scratch project."""
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="jobforge-init-") as scratch:
        for relative, text in authored.items():
            target = Path(scratch, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        contracts = load_contract_set(load_config(Path(scratch)))
    domain_problems = [p for p in contracts.problems if p.field[:1] == ("runner_type",)]
    if domain_problems:
        raise ConfigurationError(
            f"runner_type {names.domain!r} is refused by the runner model "
            f"({domain_problems[0].message}); set another with --domain"
        )
    if not contracts.ok:
        lines = "\n".join(f"  {text_line(problem)}" for problem in contracts.problems)
        raise SkeletonError(f"the skeleton would not validate:\n{lines}")
    return contracts


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2  # noqa: PLC0415

    return jinja2.Environment(
        loader=jinja2.PackageLoader("jobforge.scaffold", "templates"),
        autoescape=False,  # noqa: S701 - YAML, JSON, TOML and Python source, not HTML
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def _jobforge_version() -> str:
    try:
        return importlib.metadata.version("jobforge")
    except importlib.metadata.PackageNotFoundError:
        from jobforge import __version__  # noqa: PLC0415

        return __version__
