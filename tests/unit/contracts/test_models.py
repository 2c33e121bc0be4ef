"""The models: the issue's example, strictness, semver, and the cross-field rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from jobforge.contracts.models.contract_files import ConnectorMetadata, GoldenCase, RunnerConfig
from jobforge.contracts.models.semver import parse_semver
from tests.unit.contracts.support import sample_connector

ISSUE_EXAMPLE: dict[str, Any] = {
    "connector_id": "my.api",
    "version": "1.0.0",
    "status": "stable",
    "maturity": "production",
    "supported_job_types": ["my.api.call"],
    "capabilities": {
        "bidirectional": False,
        "streaming": False,
        "batch": True,
        "real_time": False,
        "webhook": True,
        "polling": True,
    },
    "auth": {"required": True, "methods": ["api_key"], "credentials_storage": "env"},
    "rate_limits": {
        "requests_per_second": 10,
        "burst_size": 20,
        "quota_period": "minute",
        "retry_after_header": True,
    },
    "failure_modes": [
        {
            "type": "rate_limit_exceeded",
            "retryable": True,
            "retry_strategy": "exponential_backoff",
            "max_retries": 3,
            "fallback_behavior": "queue",
            "circuit_breaker": True,
        }
    ],
    "observability": {"metrics": True, "logs": True, "traces": True, "health_check": True},
}


def _error_types(model: Any, document: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    return [(tuple(e["loc"]), e["type"]) for e in caught.value.errors()]


def test_the_issue_example_is_valid() -> None:
    connector = ConnectorMetadata.model_validate(ISSUE_EXAMPLE)
    assert connector.rate_limits.burst_size == 20
    assert connector.auth.methods == ["api_key"]


def test_models_are_frozen() -> None:
    connector = ConnectorMetadata.model_validate(ISSUE_EXAMPLE)
    with pytest.raises(ValidationError):
        connector.version = "2.0.0"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "value", "expected_type"),
    [
        (("capabilities", "batch"), 1, "bool_type"),
        (("capabilities", "batch"), "true", "bool_type"),
        (("rate_limits", "burst_size"), 20.0, "int_type"),
        (("rate_limits", "burst_size"), "20", "int_type"),
        (("rate_limits", "requests_per_second"), "10", "float_type"),
        (("version",), 1, "string_type"),
    ],
)
def test_no_coercion(path: tuple[str, ...], value: Any, expected_type: str) -> None:
    document = sample_connector()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert _error_types(ConnectorMetadata, document) == [(path, expected_type)]


def test_burst_equal_to_rate_is_enough() -> None:
    rate_limits = {**sample_connector()["rate_limits"], "requests_per_second": 7.5}
    with pytest.raises(ValidationError, match=r"burst_size \(5\) must be at least"):
        ConnectorMetadata.model_validate(
            sample_connector(rate_limits={**rate_limits, "burst_size": 5})
        )
    ConnectorMetadata.model_validate(sample_connector(rate_limits={**rate_limits, "burst_size": 8}))


def test_duplicate_failure_types_are_refused() -> None:
    mode = sample_connector()["failure_modes"][0]
    with pytest.raises(ValidationError) as raised:
        ConnectorMetadata.model_validate(sample_connector(failure_modes=[mode, mode]))
    [error] = raised.value.errors()
    # At the repeat itself; the first one is entry 0, one step before the end of the path.
    assert (error["type"], error["loc"]) == ("duplicate_entry", ("failure_modes", 1, "type"))
    assert error["ctx"] == {"first": 0, "depth": 1}


def test_runner_schemas_must_be_valid_draft_2020_12() -> None:
    document = {
        "runner_id": "r",
        "runner_type": "ops",
        "version": "1.0.0",
        "description": "d",
        "job_types": {
            "r.run": {
                "description": "d",
                "input_schema": {"type": "object", "required": "zone"},
                "output_schema": {},
            }
        },
        "methods": {"execute": True, "validate": False, "health": False, "trace": False},
        "determinism": {
            "input_snapshot": True,
            "decision_trace": True,
            "output_artifact": True,
            "replayable": True,
        },
        "retry": {"max_attempts": 1, "backoff_base_seconds": 1, "backoff_cap_seconds": 1},
        "timeout_seconds": 1,
    }
    with pytest.raises(
        ValidationError, match='at /required: expected an array, got the string "zone"'
    ):
        RunnerConfig.model_validate(document)


def test_golden_defaults() -> None:
    golden = GoldenCase.model_validate(
        {"name": "n", "job_type": "a.b", "tenant": "t", "input": {}, "expected_output": {}}
    )
    assert (golden.exact, golden.deterministic, golden.connector_responses) == (False, True, [])


SEMVER = st.builds(
    "{}.{}.{}{}{}".format,
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.sampled_from(["", "-rc.1", "-alpha", "-0.3.7", "-x.7.z.92"]),
    st.sampled_from(["", "+build.1", "+001", "+exp.sha.5114f85"]),
)


@given(SEMVER)
def test_valid_versions_parse_and_round_trip(text: str) -> None:
    version = parse_semver(text)
    rebuilt = f"{version.major}.{version.minor}.{version.patch}"
    rebuilt += f"-{version.prerelease}" if version.prerelease else ""
    rebuilt += f"+{version.build}" if version.build else ""
    assert rebuilt == text


@pytest.mark.parametrize(
    "text", ["1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "v1.2.3", "1.2.3-", "1.2.3+", "1.2.3-01"]
)
def test_invalid_versions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a semantic version"):
        parse_semver(text)


# ---------------------------------------------------------------- numbers as written


@pytest.mark.parametrize("written", [10, 2.5, 10.0])
def test_numbers_keep_their_written_form(written: float) -> None:
    rate_limits = {**sample_connector()["rate_limits"], "requests_per_second": written}
    connector = ConnectorMetadata.model_validate(sample_connector(rate_limits=rate_limits))
    assert type(connector.rate_limits.requests_per_second) is type(written)
    dumped = connector.model_dump(mode="json")["rate_limits"]["requests_per_second"]
    assert (type(dumped), dumped) == (type(written), written)
    assert f'"requests_per_second":{written}' in connector.model_dump_json()


def test_runner_seconds_keep_their_written_form() -> None:
    runner = RunnerConfig.model_validate(
        _runner(timeout_seconds=30, retry={**RETRY, "backoff_base_seconds": 0.5})
    )
    assert runner.model_dump(mode="json")["timeout_seconds"] == 30
    assert type(runner.model_dump(mode="json")["timeout_seconds"]) is int
    assert type(runner.retry.backoff_base_seconds) is float
    assert type(runner.retry.backoff_cap_seconds) is int


# ---------------------------------------------------------------- runner_type


@pytest.mark.parametrize("runner_type", ["ops", "billing", "acme", "acme.payments", "my-co.etl_2"])
def test_runner_type_is_any_dotted_lower_case_name(runner_type: str) -> None:
    assert RunnerConfig.model_validate(_runner(runner_type=runner_type)).runner_type == runner_type


@pytest.mark.parametrize(
    "runner_type", ["", "Ops", "acme..payments", ".ops", "ops.", "ops/x", "ops\n"]
)
def test_runner_type_outside_the_pattern_is_refused(runner_type: str) -> None:
    assert _error_types(RunnerConfig, _runner(runner_type=runner_type)) == [
        (("runner_type",), "string_pattern_mismatch" if runner_type else "string_too_short")
    ]


# ---------------------------------------------------------------- dates and timestamps


@pytest.mark.parametrize("deadline", ["2027-01-31", "2024-02-29", "0001-01-01"])
def test_real_dates_are_accepted(deadline: str) -> None:
    ConnectorMetadata.model_validate(_with_deadline(deadline))


@pytest.mark.parametrize(
    "deadline",
    ["2024-13-45", "2024-00-10", "2024-01-32", "2024-02-30", "2023-02-29", "0000-01-01",
     "2024-1-05", "2024-01-05T00:00:00Z", "\u0662\u0660\u0662\u0664-01-05", "2024-01-05\n"],
)  # fmt: skip
def test_impossible_dates_are_refused(deadline: str) -> None:
    [(loc, kind)] = _error_types(ConnectorMetadata, _with_deadline(deadline))
    assert loc == ("breaking_changes", "2.0.0", "upgrade_deadline")
    assert kind in {"string_pattern_mismatch", "value_error"}


def test_a_calendar_error_says_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match=r'"2023-02-29" is not a date .*day is out of range'):
        ConnectorMetadata.model_validate(_with_deadline("2023-02-29"))


@pytest.mark.parametrize(
    "now",
    ["2000-01-01T00:00:00Z", "2024-02-29T23:59:59.123456789+14:00", "2000-01-01T00:00:00-00:30"],
)
def test_real_timestamps_are_accepted(now: str) -> None:
    GoldenCase.model_validate(_golden(now=now))


@pytest.mark.parametrize(
    "now",
    ["2000-13-01T00:00:00Z", "2000-01-32T00:00:00Z", "2000-02-30T00:00:00Z",
     "2000-01-01T24:00:00Z", "2000-01-01T00:60:00Z", "2000-01-01T00:00:60Z",
     "2000-01-01T00:00:00+24:00", "2000-01-01 00:00:00Z", "2000-01-01T00:00:00",
     "0000-01-01T00:00:00Z"],
)  # fmt: skip
def test_impossible_timestamps_are_refused(now: str) -> None:
    [(loc, kind)] = _error_types(GoldenCase, _golden(now=now))
    assert (loc, kind in {"string_pattern_mismatch", "value_error"}) == (("now",), True)


@pytest.mark.parametrize("version", ["1\u0660.0.0", "1.0.\u0661", "1.0.0-\u0661"])
def test_versions_take_ascii_digits_only(version: str) -> None:
    with pytest.raises(ValueError, match="expected a semantic version"):
        parse_semver(version)


RETRY: dict[str, Any] = {"max_attempts": 1, "backoff_base_seconds": 1, "backoff_cap_seconds": 1}


def _runner(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "runner_id": "r",
        "runner_type": "ops",
        "version": "1.0.0",
        "description": "d",
        "job_types": {"r.run": {"description": "d", "input_schema": {}, "output_schema": {}}},
        "methods": {"execute": True, "validate": False, "health": False, "trace": False},
        "determinism": {
            "input_snapshot": True,
            "decision_trace": True,
            "output_artifact": True,
            "replayable": True,
        },
        "retry": RETRY,
        "timeout_seconds": 1,
    }
    return {**document, **changes}


def _with_deadline(deadline: str) -> dict[str, Any]:
    return sample_connector(
        breaking_changes={"2.0.0": {"message": "m", "upgrade_deadline": deadline}}
    )


def _golden(**changes: Any) -> dict[str, Any]:
    document = {"name": "n", "job_type": "a.b", "tenant": "t", "input": {}, "expected_output": {}}
    return {**document, **changes}
