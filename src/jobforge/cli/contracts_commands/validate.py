"""``jobforge-contracts validate [PATH ...]``: check contract files, report every problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import (
    add_format_option,
    add_root_option,
    project_root,
)
from jobforge.errors import ConfigurationError

DESCRIPTION = (
    "Check each file against its model and, with no PATH, every file of the project and the "
    "references between them. Exit 0 when all is well, 1 on problems, 2 on usage errors."
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
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.problems.reporters import REPORTERS  # noqa: PLC0415

    config = load_config(project_root(arguments.root))
    paths: list[Path] = arguments.paths
    folders = [str(path) for path in paths if path.is_dir()]
    if folders:
        raise ConfigurationError(
            f"{', '.join(folders)}: a folder; name files, or give no PATH to check everything"
        )
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise ConfigurationError(f"no such file: {', '.join(missing)}")
    result = validate(config, paths)
    sys.stdout.write(REPORTERS[arguments.format](result))
    return EXIT_OK if result.ok else EXIT_FAILURE
