"""Contract fuzzing runs real handlers on generated inputs and shrinks failures."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

from jobforge.context import JobContext
from jobforge.errors import NonRetryableError
from jobforge.handlers import HandlerRegistry
from jobforge.replay.fuzz import fuzz_job_type
from jobforge.worker.job_types import JobTypeContract

INPUT_SCHEMA = {
    "type": "object",
    "properties": {"assets": {"type": "array", "items": {"type": "string"}}},
    "required": ["assets"],
    "additionalProperties": False,
}
OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {"count": {"type": "integer", "minimum": 0}},
    "required": ["count"],
}
CONTRACT = JobTypeContract(
    runner_id="test.runner",
    runner_version="1.0.0",
    input_schema=INPUT_SCHEMA,
    output_schema=OUTPUT_SCHEMA,
)


def count_assets(payload: dict[str, Any], ctx: JobContext) -> dict[str, int]:
    return {"count": len(payload["assets"])}


def first_asset_length(payload: dict[str, Any], ctx: JobContext) -> dict[str, int]:
    return {"count": len(payload["assets"][0])}  # IndexError on an empty list


def random_count(payload: dict[str, Any], ctx: JobContext) -> dict[str, int]:
    import random  # noqa: PLC0415

    return {"count": random.randint(0, 10**9)}


def negative_count(payload: dict[str, Any], ctx: JobContext) -> dict[str, int]:
    return {"count": -len(payload["assets"]) - 1}


class TooManyAssets(NonRetryableError):
    error_kind = "invalid_input"


def refuses_many_assets(payload: dict[str, Any], ctx: JobContext) -> dict[str, int]:
    if len(payload["assets"]) > 1:
        raise TooManyAssets("at most one asset per job")
    return {"count": len(payload["assets"])}


def fails_without_retry(payload: dict[str, Any], ctx: JobContext) -> dict[str, int]:
    if len(payload["assets"]) > 1:
        raise NonRetryableError("at most one asset per job")  # no kind of its own
    return {"count": len(payload["assets"])}


def fuzz(function: Any) -> Any:
    registry = HandlerRegistry()
    registry.register("test.count", function)
    return fuzz_job_type("test.count", CONTRACT, registry=registry, examples=50)


def test_a_correct_handler_passes() -> None:
    assert fuzz(count_assets).passed


def test_a_crash_is_shrunk_to_the_smallest_input_and_printed_as_a_golden() -> None:
    result = fuzz(first_asset_length)
    assert not result.passed
    assert "IndexError" in result.failure or "list index out of range" in result.failure
    assert result.failing_payload == {"assets": []}
    golden = YAML(typ="safe").load(result.golden_yaml)
    assert golden["job_type"] == "test.count"
    assert golden["input"] == {"assets": []}


def test_nondeterminism_is_caught() -> None:
    result = fuzz(random_count)
    assert result.failure == "equal inputs gave different artifacts"


def test_an_output_breaking_the_output_schema_is_caught() -> None:
    result = fuzz(negative_count)
    assert result.failure is not None
    assert "invalid_output" in result.failure
    assert "output.count" in result.failure


def test_a_deliberate_refusal_of_an_input_passes() -> None:
    assert fuzz(refuses_many_assets).passed


def test_an_error_without_a_kind_of_its_own_is_still_a_failure() -> None:
    result = fuzz(fails_without_retry)
    assert not result.passed
    assert "at most one asset per job" in result.failure
