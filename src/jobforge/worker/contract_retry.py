"""A runner contract's retry policy, applied to an attempt that failed retryably.

A job carries its own ``max_attempts`` and backoff (set at enqueue); the contract of its
job type caps them. An attempt that reaches the contract's ``retry.max_attempts`` is the
last, whatever the job allows, and the wait before the next attempt follows the
contract's ``backoff_base_seconds`` and ``backoff_cap_seconds`` (the router's "equal
jitter" schedule: half the capped exponential delay plus a random part of the other
half), unless the failure named its own time (a connector's ``Retry-After`` or a queued
fallback). The jitter is drawn from the job id and attempt, so a replay of the decision
gives the same wait.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from uuid import UUID

    from jobforge.worker.execution import Failed
    from jobforge.worker.job_types import JobTypeContract


class _ContractRetry(Protocol):
    @property
    def runner_id(self) -> str: ...
    @property
    def max_attempts(self) -> int | None: ...
    @property
    def backoff_base_seconds(self) -> float | None: ...
    @property
    def backoff_cap_seconds(self) -> float | None: ...


def exhausted_message(contract: _ContractRetry, attempt: int) -> str | None:
    """Why attempt ``attempt`` is the last under ``contract``, or None when it is not."""
    limit = contract.max_attempts
    if limit is None or attempt < limit:
        return None
    return (
        f"the last attempt runner {contract.runner_id}'s contract allows "
        f"(retry.max_attempts {limit})"
    )


def backoff_seconds(contract: _ContractRetry, job_id: UUID, attempt: int) -> float | None:
    """The wait before the attempt after ``attempt``, or None without a contract backoff."""
    base, cap = contract.backoff_base_seconds, contract.backoff_cap_seconds
    if base is None or cap is None:
        return None
    delay = min(cap, base * 2.0 ** (max(attempt, 1) - 1))
    unit_random = random.Random(f"{job_id}:{attempt}:backoff").random()  # noqa: S311 - jitter
    return delay * (1 + unit_random) / 2


def hold_to_contract(failed: Failed, contract: JobTypeContract | None) -> None:
    """Apply ``contract``'s retry policy to a failed attempt, in place: the last attempt
    the contract allows is not retried (its message says so), and a retry without a wait
    of its own waits the contract's backoff."""
    if contract is None or not failed.retryable:
        return
    job = failed.job
    last = exhausted_message(contract, job.attempt)
    if last is not None:
        if job.attempt < job.max_attempts:  # else the job's own limit ends it anyway
            failed.retryable = False
            failed.error = {**failed.error, "message": f"{failed.error['message']} ({last})"}
        return
    if failed.retry_in_seconds is None:
        failed.retry_in_seconds = backoff_seconds(contract, job.id, job.attempt)
