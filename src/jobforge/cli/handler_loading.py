"""Importing the project's handler modules the way `jobforge worker run` does."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from jobforge.handlers import import_handler_modules
from jobforge.project import ProjectConfig, load_project_config


def load_project_handlers(extra_modules: Sequence[str] = ()) -> ProjectConfig:
    """Import ``[tool.jobforge] handler_modules`` and ``extra_modules`` (from the project
    root and the current folder, as ``python -m`` would)."""
    project = load_project_config()
    for folder in (project.root, Path.cwd()):
        if folder is not None and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    import_handler_modules([*project.handler_modules, *extra_modules])
    return project
