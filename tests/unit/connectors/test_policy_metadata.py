"""Policies come from the connector's metadata file: change the file, the behaviour changes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobforge.cli.handler_loading import load_project_connector_policies
from jobforge.connectors.policy import (
    FALLBACK_BEHAVIORS,
    RETRY_STRATEGIES,
    ConnectorPolicy,
    FailureModePolicy,
    RateLimitPolicy,
    policies_from_metadata,
)
from jobforge.contracts.contract_cache import CACHE_FOLDER, DISABLE_VARIABLE
from jobforge.contracts.models.contract_files import ConnectorMetadata
from jobforge.errors import CONNECTOR_FAILURE_TYPES, ConfigurationError, ConnectorFailure
from jobforge.project import load_project_config
from tests.unit.connectors.policy_support import base_metadata, failures, harness

REPO = Path(__file__).resolve().parents[3]
SHIPPED_METADATA = sorted((REPO / "connectors").glob("*/metadata.json"))


def metadata(**changes: Any) -> dict[str, Any]:
    return base_metadata(**copy.deepcopy(changes))


def policy_of(document: dict[str, Any]) -> ConnectorPolicy:
    [policy] = policies_from_metadata([ConnectorMetadata.model_validate(document)]).values()
    return policy


RETRIED = {
    "type": "server_error",
    "retryable": True,
    "retry_strategy": "linear_backoff",
    "max_retries": 2,
    "fallback_behavior": "queue",
    "circuit_breaker": False,
}
DEAD_LETTERED = {
    "type": "server_error",
    "retryable": False,
    "retry_strategy": "none",
    "max_retries": 0,
    "fallback_behavior": "dead_letter",
    "circuit_breaker": False,
}


def test_the_same_transport_under_two_metadata_files_behaves_two_ways() -> None:
    retried = harness(policy_of(metadata(failure_modes=[RETRIED])), failures("server_error", 2))
    assert retried.call() == {"ok": 3}
    assert retried.clock.sleeps == [1.0, 2.0]

    dead = harness(policy_of(metadata(failure_modes=[DEAD_LETTERED])), failures("server_error", 2))
    with pytest.raises(ConnectorFailure) as raised:
        dead.call()
    assert dead.transport.calls == 1
    assert raised.value.error_kind == "connector_server_error"
    assert "dead-lettered" in str(raised.value)


def test_the_rate_in_the_metadata_is_the_rate_enforced() -> None:
    slow = {"requests_per_second": 1, "burst_size": 1, "quota_period": "second",
            "retry_after_header": False}  # fmt: skip
    fast = {**slow, "requests_per_second": 4, "burst_size": 4}
    for rate_limits, expected in ((slow, [1.0, 1.0, 1.0]), (fast, [])):
        run = harness(policy_of(metadata(rate_limits=rate_limits)))
        for _ in range(4):
            run.call()
        assert run.clock.sleeps == expected


def test_retry_after_header_in_the_metadata_decides_whether_retry_after_counts() -> None:
    mode = {**RETRIED, "type": "rate_limit_exceeded"}
    sleeps = []
    for honoured in (True, False):
        rate_limits = {"requests_per_second": 5, "burst_size": 10, "quota_period": "minute",
                       "retry_after_header": honoured}  # fmt: skip
        run = harness(
            policy_of(metadata(rate_limits=rate_limits, failure_modes=[mode])),
            failures("rate_limit_exceeded", 1, retry_after=7.0),
        )
        run.call()
        sleeps.append(run.clock.sleeps)
    assert sleeps == [[7.0], [1.0]]


def test_metadata_becomes_its_policy() -> None:
    policy = policy_of(metadata())
    assert policy.connector_id == "scripted.api"
    assert policy.rate_limit == RateLimitPolicy(5.0, 10, retry_after_header=True)
    assert policy.failure_modes["rate_limit_exceeded"] == FailureModePolicy(
        "rate_limit_exceeded", True, "exponential_backoff", 3, "queue", circuit_breaker=True
    )
    assert policy.failure_modes["authentication_failed"].fallback_behavior == "dead_letter"


@pytest.mark.parametrize("path", SHIPPED_METADATA, ids=lambda path: path.parent.name)
def test_every_shipped_connector_becomes_the_policy_its_file_states(path: Path) -> None:
    document = json.loads(path.read_text())
    [policy] = policies_from_metadata([ConnectorMetadata.model_validate(document)]).values()
    rate = document["rate_limits"]
    assert policy.rate_limit == RateLimitPolicy(
        rate["requests_per_second"], rate["burst_size"], rate["retry_after_header"]
    )
    assert list(policy.failure_modes.values()) == [
        FailureModePolicy(**mode) for mode in document["failure_modes"]
    ]


# ---------------------------------------------------------------- JSON, for the cache

FAILURE_MODES = st.builds(
    FailureModePolicy,
    type=st.sampled_from(CONNECTOR_FAILURE_TYPES),
    retryable=st.booleans(),
    retry_strategy=st.sampled_from(RETRY_STRATEGIES),
    max_retries=st.integers(min_value=0, max_value=100),
    fallback_behavior=st.sampled_from(FALLBACK_BEHAVIORS),
    circuit_breaker=st.booleans(),
)
POLICIES = st.builds(
    ConnectorPolicy,
    connector_id=st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8}){0,2}", fullmatch=True),
    rate_limit=st.none()
    | st.builds(
        RateLimitPolicy,
        requests_per_second=st.floats(min_value=0.001, max_value=1e6),
        burst_size=st.integers(min_value=1, max_value=10**6),
        retry_after_header=st.booleans(),
    ),
    failure_modes=st.lists(FAILURE_MODES, max_size=9, unique_by=lambda m: m.type).map(
        lambda modes: {m.type: m for m in modes}
    ),
)


@given(POLICIES)
def test_a_policy_survives_json(policy: ConnectorPolicy) -> None:
    text = json.dumps(policy.to_json())
    assert ConnectorPolicy.from_json(json.loads(text)) == policy


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("failure_modes", 0, "max_retries"), True),
        (("failure_modes", 0, "retryable"), 1),
        (("failure_modes", 0, "type"), "teapot"),
        (("rate_limit", "burst_size"), 1.5),
        (("rate_limit", "requests_per_second"), "5"),
    ],
)
def test_json_that_is_not_a_policy_is_refused(path: tuple[Any, ...], value: Any) -> None:
    document = policy_of(metadata()).to_json()
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises((TypeError, ValueError)):
        ConnectorPolicy.from_json(document)


# ---------------------------------------------------------------- the worker's loading


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(DISABLE_VARIABLE, raising=False)
    (tmp_path / "connectors" / "one.cdn").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "scratch"\nversion = "0"\n')
    write_metadata(tmp_path, metadata(connector_id="one.cdn"))
    return tmp_path


def write_metadata(project: Path, document: dict[str, Any]) -> None:
    path = project / "connectors" / "one.cdn" / "metadata.json"
    path.write_text(json.dumps(document, indent=2) + "\n")


def load(project: Path) -> dict[str, ConnectorPolicy]:
    return load_project_connector_policies(load_project_config(project))


def cache_files(project: Path) -> list[Path]:
    return sorted((project / CACHE_FOLDER).glob("worker-connectors-*.json"))


def test_the_worker_loads_policies_and_caches_them(project: Path) -> None:
    first = load(project)
    assert list(first) == ["one.cdn"]
    [written] = cache_files(project)
    document = json.loads(written.read_text())
    document["value"][0]["rate_limit"]["burst_size"] = 77
    written.write_text(json.dumps(document))
    rate_limit = load(project)["one.cdn"].rate_limit
    assert rate_limit is not None
    assert rate_limit.burst_size == 77, "a hit is read from the cache file"


def test_edited_metadata_is_read_again(project: Path) -> None:
    assert load(project)["one.cdn"].failure_modes["rate_limit_exceeded"].max_retries == 3
    edited = metadata(connector_id="one.cdn", failure_modes=[{**RETRIED, "max_retries": 9}])
    write_metadata(project, edited)
    policy = load(project)["one.cdn"]
    assert list(policy.failure_modes) == ["server_error"]
    assert policy.failure_modes["server_error"].max_retries == 9
    assert len(cache_files(project)) == 1, "the stale cache file was not removed"


def test_an_unreadable_cache_file_is_a_miss(project: Path) -> None:
    expected = load(project)
    [written] = cache_files(project)
    written.write_text('{"format": 2, "fingerprint": "x", "value": [')
    assert load(project) == expected


def test_invalid_metadata_stops_the_worker_naming_the_place(project: Path) -> None:
    write_metadata(project, metadata(connector_id="one.cdn", failure_modes=[{**RETRIED,
                                     "max_retries": 0}]))  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"connectors/one\.cdn/metadata\.json:\d+:\d+"):
        load(project)
    assert cache_files(project) == []


def test_a_project_without_connectors_has_no_policies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "scratch"\nversion = "0"\n')
    assert load(tmp_path) == {}
