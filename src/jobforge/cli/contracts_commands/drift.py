"""``jobforge-contracts drift [--against REF]`` and ``jobforge-contracts lock [--force]``.

``drift`` compares the contracts with the committed lock (or with a git revision) and
fails on unversioned or unannounced changes, and on removals not recorded in
contracts/removed.yaml. ``lock`` rewrites the lock after an intended change, and refuses
to when ``drift`` would fail for a reason other than the lock itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import (
    add_format_option,
    add_root_option,
    add_verbose_option,
    load_project,
)
from jobforge.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable

    from jobforge.contracts.config import ContractsConfig
    from jobforge.contracts.contract_set import ContractSet
    from jobforge.contracts.drift.contract_drift import DriftResult, Origin
    from jobforge.contracts.drift.lockfile import LockKey
    from jobforge.contracts.drift.removals import Removals
    from jobforge.contracts.problems.problem import Problem

PROG = "jobforge-contracts drift"
LOCK_PROG = "jobforge-contracts lock"


def register(subparsers: Any) -> None:
    drift: argparse.ArgumentParser = subparsers.add_parser(
        "drift",
        help="fail on contract changes without the version bump they need",
        description=(
            "Compare runner contracts and connector metadata with contracts/contracts.lock "
            "(or, with --against, with the files at a git revision). Fails when a contract "
            "changed without a version bump, when a breaking change lacks a major bump or a "
            "breaking_changes entry, when a runner or connector was removed without a record "
            "in contracts/removed.yaml, and (against the lock) when the lock is out of date. "
            "Exit 0 when all is well, 1 on problems, 2 on usage errors."
        ),
    )
    drift.add_argument(
        "--against",
        metavar="REF",
        default=None,
        help="compare with the contracts at this git revision instead of the lock",
    )
    _add_lock_option(drift)
    add_verbose_option(drift)
    add_root_option(drift)
    add_format_option(drift)
    drift.set_defaults(run=run_drift)

    lock: argparse.ArgumentParser = subparsers.add_parser(
        "lock",
        help="rewrite contracts/contracts.lock after an intended change",
        description=(
            "Record each contract's version, fingerprint and surface in the lock. Refuses "
            "when drift finds a problem (an unbumped or unannounced change) unless --force."
        ),
    )
    lock.add_argument(
        "--force",
        action="store_true",
        help="write the lock even if drift problems remain (or the old lock is unreadable)",
    )
    _add_lock_option(lock)
    add_root_option(lock)
    add_format_option(lock)
    lock.set_defaults(run=run_lock)


def _add_lock_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lock",
        metavar="FILE",
        type=Path,
        default=None,
        help="the lock file (default: contracts.lock next to the runners folder, "
        "contracts/contracts.lock)",
    )


def _lock_path(config: ContractsConfig, option: Path | None) -> Path:
    from jobforge.contracts.drift.lockfile import LOCK_FILE_NAME  # noqa: PLC0415

    if option is not None:
        return option if option.is_absolute() else Path.cwd() / option
    return config.runners_dir.parent / LOCK_FILE_NAME


def _load(arguments: argparse.Namespace) -> tuple[ContractsConfig, ContractSet]:
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415

    config = load_project(arguments.root)
    return config, load_contract_set(config)


def _removals(config: ContractsConfig) -> tuple[Removals, list[Problem]]:
    from jobforge.contracts.drift.removals import REMOVALS_FILE_NAME, read_removals  # noqa: PLC0415

    path = config.runners_dir.parent / REMOVALS_FILE_NAME
    return read_removals(path, config.relative(path))


def _lock_origin(lock_path: Path, display: str) -> Callable[[LockKey], Origin]:
    """Where a locked contract's entry is, read from the lock only when one is asked for."""
    from jobforge.contracts.drift.contract_drift import Origin  # noqa: PLC0415
    from jobforge.contracts.drift.lockfile import entry_positions  # noqa: PLC0415
    from jobforge.contracts.problems.problem import START  # noqa: PLC0415

    found: dict[LockKey, Any] = {}

    def origin(key: LockKey) -> Origin:
        if not found:
            found.update(entry_positions(lock_path.read_text(encoding="utf-8")))
        return Origin(display, found.get(key, START))

    return origin


def _report(result: DriftResult, output_format: str, *, verbose: bool = False) -> int:
    from jobforge.contracts.drift.reporters import render  # noqa: PLC0415

    sys.stdout.write(render(result, output_format, verbose=verbose))
    return EXIT_OK if result.ok else EXIT_FAILURE


