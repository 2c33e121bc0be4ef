"""Registering handlers by job type: the public API runners and applications use."""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from jobforge.context import JobContext
from jobforge.errors import ConfigurationError, HandlerNotFound, InvalidArgument

SyncHandler = Callable[[Any, JobContext], Any]
AsyncHandler = Callable[[Any, JobContext], Awaitable[Any]]
HandlerFunction = SyncHandler | AsyncHandler
F = TypeVar("F", bound=Callable[..., Any])

JOB_TYPE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)*$")
MAX_JOB_TYPE_LENGTH = 200


def validate_job_type(job_type: str) -> str:
    """Return ``job_type`` if it is a dotted lower-case name, else raise InvalidArgument."""
    if not isinstance(job_type, str) or not JOB_TYPE_PATTERN.fullmatch(job_type):
        raise InvalidArgument(
            f"job type: expected a dotted lower-case name such as 'billing.invoice.send', "
            f"got {job_type!r}"
        )
    if len(job_type) > MAX_JOB_TYPE_LENGTH:
        raise InvalidArgument(f"job type: at most {MAX_JOB_TYPE_LENGTH} characters")
    return job_type


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """One registered handler and how to run it."""

    job_type: str
    function: HandlerFunction
    timeout_seconds: float | None
    is_async: bool


class HandlerRegistry:
    """Maps job types to handlers. The module-level ``default_registry`` serves most programs."""

    def __init__(self) -> None:
        self._specs: dict[str, HandlerSpec] = {}

    def register(
        self, job_type: str, function: HandlerFunction, *, timeout_seconds: float | None = None
    ) -> HandlerSpec:
        validate_job_type(job_type)
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise InvalidArgument(
                f"timeout_seconds: expected a positive number, got {timeout_seconds}"
            )
        existing = self._specs.get(job_type)
        if existing is not None and existing.function is not function:
            raise ConfigurationError(
                f"job type {job_type!r} already has a handler: "
                f"{_describe(existing.function)}; refusing to replace it with {_describe(function)}"
            )
        spec = HandlerSpec(
            job_type=job_type,
            function=function,
            timeout_seconds=timeout_seconds,
            is_async=_is_async(function),
        )
        self._specs[job_type] = spec
        return spec

    def get(self, job_type: str) -> HandlerSpec:
        try:
            return self._specs[job_type]
        except KeyError:
            raise HandlerNotFound(f"no handler is registered for job type {job_type!r}") from None

    def __contains__(self, job_type: object) -> bool:
        return job_type in self._specs

    def __iter__(self) -> Iterator[HandlerSpec]:
        return iter(sorted(self._specs.values(), key=lambda spec: spec.job_type))

    def __len__(self) -> int:
        return len(self._specs)

    def job_types(self) -> list[str]:
        return sorted(self._specs)


default_registry = HandlerRegistry()


def handler(
    job_type: str, *, timeout_seconds: float | None = None, registry: HandlerRegistry | None = None
) -> Callable[[F], F]:
    """Decorator: ``@handler("my.job.type")`` registers the function for that job type."""

    def decorate(function: F) -> F:
        (registry if registry is not None else default_registry).register(
            job_type, function, timeout_seconds=timeout_seconds
        )
        return function

    return decorate


def register_handler(
    job_type: str,
    function: HandlerFunction,
    *,
    timeout_seconds: float | None = None,
    registry: HandlerRegistry | None = None,
) -> HandlerSpec:
    """Register ``function`` for ``job_type`` without a decorator."""
    return (registry if registry is not None else default_registry).register(
        job_type, function, timeout_seconds=timeout_seconds
    )


def import_handler_modules(module_names: Iterable[str]) -> None:
    """Import the modules whose ``@handler`` decorators fill the default registry."""
    for module_name in module_names:
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise ConfigurationError(
                f"handler module {module_name!r} could not be imported: {exc}"
            ) from exc


def _is_async(function: Callable[..., Any]) -> bool:
    """True for coroutine functions, partials of them, and objects with an async __call__."""
    target: Any = function
    while isinstance(target, functools.partial):
        target = target.func
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 - the bound __call__ of an instance
    )


def _describe(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", "?")
    return f"{module}.{getattr(function, '__qualname__', repr(function))}"
