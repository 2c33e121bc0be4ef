"""``jobforge-contracts schema [--check]``: write or check the models' JSON Schemas."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import add_root_option, project_root

PROG = "jobforge-contracts schema"
SCHEMA_GLOB = "*.schema.json"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="write the JSON Schemas of the models to the schema folder",
        description=(
            "Write contracts/schema/{runner,connector,golden}.schema.json (the schema_dir of "
            "[tool.jobforge.contracts]). With --check, write nothing and fail with a diff "
            "when the committed files differ."
        ),
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if out of date"
    )
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
        return _check(folder, display, expected, stale)
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


def _check(folder: Path, display: str, expected: dict[str, str], stale: list[str]) -> int:
    diffs: list[str] = []
    for name, text in sorted(expected.items()):
        target = folder / name
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            diffs.extend(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{display}/{name}" if target.is_file() else "/dev/null",
                    tofile=f"{display}/{name} (generated)",
                )
            )
    for name in stale:
        diffs.append(f"{display}/{name}: not generated any more; remove it\n")
    if not diffs:
        print(f"{PROG}: ok: {len(expected)} schemas in {display}/ are up to date")
        return EXIT_OK
    sys.stdout.writelines(diffs)
    print(
        f"{PROG}: {display}/ is out of date; run `jobforge-contracts schema` and commit the result"
    )
    return EXIT_FAILURE
