"""The HTTP connector: calls an HTTP API for a connector, refusing every address outside the
public internet (after resolution, on every redirect, pinned against DNS rebinding).

docs/SECURITY.md ("Outbound HTTP") describes the rules and how an operator relaxes them.
"""

from __future__ import annotations

from jobforge.connectors.environment import env_variable_prefix
from jobforge.connectors.http.address_policy import AddressPolicy, Refusal, address_refusal
from jobforge.connectors.http.auth import (
    ApiKeyFromEnv,
    BasicAuthFromEnv,
    BearerTokenFromEnv,
    Credentials,
    credentials_from_metadata,
)
from jobforge.connectors.http.connector import HttpConnector
from jobforge.connectors.http.errors import AddressRefused, HttpStatusError, RequestRefused
from jobforge.connectors.http.requests import HttpRequest, Operation, RequestBuilder
from jobforge.connectors.http.resolver import AddressGuard, Resolver, system_resolver

__all__ = [
    "AddressGuard",
    "AddressPolicy",
    "AddressRefused",
    "ApiKeyFromEnv",
    "BasicAuthFromEnv",
    "BearerTokenFromEnv",
    "Credentials",
    "HttpConnector",
    "HttpRequest",
    "HttpStatusError",
    "Operation",
    "Refusal",
    "RequestBuilder",
    "RequestRefused",
    "Resolver",
    "address_refusal",
    "credentials_from_metadata",
    "env_variable_prefix",
    "system_resolver",
]
