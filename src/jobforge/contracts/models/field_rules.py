"""The contract models' rules between fields (see ``constraints``), one function each.

Each rule runs when the fields it reads are present and valid, whatever the rest of the
file holds. A rule between two fields is reported at the object holding both; a repeated
entry at the repeat itself.
"""

from __future__ import annotations

from collections.abc import Iterator

from jobforge.contracts.models.constraints import Fields, Violation, is_absent, unique_entries
from jobforge.contracts.models.enums import AuthMethod, CredentialsStorage, RetryStrategy
from jobforge.contracts.problems.json_names import quoted, show_value

_NONE = quoted(RetryStrategy.NONE.value)


def execute_is_implemented(fields: Fields) -> Iterator[Violation]:
    if fields.has("execute") and fields.value("execute") is False:
        yield Violation((), "execute must be true: every runner executes its job types")


def replayable_needs_records(fields: Fields) -> Iterator[Violation]:
    if not fields.all("replayable", "input_snapshot", "output_artifact"):
        return
    if fields.value("replayable") and not (
        fields.value("input_snapshot") and fields.value("output_artifact")
    ):
        yield Violation((), "replayable requires input_snapshot and output_artifact to be true")


def cap_not_below_base(fields: Fields) -> Iterator[Violation]:
    if not fields.all("backoff_base_seconds", "backoff_cap_seconds"):
        return
    base, cap = fields.value("backoff_base_seconds"), fields.value("backoff_cap_seconds")
    if cap < base:
        yield Violation(
            (),
            f"backoff_cap_seconds ({show_value(cap)}) must be at least "
            f"backoff_base_seconds ({show_value(base)})",
        )


def auth_consistent(fields: Fields) -> Iterator[Violation]:
    if not fields.has("required") or fields.value("required") is not True:
        return
    methods = fields.value("methods")
    if isinstance(methods, list) and any(
        fields.has("methods", index) and fields.value("methods", index) == AuthMethod.NONE
        for index in range(len(methods))
    ):
        yield Violation(
            (),
            f"methods must not include {quoted(AuthMethod.NONE.value)} when required is true",
        )
    if (
        fields.has("credentials_storage")
        and fields.value("credentials_storage") == CredentialsStorage.NONE
    ):
        yield Violation(
            (),
            f"credentials_storage must not be {quoted(CredentialsStorage.NONE.value)} "
            "when required is true",
        )


def burst_covers_rate(fields: Fields) -> Iterator[Violation]:
    if not fields.all("burst_size", "requests_per_second"):
        return
    burst, rate = fields.value("burst_size"), fields.value("requests_per_second")
    if burst < rate:
        yield Violation(
            (),
            f"burst_size ({show_value(burst)}) must be at least "
            f"requests_per_second ({show_value(rate)})",
        )


def retry_settings_agree(fields: Fields) -> Iterator[Violation]:
    if not fields.all("retryable", "retry_strategy", "max_retries"):
        return
    retryable = fields.value("retryable")
    no_strategy = fields.value("retry_strategy") == RetryStrategy.NONE
    max_retries = fields.value("max_retries")
    if retryable and (no_strategy or max_retries == 0):
        yield Violation(
            (),
            f"a retryable failure needs a retry_strategy other than {_NONE} and max_retries >= 1",
        )
    if not retryable and (not no_strategy or max_retries != 0):
        yield Violation(
            (),
            f"a failure that is not retryable needs retry_strategy {_NONE} and max_retries 0",
        )


def response_or_failure(fields: Fields) -> Iterator[Violation]:
    """A recorded call answers with a response (null included) or fails, never both."""
    has_response = not is_absent(fields.value("response"))
    has_failure = fields.value("failure") is not None and not is_absent(fields.value("failure"))
    if has_response and has_failure:
        yield Violation((), "give either response or failure, not both")
    elif not has_response and not has_failure:
        yield Violation(
            (), "expected response (what the call returned) or failure (how the call failed)"
        )


unique_connectors = unique_entries("connectors")
unique_auth_methods = unique_entries("methods")
unique_job_types = unique_entries("supported_job_types")
unique_failure_types = unique_entries("failure_modes", "type")
