"""The models: the issue's example, strictness, semver, and the cross-field rules."""

from __future__ import annotations

import re
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
    with pytest.raises(
        ValidationError, match=re.escape("failure_modes[].type lists 'rate_limit_exceeded'")
    ):
        ConnectorMetadata.model_validate(sample_connector(failure_modes=[mode, mode]))


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
    with pytest.raises(ValidationError, match="at /required: 'zone' is not of type 'array'"):
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
