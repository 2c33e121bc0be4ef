"""``[tool.jobforge.contracts]``: where contract files live, size limits, and ignores.

Every ignore names the rules it silences, the paths it applies to, and why: an ignore
without a reason is a configuration error, so the next reader knows whether it may go.
"""

from __future__ import annotations

import difflib
import fnmatch
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobforge.contracts.loading.loader import DEFAULT_MAX_FILE_BYTES
from jobforge.contracts.problems.problem import Problem
from jobforge.contracts.problems.rules import find_rule
from jobforge.errors import ConfigurationError
from jobforge.project import find_project_root

PYPROJECT = "pyproject.toml"
TABLE = "[tool.jobforge.contracts]"
_DIRECTORY_KEYS = {
    "runners_dir": "contracts/runners",
    "connectors_dir": "connectors",
    "goldens_dir": "goldens",
    "schema_dir": "contracts/schema",
}
_KNOWN_KEYS = {*_DIRECTORY_KEYS, "max_file_bytes", "ignore"}
_IGNORE_KEYS = {"paths", "rules", "reason"}


@dataclass(frozen=True, slots=True)
class Ignore:
    """Silence ``rule_ids`` for files matching one of ``patterns`` (globs, root-relative)."""

    patterns: tuple[str, ...]
    rule_ids: frozenset[str]
    reason: str

    def matches(self, problem: Problem) -> bool:
        return problem.rule.id in self.rule_ids and any(
            fnmatch.fnmatchcase(problem.path, pattern) for pattern in self.patterns
        )


@dataclass(frozen=True, slots=True)
class ContractsConfig:
    root: Path
    runners_dir: Path
    connectors_dir: Path
    goldens_dir: Path
    schema_dir: Path
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    handler_modules: tuple[str, ...] = ()
    ignores: tuple[Ignore, ...] = field(default=())
    pyproject: Path | None = None
    """The pyproject.toml read, None when the root has none (every setting a default)."""
    has_contracts_table: bool = False
    """Whether that pyproject.toml has a ``[tool.jobforge.contracts]`` table."""
    has_jobforge_table: bool = False
    """Whether that pyproject.toml has a ``[tool.jobforge]`` table (or one below it)."""

    @property
    def contract_folders(self) -> tuple[Path, Path, Path]:
        """Where contract files are looked for: connectors, runner contracts, goldens."""
        return (self.connectors_dir, self.runners_dir, self.goldens_dir)

    def relative(self, path: Path) -> str:
        """``path`` relative to the root with ``/`` separators, or as given if outside it."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def find_root(start: Path) -> Path:
    """The nearest folder from ``start`` upwards holding a pyproject.toml, else ``start``."""
    return find_project_root(start) or start


def root_of_files(paths: Sequence[Path], *, fallback: Path) -> Path:
    """The project the named files belong to: the nearest folder above each holding a
    pyproject.toml (``fallback`` for a file under none).

    Files are classified by where they are, not by the folder a command runs in: pre-commit
    in a monorepo, or absolute paths typed from elsewhere, name files of a project whose
    root is not the working folder's.
    """
    # Files of one folder share a root: look each folder up once (a hook may name thousands).
    root_of_folder: dict[Path, Path] = {}
    for folder in {path.resolve().parent for path in paths}:
        root_of_folder[folder] = find_project_root(folder) or fallback.resolve()
    roots = set(root_of_folder.values())
    if len(roots) > 1:
        listed = ", ".join(sorted(str(root) for root in roots))
        raise ConfigurationError(
            f"files of more than one project ({listed}): name the files of one project at a "
            "time, or pass --root DIR to check them all as files of that project"
        )
    return roots.pop() if roots else fallback


def load_config(root: Path) -> ContractsConfig:
    """Read the configuration of the project at ``root``; defaults without a pyproject.toml."""
    root = root.resolve()
    pyproject = root / PYPROJECT
    table: Mapping[str, Any] = {}
    handler_modules: tuple[str, ...] = ()
    has_contracts_table = False
    has_jobforge_table = False
    if pyproject.is_file():
        try:
            document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"{pyproject}: not valid TOML: {exc}") from exc
        jobforge_table = _table(document.get("tool", {}).get("jobforge", {}), "[tool.jobforge]")
        modules = jobforge_table.get("handler_modules", [])
        if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
            raise ConfigurationError(
                f"{pyproject}: [tool.jobforge] handler_modules must be a list of module names"
            )
        handler_modules = tuple(modules)
        has_jobforge_table = "jobforge" in document.get("tool", {})
        has_contracts_table = "contracts" in jobforge_table
        table = _table(jobforge_table.get("contracts", {}), TABLE)
    _refuse_unknown_keys(table, _KNOWN_KEYS, TABLE)
    directories = {}
    for key, default in _DIRECTORY_KEYS.items():
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{TABLE} {key}: expected a folder path, got {value!r}")
        directories[key] = root / value
    max_file_bytes = table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if (
        isinstance(max_file_bytes, bool)
        or not isinstance(max_file_bytes, int)
        or max_file_bytes < 1
    ):
        raise ConfigurationError(
            f"{TABLE} max_file_bytes: expected a positive integer, got {max_file_bytes!r}"
        )
    return ContractsConfig(
        root=root,
        max_file_bytes=max_file_bytes,
        handler_modules=handler_modules,
        ignores=_ignores(table.get("ignore", [])),
        pyproject=pyproject if pyproject.is_file() else None,
        has_contracts_table=has_contracts_table,
        has_jobforge_table=has_jobforge_table,
        **directories,
    )


def _table(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ConfigurationError(f"{PYPROJECT}: {name} must be a table")
    return value


def _refuse_unknown_keys(table: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected {sorted(known)}"
            raise ConfigurationError(f"{PYPROJECT}: {where} unknown key {key!r}{hint}")


def _ignores(entries: Any) -> tuple[Ignore, ...]:
    where = f"{TABLE} ignore"
    if not isinstance(entries, list):
        raise ConfigurationError(f"{PYPROJECT}: {where} must be an array of tables")
    ignores = []
    for index, entry in enumerate(entries):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{PYPROJECT}: {here} must be a table")
        _refuse_unknown_keys(entry, _IGNORE_KEYS, here)
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigurationError(
                f'{PYPROJECT}: {here} needs a reason = "..." saying why the rule is ignored'
            )
        patterns = _strings(entry.get("paths"), f"{here} paths", "globs such as 'connectors/x/*'")
        rule_ids = set()
        for name in _strings(entry.get("rules"), f"{here} rules", "rule ids such as 'JF205'"):
            rule = find_rule(name)
            if rule is None:
                raise ConfigurationError(f"{PYPROJECT}: {here} rules: no rule {name!r}")
            rule_ids.add(rule.id)
        ignores.append(Ignore(tuple(patterns), frozenset(rule_ids), reason.strip()))
    return tuple(ignores)


def _strings(value: Any, where: str, example: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"{PYPROJECT}: {where} must be a non-empty list of {example}")
    return value
