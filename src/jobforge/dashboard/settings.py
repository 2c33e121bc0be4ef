"""What the dashboard runs with: the operator token, the cookie key, the operator's database.

``DashboardSettings.from_environment`` reads ``JOBFORGE_UI_*`` variables, so `jobforge
serve` mounts the dashboard without options of its own (docs/RUNBOOK.md, "Dashboard").
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from jobforge.errors import ConfigurationError

TOKEN_VARIABLE = "JOBFORGE_UI_TOKEN"  # noqa: S105 - a variable name, not a token
SECRET_VARIABLE = "JOBFORGE_UI_SECRET"  # noqa: S105 - a variable name, not a secret
DATABASE_URL_VARIABLE = "JOBFORGE_UI_DATABASE_URL"
SESSION_HOURS_VARIABLE = "JOBFORGE_UI_SESSION_HOURS"

# An operator token guards every tenant's jobs: 32 characters is the shortest accepted
# (`python -c "import secrets; print(secrets.token_urlsafe(32))"` prints 43).
MIN_TOKEN_CHARACTERS = 32
MIN_SECRET_BYTES = 32
DEFAULT_SESSION_SECONDS = 8 * 3600
MAX_SESSION_SECONDS = 7 * 86_400
DEFAULT_DATABASE_CONNECTIONS = 4
MAX_DATABASE_CONNECTIONS = 50
SECONDS_PER_HOUR = 3600


def _random_secret() -> bytes:
    return secrets.token_bytes(MIN_SECRET_BYTES)


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """The dashboard's configuration.

    ``database_url`` logs in as the operator's role: the JobForge owner sees and acts on
    every tenant; a role granted some tenants as a producer sees and acts on those only.
    ``secret`` signs session cookies; without one, a random key is drawn at start (every
    session then ends when the process does).
    """

    database_url: str
    token: str
    secret: bytes = field(default_factory=_random_secret)
    session_seconds: int = DEFAULT_SESSION_SECONDS
    database_connections: int = DEFAULT_DATABASE_CONNECTIONS

    def __post_init__(self) -> None:
        if not self.database_url:
            raise ConfigurationError("dashboard database_url: expected a PostgreSQL URL")
        if len(self.token) < MIN_TOKEN_CHARACTERS:
            raise ConfigurationError(
                f"{TOKEN_VARIABLE}: expected at least {MIN_TOKEN_CHARACTERS} characters, got "
                f'{len(self.token)} (make one with: python -c "import secrets; '
                'print(secrets.token_urlsafe(32))")'
            )
        if len(self.secret) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"{SECRET_VARIABLE}: expected at least {MIN_SECRET_BYTES} bytes, "
                f"got {len(self.secret)}"
            )
        if not 60 <= self.session_seconds <= MAX_SESSION_SECONDS:
            raise ConfigurationError(
                f"session length: expected 60 s to {MAX_SESSION_SECONDS} s (7 days), "
                f"got {self.session_seconds}"
            )
        if not 1 <= self.database_connections <= MAX_DATABASE_CONNECTIONS:
            raise ConfigurationError(
                f"dashboard database connections: expected 1 to {MAX_DATABASE_CONNECTIONS}, "
                f"got {self.database_connections}"
            )

    @classmethod
    def from_environment(
        cls, default_database_url: str, environ: Mapping[str, str] | None = None
    ) -> DashboardSettings | None:
        """The settings ``JOBFORGE_UI_*`` describe; None when JOBFORGE_UI_TOKEN is unset
        (no token, no dashboard). The database URL defaults to ``default_database_url``."""
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_VARIABLE, "").strip()
        if not token:
            return None
        secret_text = env.get(SECRET_VARIABLE, "").strip()
        hours_text = env.get(SESSION_HOURS_VARIABLE, "").strip()
        return cls(
            database_url=env.get(DATABASE_URL_VARIABLE, "").strip() or default_database_url,
            token=token,
            secret=secret_text.encode("utf-8") if secret_text else _random_secret(),
            session_seconds=_hours(hours_text) if hours_text else DEFAULT_SESSION_SECONDS,
        )


def _hours(text: str) -> int:
    try:
        hours = float(text)
    except ValueError:
        raise ConfigurationError(
            f"{SESSION_HOURS_VARIABLE}: expected a number of hours such as 8, got {text!r}"
        ) from None
    return round(hours * SECONDS_PER_HOUR)
