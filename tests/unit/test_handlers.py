"""HandlerRegistry: registering handlers by job type, and what it refuses."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from jobforge import HandlerRegistry, handler, register_handler
from jobforge.errors import ConfigurationError, HandlerNotFound, InvalidArgument
from jobforge.handlers import import_handler_modules, validate_job_type


def sync_handler(payload: Any, ctx: Any) -> Any:
    return payload


async def async_handler(payload: Any, ctx: Any) -> Any:
    return payload


def other_handler(payload: Any, ctx: Any) -> Any:
    return None


def test_register_and_get() -> None:
    registry = HandlerRegistry()
    spec = registry.register("billing.invoice.send", sync_handler, timeout_seconds=2.5)
    assert registry.get("billing.invoice.send") is spec
    assert spec.function is sync_handler
    assert spec.timeout_seconds == 2.5
    assert not spec.is_async
    assert "billing.invoice.send" in registry
    assert "other" not in registry
    assert len(registry) == 1


def test_async_functions_are_detected() -> None:
    registry = HandlerRegistry()
    assert registry.register("a.async", async_handler).is_async
    assert registry.register("a.partial", functools.partial(async_handler)).is_async
    assert not registry.register("a.sync", sync_handler).is_async
    assert not registry.register("a.lambda", lambda payload, ctx: None).is_async


def test_duplicate_type_is_refused_naming_both_functions() -> None:
    registry = HandlerRegistry()
    registry.register("a.b", sync_handler)
    with pytest.raises(
        ConfigurationError, match=r"'a\.b' already has a handler.*sync_handler.*other_handler"
    ):
        registry.register("a.b", other_handler)
    assert registry.get("a.b").function is sync_handler


def test_registering_the_same_function_again_is_harmless() -> None:
    registry = HandlerRegistry()
    registry.register("a.b", sync_handler)
    registry.register("a.b", sync_handler)
    assert len(registry) == 1


@pytest.mark.parametrize(
    "bad", ["", "Upper", "a..b", ".a", "a.", "a b", "-a", "a/b", "ä", "a" * 201, None, 3]
)
def test_bad_type_names_are_refused(bad: Any) -> None:
    registry = HandlerRegistry()
    with pytest.raises(InvalidArgument, match=r"job type"):
        registry.register(bad, sync_handler)
    assert len(registry) == 0


@pytest.mark.parametrize("good", ["a", "0", "a.b.c", "billing_v2.send-now", "a" * 200])
def test_good_type_names_are_accepted(good: str) -> None:
    assert validate_job_type(good) == good


@pytest.mark.parametrize("bad", [0, -1.0])
def test_non_positive_timeout_is_refused(bad: float) -> None:
    with pytest.raises(InvalidArgument, match=r"timeout_seconds"):
        HandlerRegistry().register("a.b", sync_handler, timeout_seconds=bad)


def test_unknown_type_is_handler_not_found() -> None:
    with pytest.raises(HandlerNotFound, match=r"'nope'"):
        HandlerRegistry().get("nope")


def test_iteration_is_sorted_by_type() -> None:
    registry = HandlerRegistry()
    for job_type in ("c", "a", "b"):
        registry.register(job_type, sync_handler)
    assert [spec.job_type for spec in registry] == ["a", "b", "c"]
    assert registry.job_types() == ["a", "b", "c"]


def test_decorator_and_function_register_into_the_given_registry() -> None:
    registry = HandlerRegistry()
    # Not empty: an empty registry is falsy and ignored (tests/integration/test_found_bugs.py).
    registry.register("already.there", other_handler)

    @handler("deco.rated", registry=registry, timeout_seconds=1)
    async def decorated(payload: Any, ctx: Any) -> Any:
        return None

    register_handler("plain.function", sync_handler, registry=registry)
    assert registry.get("deco.rated").function is decorated
    assert registry.get("deco.rated").is_async
    assert registry.get("plain.function").function is sync_handler


def test_missing_handler_module_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"no_such_module_for_jobforge"):
        import_handler_modules(["no_such_module_for_jobforge"])
