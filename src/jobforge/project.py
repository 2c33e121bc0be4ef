"""The ``[tool.jobforge]`` table of the project's pyproject.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobforge.errors import ConfigurationError

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """What JobForge reads from a project: where it is, and which modules hold handlers."""

    root: Path | None
    handler_modules: tuple[str, ...] = ()
    table: dict[str, Any] = field(default_factory=dict)


def find_project_root(start: Path) -> Path | None:
    """The nearest folder, from ``start`` upwards, that holds a pyproject.toml."""
    for folder in (start, *start.parents):
        if (folder / PYPROJECT).is_file():
            return folder
    return None


def load_project_config(start: Path | None = None) -> ProjectConfig:
    """Read ``[tool.jobforge]`` from the nearest pyproject.toml (an empty config if none)."""
    root = find_project_root((start or Path.cwd()).resolve())
    if root is None:
        return ProjectConfig(root=None)
    path = root / PYPROJECT
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    table = document.get("tool", {}).get("jobforge", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [tool.jobforge] must be a table")
    modules = table.get("handler_modules", [])
    if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
        raise ConfigurationError(
            f"{path}: [tool.jobforge] handler_modules must be a list of module names"
        )
    return ProjectConfig(root=root, handler_modules=tuple(modules), table=table)
