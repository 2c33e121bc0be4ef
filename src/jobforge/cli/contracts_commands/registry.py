"""``jobforge-contracts generate-registry [--output DIR] [--check]``: the connector registry."""

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
from jobforge.errors import ConfigurationError

PROG = "jobforge-contracts generate-registry"
DEFAULT_OUTPUT = Path("docs/connectors")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "generate-registry",
        help="render the connector registry (Markdown pages and registry.json)",
        description=(
            "Render index.md, one page per connector and registry.json from "
            "connectors/*/metadata.json and the runner contracts that use them into the "
            "output folder, byte for byte the same on "
            "every run. With --check, write nothing and fail when the folder differs "
            "(including files the generator would not write), naming each file and the "
            "fix, with a short diff."
        ),
    )
    parser.add_argument(
        "--output",
        metavar="DIR",
        type=Path,
        default=None,
        help=f"output folder, relative to the project root (default: {DEFAULT_OUTPUT}/)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 with a diff if out of date"
    )
    add_verbose_option(parser)
    add_root_option(parser)
    add_format_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415
    from jobforge.contracts.drift.reporters import render_file_problems  # noqa: PLC0415
    from jobforge.registry.output import write_output  # noqa: PLC0415
    from jobforge.registry.render import render_registry  # noqa: PLC0415
    from jobforge.registry.usage import registry_runners  # noqa: PLC0415

    config = load_project(arguments.root)
    output: Path = arguments.output or DEFAULT_OUTPUT
    folder = output if output.is_absolute() else config.root / output
    display = config.relative(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigurationError(f"--output {display}: exists and is not a folder")
    contracts = load_contract_set(config)
    if not contracts.ok:
        sys.stdout.write(render_file_problems(contracts.problems, arguments.format, PROG))
        return EXIT_FAILURE
    runners = registry_runners(contracts.runners.values(), root=config.root, folder=folder)
    rendered = render_registry(contracts.connector_models(), runners)
    if arguments.check:
        fix = _fix_command(arguments)
        return _check(folder, display, rendered, fix=fix, arguments=arguments)
    summary = write_output(folder, rendered, display)
    if arguments.format == "json":
        document = {
            "ok": True,
            "folder": display,
            "written": [f"{display}/{name}" for name in summary.written],
            "removed": [f"{display}/{name}" for name in summary.removed],
            "unchanged": summary.unchanged,
            "connectors": len(contracts.connectors),
        }
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return EXIT_OK
    print(
        f"{PROG}: {len(summary.written)} written, {len(summary.removed)} removed, "
        f"{summary.unchanged} unchanged in {display}/ ({_count(len(contracts.connectors))})"
    )
    return EXIT_OK


def _fix_command(arguments: argparse.Namespace) -> str:
    """The command that rewrites the folder ``--check`` looked at, with the options it took."""
    options = [f"--root {arguments.root}"] if arguments.root else []
    if arguments.output:
        options.append(f"--output {arguments.output}")
    return " ".join([PROG, *options])


def _check(
    folder: Path, display: str, rendered: dict[str, str], *, fix: str, arguments: argparse.Namespace
) -> int:
    from jobforge.contracts.drift.generated_files import compare_files  # noqa: PLC0415
    from jobforge.contracts.drift.generated_formats import render_generated  # noqa: PLC0415
    from jobforge.registry.output import check_output  # noqa: PLC0415

    result = check_output(folder, rendered, display)
    files = [] if result.up_to_date else compare_files(folder, display, rendered, result.stale)
    report = render_generated(
        files,
        arguments.format,
        program=PROG,
        folder=display,
        fix=fix,
        generated=len(rendered),
        verbose=arguments.verbose,
        up_to_date=f"{PROG}: ok: {len(rendered)} files in {display}/ are up to date",
    )
    sys.stdout.write(report)
    return EXIT_OK if not files else EXIT_FAILURE


def _count(connectors: int) -> str:
    return f"{connectors} connector{'' if connectors == 1 else 's'}"
