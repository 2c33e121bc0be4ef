"""Credentials for the HTTP connector, read from the environment at each call.

Reading at each call means a rotated secret is used from the next call on, without a
restart. No message ever contains a credential, only the name of its variable. The
connector sends credentials to its base URL's origin only, never to a redirect elsewhere.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from jobforge.connectors.environment import env_variable_prefix
from jobforge.errors import ConfigurationError

LINE_BREAKS = frozenset("\r\n\0")


class Credentials(Protocol):
    """Anything that gives the headers to authenticate one request."""

    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class BearerTokenFromEnv:
    """``Authorization: Bearer <token>`` with the token in ``variable``."""

    variable: str

    def headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {read_secret(self.variable)}"}


@dataclass(frozen=True, slots=True)
class ApiKeyFromEnv:
    """``<header>: <key>`` with the key in ``variable``."""

    variable: str
    header: str = "X-API-Key"

    def headers(self) -> Mapping[str, str]:
        return {self.header: read_secret(self.variable)}


@dataclass(frozen=True, slots=True)
class BasicAuthFromEnv:
    """``Authorization: Basic ...`` from a user name and a password variable."""

    username_variable: str
    password_variable: str

    def headers(self) -> Mapping[str, str]:
        pair = f"{read_secret(self.username_variable)}:{read_secret(self.password_variable)}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode("utf-8")).decode()}


def read_secret(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise ConfigurationError(
            f"environment variable {variable} is not set (it holds a connector credential)"
        )
    if LINE_BREAKS & set(value) or not value.isprintable():
        raise ConfigurationError(
            f"environment variable {variable} holds a line break or another control "
            "character; a credential must be one printable line"
        )
    return value


def credentials_from_metadata(connector_id: str, auth: Mapping[str, Any]) -> Credentials | None:
    """The credentials a connector's metadata ``auth`` section asks for.

    With ``credentials_storage: env`` the first supported method of ``methods`` decides:
    ``bearer_token`` reads ``<PREFIX>_TOKEN``, ``api_key`` ``<PREFIX>_API_KEY`` (sent as
    ``X-API-Key``), ``basic`` ``<PREFIX>_USERNAME`` and ``<PREFIX>_PASSWORD``, where
    PREFIX is ``env_variable_prefix(connector_id)``.
    """
    storage = auth.get("credentials_storage", "none")
    if not auth.get("required", False) or storage == "none":
        return None
    if storage != "env":
        raise ConfigurationError(
            f"connector {connector_id!r}: credentials_storage {storage!r}: the HTTP connector "
            "reads credentials from the environment itself; for another store pass "
            "auth=<an object with a headers() method> that reads it"
        )
    prefix = env_variable_prefix(connector_id)
    methods = list(auth.get("methods", []))
    for method in methods:
        if method == "bearer_token":
            return BearerTokenFromEnv(f"{prefix}_TOKEN")
        if method == "api_key":
            return ApiKeyFromEnv(f"{prefix}_API_KEY")
        if method == "basic":
            return BasicAuthFromEnv(f"{prefix}_USERNAME", f"{prefix}_PASSWORD")
    raise ConfigurationError(
        f"connector {connector_id!r}: auth methods {methods}: the HTTP connector supports "
        "bearer_token, api_key and basic from the environment; pass auth=... for the others"
    )
