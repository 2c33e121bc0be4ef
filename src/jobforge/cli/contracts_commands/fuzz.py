"""``jobforge-contracts fuzz``: generated inputs through real handlers, checked by contract."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from jobforge.cli.common import EXIT_FAILURE, EXIT_OK
from jobforge.cli.contracts_commands.options import add_root_option, load_project
from jobforge.errors import ConfigurationError

DESCRIPTION = (
    "For each job type of each runner (or of --runner), generate payloads from its input "
    "schema, run the handler twice per payload on a pinned clock and seed (connectors "
    "answer from the recorded responses of that job type's goldens), and check that the "
    "output validates against the output schema and that equal inputs give equal artifacts. "
    "A failing example is shrunk and printed as a golden to save."
)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "fuzz", help="fuzz handlers against their contracts", description=DESCRIPTION
    )
    parser.add_argument("--runner", metavar="ID", help="only this runner's job types")
    parser.add_argument("--examples", type=int, default=100, metavar="N", help="per job type")
    add_root_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from jobforge.contracts.checks.validation import ValidationResult  # noqa: PLC0415
    from jobforge.contracts.problems.reporters import REPORTERS  # noqa: PLC0415
    from jobforge.handlers import default_registry  # noqa: PLC0415
    from jobforge.replay.fuzz import fuzz_job_type  # noqa: PLC0415
    from jobforge.replay.project import import_project_handlers, load_replay_inputs  # noqa: PLC0415

    if arguments.examples < 1:
        raise ConfigurationError(f"--examples: expected at least 1, got {arguments.examples}")
    config = load_project(arguments.root)
    inputs = load_replay_inputs(config)
    if inputs.problems:
        unreadable = ValidationResult(problems=inputs.problems, files_checked=inputs.files_read)
        sys.stdout.write(REPORTERS["text"](unreadable))
        return EXIT_FAILURE
    if not inputs.job_types:
        raise ConfigurationError(
            f"nothing to fuzz: no runner contract with a job type in "
            f"{config.runners_dir}; run `jobforge-contracts init` to create one, or pass "
            "--root DIR to fuzz a project elsewhere"
        )
    if arguments.runner and arguments.runner not in inputs.runners:
        known = ", ".join(sorted(inputs.runners)) or "none"
        raise ConfigurationError(f"--runner {arguments.runner}: no such runner (known: {known})")
    import_project_handlers(config)
    failures = 0
    for job_type, contract in sorted(inputs.job_types.items()):
        if arguments.runner and contract.runner_id != arguments.runner:
            continue
        recordings = [
            {key: value for key, value in response.items() if key != "request"}
            for golden in inputs.goldens
            if golden.job_type == job_type
            for response in golden.connector_responses
        ]
        result = fuzz_job_type(
            job_type,
            contract,
            registry=default_registry,
            examples=arguments.examples,
            connector_responses=recordings,
        )
        if result.passed:
            print(f"PASS {job_type}: {result.examples} generated inputs")
            continue
        failures += 1
        print(f"FAIL {job_type}: {result.failure}")
        if result.golden_yaml:
            print("  smallest failing input, as a golden to save:")
            print("  " + result.golden_yaml.rstrip().replace("\n", "\n  "))
    return EXIT_OK if failures == 0 else EXIT_FAILURE
