"""The closed sets of values contract files may use. Adding a member is a minor change."""

from __future__ import annotations

from enum import StrEnum


class ConnectorStatus(StrEnum):
    """Whether a connector may be relied on (its lifecycle)."""

    EXPERIMENTAL = "experimental"
    BETA = "beta"
    STABLE = "stable"
    DEPRECATED = "deprecated"


class Maturity(StrEnum):
    """Where a connector has been run (its track record)."""

    PROTOTYPE = "prototype"
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class AuthMethod(StrEnum):
    NONE = "none"
    API_KEY = "api_key"
    BEARER_TOKEN = "bearer_token"  # noqa: S105 - names a method, holds no secret
    BASIC = "basic"
    OAUTH2 = "oauth2"
    HMAC = "hmac"
    MTLS = "mtls"


class CredentialsStorage(StrEnum):
    NONE = "none"
    ENV = "env"
    SECRET_MANAGER = "secret_manager"  # noqa: S105 - names a store, holds no secret
    VAULT = "vault"


class QuotaPeriod(StrEnum):
    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


class FailureType(StrEnum):
    RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
    QUOTA_EXCEEDED = "quota_exceeded"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"
    SERVER_ERROR = "server_error"
    AUTHENTICATION_FAILED = "authentication_failed"
    INVALID_REQUEST = "invalid_request"
    INVALID_RESPONSE = "invalid_response"
    NOT_FOUND = "not_found"


class RetryStrategy(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    LINEAR_BACKOFF = "linear_backoff"
    EXPONENTIAL_BACKOFF = "exponential_backoff"


class FallbackBehavior(StrEnum):
    FAIL = "fail"
    QUEUE = "queue"
    SKIP = "skip"
    CACHED_RESPONSE = "cached_response"
    DEAD_LETTER = "dead_letter"


class HttpMethod(StrEnum):
    """The methods an ``http`` operation of connector metadata may use."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
