"""What ``jobforge-contracts`` commands share: ``--root``, ``--format``, ``--verbose``, counts
that must be positive, and the refusal to run where there is no JobForge project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from jobforge.errors import ConfigurationError

if TYPE_CHECKING:
    from jobforge.contracts.config import ContractsConfig

FORMATS = ("text", "json", "github")
INIT_HINT = "run `jobforge-contracts init` to create one"


def add_root_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        metavar="DIR",
        type=Path,
        default=None,
        help="project root (default: the nearest folder with a pyproject.toml, upward from here)",
    )


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="output: text (path:line:column lines), json, or github (workflow annotations)",
    )


def add_verbose_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show whole diffs and every change (default: the first lines of each, and a count)",
    )


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse exits 2 on anything else)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def project_root(option: Path | None) -> Path:
    """The --root folder, checked, or the nearest folder with a pyproject.toml."""
    from jobforge.contracts.config import find_root  # noqa: PLC0415

    if option is not None:
        if not option.is_dir():
            raise ConfigurationError(f"--root {option}: no such folder")
        return option.resolve()
    return find_root(Path.cwd().resolve())


def load_project(option: Path | None, *, found: Path | None = None) -> ContractsConfig:
    """The configuration of the project at --root, at ``found`` (the root of named files),
    or upward from here; a usage error, saying what to do, where there is no project."""
    from jobforge.contracts.config import load_config  # noqa: PLC0415

    config = load_config(found if found is not None else project_root(option))
    refuse_without_project(config, searched_upward=option is None)
    return config


def is_project(config: ContractsConfig) -> bool:
    """A project is a pyproject.toml with ``[tool.jobforge]`` (``[tool.jobforge.contracts]``
    included) or, without one, a folder holding a contract folder (connectors/, ...)."""
    return config.has_jobforge_table or any(f.is_dir() for f in config.contract_folders)


def refuse_without_project(config: ContractsConfig, *, searched_upward: bool) -> None:
    """Raise the one refusal every command but ``init`` gives outside a project.

    Running anyway would check nothing and pass, or write schemas, a lock or a registry
    into a folder that is not a project: almost always the wrong folder."""
    if is_project(config):
        return
    root = config.root
    folders = [config.relative(folder) + "/" for folder in config.contract_folders]
    listed = f"{', '.join(folders[:-1])} or {folders[-1]}"
    if config.pyproject is not None:
        found = f"{config.pyproject} has no [tool.jobforge] table, and there is"
    else:
        above = " or any folder above it" if searched_upward else ""
        found = f"no pyproject.toml in {root}{above}, and"
    raise ConfigurationError(
        f"no JobForge project found: {found} no {listed} folder in {root}; "
        f"{INIT_HINT} here, or pass --root DIR to use a project elsewhere"
    )
