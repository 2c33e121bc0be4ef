"""What a connector's metadata says about failing, as plain data the worker carries out.

The CLI reads ``connectors/<id>/metadata.json`` (validated by the contract models) and hands
the worker these objects, so the run-time layers never import the contracts package. They
also round-trip through JSON, for the worker's start-up cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from jobforge.errors import CONNECTOR_FAILURE_TYPES

# The closed sets of connector metadata (the contracts' RetryStrategy and FallbackBehavior
# enums hold the same values; a test keeps them in step).
RETRY_STRATEGIES = ("none", "fixed", "linear_backoff", "exponential_backoff")
FALLBACK_BEHAVIORS = ("fail", "queue", "skip", "cached_response", "dead_letter")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class FailureModePolicy:
    """One ``failure_modes[]`` entry: how a failure of ``type`` is handled."""

    type: str
    retryable: bool = False
    retry_strategy: str = "none"
    max_retries: int = 0
    fallback_behavior: str = "fail"
    circuit_breaker: bool = False

    def __post_init__(self) -> None:
        _require_member(self.type, CONNECTOR_FAILURE_TYPES, "type")
        _require_member(self.retry_strategy, RETRY_STRATEGIES, "retry_strategy")
        _require_member(self.fallback_behavior, FALLBACK_BEHAVIORS, "fallback_behavior")
        if self.max_retries < 0:
            raise ValueError(f"max_retries: expected 0 or more, got {self.max_retries}")

    @property
    def retries_allowed(self) -> int:
        """How many times a failed call is tried again inside the call."""
        return self.max_retries if self.retryable and self.retry_strategy != "none" else 0


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    """``rate_limits``: a token bucket refilled at ``requests_per_second`` holding
    ``burst_size`` tokens; ``retry_after_header`` says whether a failure's Retry-After is
    honoured."""

    requests_per_second: float
    burst_size: int
    retry_after_header: bool = False

    def __post_init__(self) -> None:
        if not self.requests_per_second > 0 or self.burst_size < 1:
            raise ValueError(
                "rate limits: expected requests_per_second > 0 and burst_size >= 1, got "
                f"{self.requests_per_second} and {self.burst_size}"
            )


@dataclass(frozen=True, slots=True)
class HttpBindingPolicy:
    """The metadata's ``http`` section and ``auth``: what `jobforge worker run` needs to
    carry the connector's calls over HTTP. ``operations`` maps each operation name to its
    method and path template; ``auth`` is the metadata's ``auth`` section as JSON."""

    operations: Mapping[str, tuple[str, str]]
    base_url: str | None = None
    auth: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "operations": {
                name: {"method": method, "path": path}
                for name, (method, path) in sorted(self.operations.items())
            },
            "auth": dict(self.auth),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> HttpBindingPolicy:
        base_url = document["base_url"]
        operations = _typed(document["operations"], dict)
        return cls(
            operations={
                _typed(name, str): (
                    _typed(operation["method"], str),
                    _typed(operation["path"], str),
                )
                for name, operation in operations.items()
            },
            base_url=None if base_url is None else _typed(base_url, str),
            auth=_typed(document["auth"], dict),
        )


