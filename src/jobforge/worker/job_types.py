"""What the worker enforces per job type at run time: the runner contract's schemas,
time-out and retry policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

MAX_REPORTED_SCHEMA_ERRORS = 5


@dataclass(frozen=True)
class JobTypeContract:
    """The runner serving a job type, and the JSON Schemas its input and output obey."""

    runner_id: str
    runner_version: str
    input_schema: Mapping[str, Any] | None = None
    output_schema: Mapping[str, Any] | None = None
    timeout_seconds: float | None = field(default=None)
    # The contract's retry policy: at most ``max_attempts`` attempts, and the wait before
    # attempt n+1 drawn from min(cap, base * 2^(n-1)) (None: the job's own settings).
    max_attempts: int | None = None
    backoff_base_seconds: float | None = None
    backoff_cap_seconds: float | None = None

    @cached_property
    def _input_validator(self) -> Draft202012Validator | None:
        return _validator(self.input_schema)

    @cached_property
    def _output_validator(self) -> Draft202012Validator | None:
        return _validator(self.output_schema)

    def input_errors(self, payload: Any) -> list[str]:
        return _errors(self._input_validator, payload, "payload")

    def output_errors(self, output: Any) -> list[str]:
        return _errors(self._output_validator, output, "output")


class _JobTypeSchemas(Protocol):
    @property
    def input_schema(self) -> Mapping[str, Any]: ...
    @property
    def output_schema(self) -> Mapping[str, Any]: ...


class _RetryPolicyLike(Protocol):
    @property
    def max_attempts(self) -> int: ...
    @property
    def backoff_base_seconds(self) -> float: ...
    @property
    def backoff_cap_seconds(self) -> float: ...


class RunnerContractLike(Protocol):
    """What the worker needs of a runner contract (the contracts' ``RunnerConfig``)."""

    @property
    def retry(self) -> _RetryPolicyLike: ...
    @property
    def runner_id(self) -> str: ...
    @property
    def version(self) -> object: ...
    @property
    def timeout_seconds(self) -> float: ...
    @property
    def job_types(self) -> Mapping[str, _JobTypeSchemas]: ...


def contracts_by_job_type(runners: Iterable[RunnerContractLike]) -> dict[str, JobTypeContract]:
    """The job-type contracts a worker enforces, from runner contracts."""
    return {
        job_type: JobTypeContract(
            runner_id=runner.runner_id,
            runner_version=str(runner.version),
            input_schema=schemas.input_schema,
            output_schema=schemas.output_schema,
            timeout_seconds=runner.timeout_seconds,
            max_attempts=runner.retry.max_attempts,
            backoff_base_seconds=runner.retry.backoff_base_seconds,
            backoff_cap_seconds=runner.retry.backoff_cap_seconds,
        )
        for runner in runners
        for job_type, schemas in runner.job_types.items()
    }


def _validator(schema: Mapping[str, Any] | None) -> Draft202012Validator | None:
    if schema is None:
        return None
    # ECMA-262 patterns, as editors and the contract tool read them; imported only with
    # contracts to enforce.
    from jobforge.json_schema import SchemaValidator  # noqa: PLC0415

    validator: Draft202012Validator = SchemaValidator(schema)
    return validator


def _errors(validator: Draft202012Validator | None, value: Any, root: str) -> list[str]:
    if validator is None:
        return []
    messages = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        )
        messages.append(f"{root}{path}: {error.message}")
        if len(messages) == MAX_REPORTED_SCHEMA_ERRORS:
            break
    return messages