def _unreadable(problems: list[Problem], output_format: str, program: str) -> int:
    from jobforge.contracts.drift.reporters import render_file_problems  # noqa: PLC0415

    sys.stdout.write(render_file_problems(problems, output_format, program))
    return EXIT_FAILURE


def run_drift(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.contract_set import load_contract_set_at  # noqa: PLC0415
    from jobforge.contracts.drift.contract_drift import (  # noqa: PLC0415
        LOCK_OUT_OF_DATE,
        DriftResult,
        compare,
        origins_of,
    )
    from jobforge.contracts.drift.lockfile import lock_contracts, read_lock  # noqa: PLC0415
    from jobforge.contracts.problems.problem import START, Problem  # noqa: PLC0415

    config, contracts = _load(arguments)
    output_format, verbose = arguments.format, arguments.verbose
    removals, removal_problems = _removals(config)
    if not contracts.ok or removal_problems:
        return _unreadable([*contracts.problems, *removal_problems], output_format, PROG)
    if arguments.against is not None:
        revision: str = arguments.against
        before = load_contract_set_at(config, revision)
        if not before.ok:
            return _unreadable(before.problems, output_format, PROG)
        baseline = lock_contracts(before.runner_models(), before.connector_models())
        result = compare(
            baseline,
            contracts,
            baseline_name=revision,
            lock_mode=False,
            removals=removals,
            origin=origins_of(before),
        )
        return _report(result, output_format, verbose=verbose)
    lock_path = _lock_path(config, arguments.lock)
    display = config.relative(lock_path)
    locked = read_lock(lock_path, display)
    if locked is None:
        missing = Problem(
            display,
            START,
            (),
            LOCK_OUT_OF_DATE,
            f"missing: {display} — run `jobforge-contracts lock` and commit it",
        )
        return _report(DriftResult(baseline=display, problems=[missing]), output_format)
    result = compare(
        locked,
        contracts,
        baseline_name=display,
        lock_mode=True,
        removals=removals,
        origin=_lock_origin(lock_path, display),
    )
    return _report(result, output_format, verbose=verbose)


def run_lock(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.drift.contract_drift import compare  # noqa: PLC0415
    from jobforge.contracts.drift.lockfile import (  # noqa: PLC0415
        LockFileError,
        lock_contracts,
        read_lock,
        render_lock,
        write_lock,
    )

    config, contracts = _load(arguments)
    lock_path = _lock_path(config, arguments.lock)
    display = config.relative(lock_path)
    removals, removal_problems = _removals(config)
    if not contracts.ok or removal_problems:
        return _unreadable([*contracts.problems, *removal_problems], arguments.format, LOCK_PROG)
    if not (contracts.runners or contracts.connectors or lock_path.exists()):
        raise ConfigurationError(_nothing_to_lock(config))
    try:
        locked = read_lock(lock_path, display)
    except LockFileError:
        if not arguments.force:
            raise
        locked = None
    if locked is not None and not arguments.force:
        result = compare(
            locked,
            contracts,
            baseline_name=display,
            lock_mode=False,
            removals=removals,
            origin=_lock_origin(lock_path, display),
        )
        if not result.ok:
            _report(result, arguments.format)
            print(
                f"{LOCK_PROG}: refusing to update {display}: fix the problems above "
                "(or pass --force to record the contracts as they are)",
                file=sys.stderr,
            )
            return EXIT_FAILURE
    entries = lock_contracts(contracts.runner_models(), contracts.connector_models())
    changed = write_lock(lock_path, render_lock(entries))
    state = "written" if changed else "already up to date"
    print(
        f"{LOCK_PROG}: {display} {state}: {len(contracts.runners)} runner(s), "
        f"{len(contracts.connectors)} connector(s)"
    )
    return EXIT_OK


def _nothing_to_lock(config: ContractsConfig) -> str:
    """No contract and no lock: an empty lock would record nothing (an empty lock that
    replaces one with entries does record something: the removal of them all)."""
    folders = [
        config.relative(folder) + "/" for folder in (config.runners_dir, config.connectors_dir)
    ]
    return (
        f"nothing to lock: no runner contract in {folders[0]} and no connector in "
        f"{folders[1]} of {config.root}; add contracts first, or pass --root DIR to lock a "
        "project elsewhere"
    )
