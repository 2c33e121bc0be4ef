"""The operator's commands over the queue: `jobs`, `dead-letter`, `impact`, `top`."""

from __future__ import annotations

import argparse

from jobforge.cli import dead_letter_command, impact_command, jobs_command, top_command


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs_command.register(subparsers)
    dead_letter_command.register(subparsers)
    impact_command.register(subparsers)
    top_command.register(subparsers)
