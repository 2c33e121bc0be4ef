"""Options ``jobforge-contracts`` commands share: ``--root``, ``--format`` and ``--verbose``."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobforge.errors import ConfigurationError

FORMATS = ("text", "json", "github")


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


def project_root(option: Path | None) -> Path:
    """The --root folder, checked, or the nearest folder with a pyproject.toml."""
    from jobforge.contracts.config import find_root  # noqa: PLC0415

    if option is not None:
        if not option.is_dir():
            raise ConfigurationError(f"--root {option}: no such folder")
        return option.resolve()
    return find_root(Path.cwd().resolve())
