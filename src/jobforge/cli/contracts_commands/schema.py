"""``jobforge-contracts schema [--check]``: write or check the models' JSON Schemas."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import (
    add_format_option,
    add_root_option,
    add_verbose_option,
    load_project,
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
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.models.schema_export import render_schemas  # noqa: PLC0415

    config = load_project(arguments.root)
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
        return _check(folder, display, expected, stale, fix=fix, arguments=arguments)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(expected.items()):
        target = folder / name
        if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
            target.write_bytes(text.encode("utf-8"))
            written.append(name)
    for name in stale:
        (folder / name).unlink()
    if arguments.format == "json":
        document = {
            "ok": True,
            "folder": display,
            "written": [f"{display}/{name}" for name in written],
            "removed": [f"{display}/{name}" for name in stale],
            "generated": len(expected),
        }
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        print(
            f"{PROG}: {len(written)} written, {len(stale)} removed, {len(expected)} in {display}/"
        )
    return EXIT_OK


def _check(
    folder: Path,
    display: str,
    expected: dict[str, str],
    stale: list[str],
    *,
    fix: str,
    arguments: argparse.Namespace,
) -> int:
    from jobforge.contracts.drift.generated_files import compare_files  # noqa: PLC0415
    from jobforge.contracts.drift.generated_formats import render_generated  # noqa: PLC0415

    files = compare_files(folder, display, expected, stale)
    report = render_generated(
        files,
        arguments.format,
        program=PROG,
        folder=display,
        fix=fix,
        generated=len(expected),
        verbose=arguments.verbose,
        up_to_date=f"{PROG}: ok: {len(expected)} schemas in {display}/ are up to date",
    )
    sys.stdout.write(report)
    return EXIT_OK if not files else EXIT_FAILURE
