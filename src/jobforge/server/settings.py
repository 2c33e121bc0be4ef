"""What ``jobforge serve`` runs with: one frozen value, built by the CLI or by a program."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jobforge.errors import ConfigurationError

if TYPE_CHECKING:
    from jobforge.server.webhook_sources import WebhookSource

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# A payload may hold 1 MiB of canonical JSON; a request body carries it with white space
# and the other fields, so the bound sits above it.
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_RATE_PER_SECOND = 50.0
DEFAULT_BURST = 100
DEFAULT_KEY_CACHE_SECONDS = 60.0
DEFAULT_DATABASE_CONNECTIONS = 8
MAX_DATABASE_CONNECTIONS = 100


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """The ingress's configuration.

    ``database_url`` logs in as the server's role: a key verifier and a member of one
    producer role per tenant served (docs/SECURITY.md, "HTTP ingress").
    """

    database_url: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_second: float = DEFAULT_RATE_PER_SECOND
    burst: int = DEFAULT_BURST
    key_cache_seconds: float = DEFAULT_KEY_CACHE_SECONDS
    database_connections: int = DEFAULT_DATABASE_CONNECTIONS
    webhook_sources: tuple[WebhookSource, ...] = field(default=())
    # A role that reads the queue (an operator's, or a worker role's): with it, /metrics
    # also carries the queue depth and lag gauges the workers export. None: none.
    queue_metrics_database_url: str | None = None

    def __post_init__(self) -> None:
        if not self.database_url:
            raise ConfigurationError("database_url: expected a PostgreSQL URL")
        if self.max_body_bytes < 1024:
            raise ConfigurationError(
                f"max_body_bytes: expected at least 1024, got {self.max_body_bytes}"
            )
        if not self.rate_per_second > 0:
            raise ConfigurationError(
                f"rate_per_second: expected above 0, got {self.rate_per_second}"
            )
        if self.burst < 1:
            raise ConfigurationError(f"burst: expected at least 1, got {self.burst}")
        if not 0 < self.key_cache_seconds <= 3600:
            raise ConfigurationError(
                f"key_cache_seconds: expected above 0 and at most 3600, "
                f"got {self.key_cache_seconds}"
            )
        if not 1 <= self.database_connections <= MAX_DATABASE_CONNECTIONS:
            raise ConfigurationError(
                f"database_connections: expected 1 to {MAX_DATABASE_CONNECTIONS}, "
                f"got {self.database_connections}"
            )
        names = [source.name for source in self.webhook_sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigurationError(f"webhook source {duplicates[0]!r} is configured twice")
