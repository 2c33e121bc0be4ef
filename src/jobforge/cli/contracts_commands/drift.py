"""``jobforge-contracts drift [--against REF]`` and ``jobforge-contracts lock [--force]``.

``drift`` compares the contracts with the committed lock (or with a git revision) and
fails on unversioned or unannounced changes. ``lock`` rewrites the lock after an intended
change, and refuses to when ``drift`` would fail for a reason other than the lock itself.
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
    project_root,
)

if TYPE_CHECKING:
    from jobforge.contracts.config import ContractsConfig
    from jobforge.contracts.contract_set import ContractSet
    from jobforge.contracts.drift.contract_drift import DriftResult

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
            "breaking_changes entry, and (against the lock) when the lock is out of date. "
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
    from jobforge.contracts.config import load_config  # noqa: PLC0415
    from jobforge.contracts.contract_set import load_contract_set  # noqa: PLC0415

    config = load_config(project_root(arguments.root))
    return config, load_contract_set(config)


def _report(result: DriftResult, output_format: str) -> int:
    from jobforge.contracts.drift.reporters import REPORTERS  # noqa: PLC0415

    sys.stdout.write(REPORTERS[output_format](result))
    return EXIT_OK if result.ok else EXIT_FAILURE


def _unreadable(contracts: ContractSet, output_format: str, program: str) -> int:
    from jobforge.contracts.drift.reporters import render_file_problems  # noqa: PLC0415

    sys.stdout.write(render_file_problems(contracts.problems, output_format, program))
    return EXIT_FAILURE


def run_drift(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.contract_set import load_contract_set_at  # noqa: PLC0415
    from jobforge.contracts.drift.contract_drift import LOCK_OUT_OF_DATE, DriftResult, compare  # noqa: PLC0415
    from jobforge.contracts.drift.lockfile import lock_contracts, read_lock  # noqa: PLC0415
    from jobforge.contracts.problems.problem import START, Problem  # noqa: PLC0415

    config, contracts = _load(arguments)
    if not contracts.ok:
        return _unreadable(contracts, arguments.format, PROG)
    if arguments.against is not None:
        revision: str = arguments.against
        before = load_contract_set_at(config, revision)
        if not before.ok:
            return _unreadable(before, arguments.format, PROG)
        baseline = lock_contracts(before.runner_models(), before.connector_models())
        result = compare(baseline, contracts, baseline_name=revision, lock_mode=False)
        return _report(result, arguments.format)
    lock_path = _lock_path(config, arguments.lock)
    display = config.relative(lock_path)
    locked = read_lock(lock_path, display)
    if locked is None:
        missing = Problem(
            display,
            START,
            (),
            LOCK_OUT_OF_DATE,
            "no lock file yet; run `jobforge-contracts lock` and commit it",
        )
        return _report(DriftResult(baseline=display, problems=[missing]), arguments.format)
    result = compare(locked, contracts, baseline_name=display, lock_mode=True)
    return _report(result, arguments.format)


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
    if not contracts.ok:
        return _unreadable(contracts, arguments.format, LOCK_PROG)
    try:
        locked = read_lock(lock_path, display)
    except LockFileError:
        if not arguments.force:
            raise
        locked = None
    if locked is not None and not arguments.force:
        result = compare(locked, contracts, baseline_name=display, lock_mode=False)
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
