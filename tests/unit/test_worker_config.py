"""WorkerConfig: defaults, derived limits and refused settings."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from jobforge.errors import ConfigurationError
from jobforge.worker import WorkerConfig


def test_defaults() -> None:
    config = WorkerConfig()
    assert config.concurrency == 10
    assert config.batch_size == 100
    assert config.held_jobs_limit == 50  # concurrency + 4 x concurrency claimed ahead
    assert config.heartbeat_interval_seconds == pytest.approx(10.0)
    assert config.heartbeat_interval_seconds <= config.lease_seconds / 2
    assert config.worker_id.count(":") >= 2


def test_worker_ids_are_unique() -> None:
    assert WorkerConfig().worker_id != WorkerConfig().worker_id


def test_prefetch_zero_holds_only_running_jobs() -> None:
    assert WorkerConfig(concurrency=3, prefetch=0).held_jobs_limit == 3
    assert WorkerConfig(concurrency=3, prefetch=7).held_jobs_limit == 10


def test_config_is_frozen() -> None:
    config = WorkerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.concurrency = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"prefetch": -1}, "prefetch"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 10_001}, "batch_size"),
        ({"lease_seconds": 0.5}, "lease_seconds"),
        ({"poll_interval_seconds": 0}, "poll_interval_seconds"),
        ({"shutdown_grace_seconds": -1}, "shutdown_grace_seconds"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^{field}: expected"):
        WorkerConfig(**options)


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": 1},
        {"batch_size": 10_000},
        {"lease_seconds": 1},
        {"shutdown_grace_seconds": 0},
        {"prefetch": 0},
    ],
)
def test_boundary_settings_are_accepted(options: dict[str, Any]) -> None:
    WorkerConfig(**options)
