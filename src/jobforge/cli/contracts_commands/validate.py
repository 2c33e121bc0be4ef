"""``jobforge-contracts validate [PATH ...]``: check contract files, report every problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import (
    INIT_HINT,
    add_format_option,
    add_root_option,
    load_project,
    project_root,
)
from jobforge.errors import ConfigurationError

if TYPE_CHECKING:
    from jobforge.contracts.config import ContractsConfig

DESCRIPTION = (
    "Check each file against its model and, with no PATH, every file of the project and the "
    "references between them. Named files belong to the project they are in (the nearest "
    "pyproject.toml above them) unless --root says otherwise. Exit 0 when all is well, 1 on "
    "problems, 2 on usage errors, a project with no contract files included."
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "validate", help="check contract files", description=DESCRIPTION
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        type=Path,
        help="files to check (default: everything under the configured folders)",
    )
    add_root_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.checks.validation import validate  # noqa: PLC0415
    from jobforge.contracts.config import load_config, root_of_files  # noqa: PLC0415
    from jobforge.contracts.problems.reporters import REPORTERS  # noqa: PLC0415

    paths: list[Path] = arguments.paths
    folders = [str(path) for path in paths if path.is_dir()]
    if folders:
        raise ConfigurationError(
            f"{', '.join(folders)}: a folder; name files, or give no PATH to check everything"
        )
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise ConfigurationError(f"no such file: {', '.join(missing)}")
    if paths:
        # Named files are checked wherever they are: one outside the contract folders is
        # a problem of that file (JF114), not a missing project.
        root = (
            project_root(arguments.root)
            if arguments.root is not None
            else root_of_files(paths, fallback=project_root(None))
        )
        config = load_config(root)
    else:
        config = load_project(arguments.root)
    result = validate(config, paths)
    if not paths and result.file_count == 0 and result.ok and not result.ignored:
        raise ConfigurationError(_nothing_to_validate(config))
    sys.stdout.write(REPORTERS[arguments.format](result))
    return EXIT_OK if result.ok else EXIT_FAILURE


def _nothing_to_validate(config: ContractsConfig) -> str:
    """Where validate looked, and what to do, when it found no contract file at all.

    Checking nothing is almost always the wrong folder, so it is an error, not ``ok``."""
    root = config.root
    folders = [config.relative(folder) + "/" for folder in config.contract_folders]
    if config.has_contracts_table:
        source = "as [tool.jobforge.contracts] in pyproject.toml sets them"
    elif config.pyproject is not None:
        source = "the defaults: pyproject.toml has no [tool.jobforge.contracts] table"
    else:
        source = "the defaults: no pyproject.toml here or above"
    return (
        f"nothing to validate: no contract files in {root}: looked in {', '.join(folders)} "
        f"({source}); {INIT_HINT}, add contract files there, or pass --root DIR to check "
        "a project elsewhere"
    )