@dataclass(frozen=True, slots=True)
class ConnectorPolicy:
    """Everything the worker enforces for one connector, and how it reaches it (``http``)."""

    connector_id: str
    rate_limit: RateLimitPolicy | None = None
    failure_modes: Mapping[str, FailureModePolicy] = field(default_factory=dict)
    http: HttpBindingPolicy | None = None
    # The metadata's supported_job_types: a worker sets up only the connectors its job
    # types use.
    job_types: tuple[str, ...] = ()

    def failure_mode(self, failure_type: str) -> FailureModePolicy:
        """The declared mode for ``failure_type``; a type the metadata does not list is
        not retried, not counted by the breaker and handed to the handler."""
        mode = self.failure_modes.get(failure_type)
        return mode if mode is not None else FailureModePolicy(failure_type)

    @property
    def caches_responses(self) -> bool:
        """Whether any failure falls back to a cached response (then good ones are kept)."""
        return any(m.fallback_behavior == "cached_response" for m in self.failure_modes.values())

    def to_json(self) -> dict[str, Any]:
        rate = self.rate_limit
        return {
            "connector_id": self.connector_id,
            "rate_limit": None
            if rate is None
            else {
                "requests_per_second": rate.requests_per_second,
                "burst_size": rate.burst_size,
                "retry_after_header": rate.retry_after_header,
            },
            "failure_modes": [
                {
                    "type": mode.type,
                    "retryable": mode.retryable,
                    "retry_strategy": mode.retry_strategy,
                    "max_retries": mode.max_retries,
                    "fallback_behavior": mode.fallback_behavior,
                    "circuit_breaker": mode.circuit_breaker,
                }
                for mode in self.failure_modes.values()
            ],
            "http": None if self.http is None else self.http.to_json(),
            "job_types": list(self.job_types),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> ConnectorPolicy:
        """What ``to_json`` wrote; ValueError (KeyError, TypeError) for anything else."""
        rate = document["rate_limit"]
        http = document["http"]
        modes = [
            FailureModePolicy(
                type=_typed(mode["type"], str),
                retryable=_typed(mode["retryable"], bool),
                retry_strategy=_typed(mode["retry_strategy"], str),
                max_retries=_typed(mode["max_retries"], int),
                fallback_behavior=_typed(mode["fallback_behavior"], str),
                circuit_breaker=_typed(mode["circuit_breaker"], bool),
            )
            for mode in document["failure_modes"]
        ]
        return cls(
            connector_id=_typed(document["connector_id"], str),
            rate_limit=None
            if rate is None
            else RateLimitPolicy(
                requests_per_second=_number(rate["requests_per_second"]),
                burst_size=_typed(rate["burst_size"], int),
                retry_after_header=_typed(rate["retry_after_header"], bool),
            ),
            failure_modes={mode.type: mode for mode in modes},
            http=None if http is None else HttpBindingPolicy.from_json(http),
            job_types=tuple(_typed(job_type, str) for job_type in document["job_types"]),
        )


# ----------------------------------------------------------------- from connector metadata


class _RateLimitsLike(Protocol):
    @property
    def requests_per_second(self) -> float: ...
    @property
    def burst_size(self) -> int: ...
    @property
    def retry_after_header(self) -> bool: ...


class _FailureModeLike(Protocol):
    @property
    def type(self) -> object: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def retry_strategy(self) -> object: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def fallback_behavior(self) -> object: ...
    @property
    def circuit_breaker(self) -> bool: ...


class _HttpOperationLike(Protocol):
    @property
    def method(self) -> object: ...
    @property
    def path(self) -> str: ...


class _HttpBindingLike(Protocol):
    @property
    def base_url(self) -> str | None: ...
    @property
    def operations(self) -> Mapping[str, _HttpOperationLike]: ...


class _AuthLike(Protocol):
    @property
    def required(self) -> bool: ...
    @property
    def methods(self) -> Iterable[object]: ...
    @property
    def credentials_storage(self) -> object: ...


class ConnectorMetadataLike(Protocol):
    """What the worker needs of connector metadata (the contracts' ``ConnectorMetadata``)."""

    @property
    def connector_id(self) -> str: ...
    @property
    def rate_limits(self) -> _RateLimitsLike: ...
    @property
    def failure_modes(self) -> Iterable[_FailureModeLike]: ...
    @property
    def auth(self) -> _AuthLike: ...
    @property
    def http(self) -> _HttpBindingLike | None: ...
    @property
    def supported_job_types(self) -> Iterable[str]: ...


def policies_from_metadata(
    connectors: Iterable[ConnectorMetadataLike],
) -> dict[str, ConnectorPolicy]:
    """The policies a worker enforces, by connector id, from validated connector metadata.

    Enum members are read by their string value (the contract enums are ``StrEnum``s).
    """
    policies = {}
    for metadata in connectors:
        rate = metadata.rate_limits
        modes = [
            FailureModePolicy(
                type=str(mode.type),
                retryable=mode.retryable,
                retry_strategy=str(mode.retry_strategy),
                max_retries=mode.max_retries,
                fallback_behavior=str(mode.fallback_behavior),
                circuit_breaker=mode.circuit_breaker,
            )
            for mode in metadata.failure_modes
        ]
        policies[metadata.connector_id] = ConnectorPolicy(
            connector_id=metadata.connector_id,
            rate_limit=RateLimitPolicy(
                requests_per_second=float(rate.requests_per_second),
                burst_size=rate.burst_size,
                retry_after_header=rate.retry_after_header,
            ),
            failure_modes={mode.type: mode for mode in modes},
            http=_http_binding(metadata),
            job_types=tuple(sorted(metadata.supported_job_types)),
        )
    return policies


def _http_binding(metadata: ConnectorMetadataLike) -> HttpBindingPolicy | None:
    http = metadata.http
    if http is None:
        return None
    auth = metadata.auth
    return HttpBindingPolicy(
        operations={
            name: (str(operation.method), operation.path)
            for name, operation in sorted(http.operations.items())
        },
        base_url=http.base_url,
        auth={
            "required": auth.required,
            "methods": [str(method) for method in auth.methods],
            "credentials_storage": str(auth.credentials_storage),
        },
    )


def _require_member(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")


def _typed(value: Any, kind: type[_T]) -> _T:
    # bool is an int in Python: a cached ``true`` must not pass as max_retries 1.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)
