"""``jobforge-contracts schema [--check]``: write or check the models' JSON Schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import (
    add_root_option,
    add_verbose_option,
    project_root,
)

PROG = "jobforge-contracts schema"
SCHEMA_GLOB = "*.schema.json"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="write the JSON Schemas of the models to the schema folder",
        description=(
            "Write contracts/schema/{runner,connector,golden}.schema.json (the schema_dir of "
            "[tool.jobforge.contracts]). With --check, write nothing and fail when the "
            "committed files differ, naming each file and the fix, with a short diff."
        ),
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if out of date"
    )
    add_verbose_option(parser)
    add_root_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.models.schema_export import render_schemas  # noqa: PLC0415

    config = load_config(project_root(arguments.root))
    expected = render_schemas()
    folder = config.schema_dir
    display = config.relative(folder)
    stale = (
        sorted(path.name for path in folder.glob(SCHEMA_GLOB) if path.name not in expected)
        if folder.is_dir()
        else []
    )
    if arguments.check:
        fix = f"{PROG} --root {arguments.root}" if arguments.root else PROG
        return _check(folder, display, expected, stale, fix=fix, verbose=arguments.verbose)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, text in sorted(expected.items()):
        target = folder / name
        if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
            target.write_bytes(text.encode("utf-8"))
            written += 1
    for name in stale:
        (folder / name).unlink()
    print(f"{PROG}: {written} written, {len(stale)} removed, {len(expected)} in {display}/")
    return EXIT_OK


def _check(
    folder: Path,
    display: str,
    expected: dict[str, str],
    stale: list[str],
    *,
    fix: str,
    verbose: bool,
) -> int:
    from jobforge.contracts.drift.generated_files import (  # noqa: PLC0415
        compare_files,
        render_report,
    )

    files = compare_files(folder, display, expected, stale)
    if not files:
        print(f"{PROG}: ok: {len(expected)} schemas in {display}/ are up to date")
        return EXIT_OK
    sys.stdout.write(render_report(files, program=PROG, folder=display, fix=fix, verbose=verbose))
    return EXIT_FAILURE
