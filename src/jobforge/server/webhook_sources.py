"""Webhook sources: who may post to ``/v1/webhooks/{name}``, for which tenant, and what a
verified delivery becomes (an event routed by the tenant's triggers, or a job).

They are read from a TOML file; secrets never are: the file names the environment
variables that hold them, so it can be committed.

```toml
[webhooks.stripe]
tenant_id = "6f1c2b9e-0000-4000-8000-000000000001"
event_type = "stripe.event"               # or: job_type = "billing.stripe_event"
secret_env = "STRIPE_WEBHOOK_SECRET"      # whsec_...
previous_secret_env = "STRIPE_WEBHOOK_SECRET_PREVIOUS"  # optional, during a rotation
tolerance_seconds = 300                   # optional
```
"""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobforge.connectors.webhooks import (
    DEFAULT_TOLERANCE_SECONDS,
    InvalidWebhookSecret,
    WebhookSecret,
    WebhookVerifier,
)
from jobforge.connectors.webhooks.verification import MAX_TOLERANCE_SECONDS
from jobforge.errors import ConfigurationError, InvalidArgument
from jobforge.handlers import validate_job_type

SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_KNOWN_FIELDS = frozenset(
    {"tenant_id", "event_type", "job_type", "secret_env", "previous_secret_env",
     "tolerance_seconds"}
)  # fmt: skip
MAX_EVENT_TYPE_LENGTH = 200


class DatabaseDeduplicates:
    """The ``SeenMessageIds`` of the ingress: it refuses no id itself. A sender retries a
    delivery under the same ``webhook-id``; the id becomes the idempotency key of the job
    or event it makes, so the database stores it once and the retry gets the same answer
    (a refusal would make the sender retry for ever). A stale or tampered delivery is
    still refused by the timestamp and signature checks."""

    def remember(self, message_id: str, *, expires_at: int, now: int) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class WebhookSource:
    """One sender. Exactly one of ``event_type`` and ``job_type`` is set."""

    name: str
    tenant_id: uuid.UUID
    secret: WebhookSecret = field(repr=False)
    previous_secret: WebhookSecret | None = field(default=None, repr=False)
    event_type: str | None = None
    job_type: str | None = None
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS

    def __post_init__(self) -> None:
        where = f"webhook source {self.name!r}"
        if not SOURCE_NAME.fullmatch(self.name):
            raise ConfigurationError(
                f"{where}: a source name is 1 to 64 lower-case letters, digits, '_' or '-'"
            )
        if (self.event_type is None) == (self.job_type is None):
            raise ConfigurationError(f"{where}: set exactly one of event_type and job_type")
        if self.event_type is not None and (
            not 1 <= len(self.event_type) <= MAX_EVENT_TYPE_LENGTH or "\x00" in self.event_type
        ):
            raise ConfigurationError(
                f"{where}: event_type: expected 1 to 200 characters, none of them U+0000"
            )
        if self.job_type is not None:
            try:
                validate_job_type(self.job_type)
            except InvalidArgument as exc:
                raise ConfigurationError(f"{where}: {exc}") from None
        if not 1 <= self.tolerance_seconds <= MAX_TOLERANCE_SECONDS:
            raise ConfigurationError(
                f"{where}: tolerance_seconds: expected 1 to {MAX_TOLERANCE_SECONDS}, "
                f"got {self.tolerance_seconds}"
            )

    def verifier(self) -> WebhookVerifier:
        return WebhookVerifier(
            self.secret,
            previous=self.previous_secret,
            seen_ids=DatabaseDeduplicates(),
            tolerance_seconds=self.tolerance_seconds,
        )


def load_webhook_sources(
    path: Path, environ: Mapping[str, str] | None = None
) -> tuple[WebhookSource, ...]:
    """The ``[webhooks.<name>]`` tables of the TOML file at ``path``, sorted by name, their
    secrets read from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the server config: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(document) - {"webhooks"})
    if unknown:
        raise ConfigurationError(f"{path}: unknown table {unknown[0]!r} (expected 'webhooks')")
    tables = document.get("webhooks", {})
    if not isinstance(tables, dict):
        raise ConfigurationError(f"{path}: webhooks: expected a table of sources")
    return tuple(_source(path, name, table, env) for name, table in sorted(tables.items()))


def _source(path: Path, name: str, table: Any, env: Mapping[str, str]) -> WebhookSource:
    where = f"{path}: webhooks.{name}"
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where}: expected a table")
    unknown = sorted(set(table) - _KNOWN_FIELDS)
    if unknown:
        raise ConfigurationError(
            f"{where}.{unknown[0]}: unknown field (expected {', '.join(sorted(_KNOWN_FIELDS))})"
        )
    try:
        tenant_id = uuid.UUID(str(table["tenant_id"]))
    except KeyError:
        raise ConfigurationError(f"{where}.tenant_id: required") from None
    except ValueError:
        raise ConfigurationError(
            f"{where}.tenant_id: expected a UUID, got {table['tenant_id']!r}"
        ) from None
    for text_field in ("event_type", "job_type", "secret_env", "previous_secret_env"):
        if text_field in table and not isinstance(table[text_field], str):
            raise ConfigurationError(f"{where}.{text_field}: expected a string")
    tolerance = table.get("tolerance_seconds", DEFAULT_TOLERANCE_SECONDS)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int):
        raise ConfigurationError(f"{where}.tolerance_seconds: expected an integer")
    if "secret_env" not in table:
        raise ConfigurationError(f"{where}.secret_env: required (the variable holding whsec_...)")
    previous = None
    if "previous_secret_env" in table:
        previous = _secret(where, "previous_secret_env", table["previous_secret_env"], env)
    try:
        return WebhookSource(
            name=name,
            tenant_id=tenant_id,
            secret=_secret(where, "secret_env", table["secret_env"], env),
            previous_secret=previous,
            event_type=table.get("event_type"),
            job_type=table.get("job_type"),
            tolerance_seconds=tolerance,
        )
    except ConfigurationError as exc:
        if str(exc).startswith(where):
            raise
        raise ConfigurationError(f"{path}: {exc}") from None


def _secret(where: str, field_name: str, variable: str, env: Mapping[str, str]) -> WebhookSecret:
    value = env.get(variable, "").strip()
    if not value:
        raise ConfigurationError(
            f"{where}.{field_name}: the environment variable {variable} is not set"
        )
    try:
        return WebhookSecret.parse(value)
    except InvalidWebhookSecret as exc:
        raise ConfigurationError(f"{where}.{field_name}: ${variable}: {exc}") from None
