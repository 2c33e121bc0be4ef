"""``jobforge-contracts init``: a working contract skeleton in an existing repository."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import add_root_option, project_root
from jobforge.cli.contracts_commands.registry import DEFAULT_OUTPUT

if TYPE_CHECKING:
    from jobforge.scaffold.skeleton import Skeleton
    from jobforge.scaffold.writing import Conflict

PROG = "jobforge-contracts init"
DESCRIPTION = (
    "Add [tool.jobforge] to pyproject.toml (creating the file if there is none) and create "
    "one runner contract, one connector, one golden with the connector's recorded response, "
    "a handler module, the generated JSON Schemas, registry and lock, a pre-commit "
    "configuration and a GitHub Actions workflow, so that `jobforge-contracts check` passes "
    "at once. Never overwrites a file: if any file it would create exists, or the section "
    "does, it lists every conflict and writes nothing (exit 1)."
)


# The same as jobforge.scaffold.names.DEFAULT_RUNNER (a unit test holds them together),
# written out so that registering the command imports neither the scaffold nor pydantic.
DEFAULT_RUNNER = "example.ops"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "init", help="start contracts in this repository (a skeleton check passes on)",
        description=DESCRIPTION,
    )  # fmt: skip
    parser.add_argument(
        "--runner", metavar="ID", default=None,
        help="the runner id; the job type (ID.lookup), connector (ID.api) and handler module "
        f"are named after it (default: {DEFAULT_RUNNER})",
    )  # fmt: skip
    parser.add_argument(
        "--domain", metavar="NAME", default=None,
        help="the runner_type (default: the second part of the runner id, e.g. 'billing' "
        "for acme.billing)",
    )  # fmt: skip
    add_root_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.scaffold.names import skeleton_names  # noqa: PLC0415
    from jobforge.scaffold.skeleton import build_skeleton, owned_folders  # noqa: PLC0415
    from jobforge.scaffold.writing import find_conflicts, new_ancestors, write_all  # noqa: PLC0415

    names = skeleton_names(arguments.runner, arguments.domain)
    root = project_root(arguments.root)
    registry_dir = DEFAULT_OUTPUT.as_posix()
    skeleton = build_skeleton(root, names, registry_dir)
    conflicts = [
        *skeleton.conflicts,
        *find_conflicts(root, skeleton.files, owned_folders(registry_dir)),
    ]
    if conflicts:
        _report_conflicts(root, conflicts)
        return EXIT_FAILURE
    to_add = new_ancestors(root, skeleton.files)
    if skeleton.append is not None:
        to_add.insert(0, skeleton.append.path)
    write_all(root, skeleton.files, skeleton.append)
    _report_created(root, skeleton, to_add)
    return EXIT_OK


def _report_conflicts(root: Path, conflicts: list[Conflict]) -> None:
    print(f"{PROG}: nothing was written in {root}:", file=sys.stderr)
    for conflict in conflicts:
        print(f"  {conflict.path}: {conflict.reason}", file=sys.stderr)
    print(
        "init never overwrites a file: resolve the conflicts above (or choose another "
        "--root, or another --runner) and run it again",
        file=sys.stderr,
    )


def _report_created(root: Path, skeleton: Skeleton, to_add: list[str]) -> None:
    names = skeleton.names
    print(f"{PROG}: runner {names.runner_id} (runner_type {names.domain}) set up in {root}")
    if skeleton.append is not None:
        print(f"  appended  {skeleton.append.path}  [tool.jobforge] and [tool.jobforge.contracts]")
    width = max(len(path) for path in skeleton.files)
    for path, description in skeleton.descriptions.items():
        print(f"  created   {path:<{width}}  {description}")
    if not skeleton.pre_commit_created:
        print(
            "\n.pre-commit-config.yaml exists and was left as it is; to run the contract "
            "checks on commit, add this entry under its `repos:`\n"
        )
        print(skeleton.pre_commit_entry, end="")
    print("\nnext:")
    print("  jobforge-contracts check   # validate, schemas, registry, drift, replay: all pass")
    print(
        "                             # (replay needs `pip install 'jobforge[embedded]'` or "
        "JOBFORGE_REPLAY_DATABASE_URL)"
    )
    print(f"  git add {' '.join(to_add)}")
    if skeleton.pre_commit_created:
        print("  pre-commit install         # run the hooks of .pre-commit-config.yaml on commit")
