"""Live HTTP transports for the connectors whose metadata has an ``http`` section.

`jobforge worker run` calls ``register_http_connectors`` with the project's connector
policies: every connector with an ``http`` section and no transport yet (a handler module
may register its own first) gets an ``HttpConnector`` built from the metadata. The
environment configures each one, under the prefix ``env_variable_prefix(connector_id)``
(``readylayer.cdn`` -> ``JOBFORGE_READYLAYER_CDN``):

- ``<PREFIX>_BASE_URL``: the API's base URL (wins over the metadata's ``base_url``);
- ``<PREFIX>_ALLOWED_HOSTS`` and ``<PREFIX>_ALLOWED_NETWORKS``: comma-separated host names
  and CIDR networks exempt from the address rules (an API on a private network);
- the credentials the metadata's ``auth`` section names (``credentials_from_metadata``).

A connector with no base URL anywhere gets a transport that fails each call with
``connector_unavailable``, naming the variable to set, so its jobs dead-letter with a
message an operator can act on instead of calling somewhere unintended.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jobforge.connectors.environment import env_variable_prefix
from jobforge.connectors.policy import ConnectorPolicy, HttpBindingPolicy
from jobforge.connectors.registry import ConnectorRegistry, default_connectors
from jobforge.connectors.session import ConnectorUnavailable
from jobforge.errors import ConfigurationError

if TYPE_CHECKING:
    from jobforge.connectors.http.connector import HttpConnector


@dataclass(frozen=True, slots=True)
class HttpConnectorSettings:
    """Where one connector's HTTP API is, read from the environment and the metadata."""

    connector_id: str
    base_url: str | None
    allowed_hosts: tuple[str, ...] = ()
    allowed_networks: tuple[str, ...] = ()

    @property
    def base_url_variable(self) -> str:
        return f"{env_variable_prefix(self.connector_id)}_BASE_URL"

    @classmethod
    def read(
        cls, connector_id: str, binding: HttpBindingPolicy, environ: Mapping[str, str]
    ) -> HttpConnectorSettings:
        prefix = env_variable_prefix(connector_id)
        return cls(
            connector_id=connector_id,
            base_url=environ.get(f"{prefix}_BASE_URL", "").strip() or binding.base_url,
            allowed_hosts=_listed(environ.get(f"{prefix}_ALLOWED_HOSTS", "")),
            allowed_networks=_listed(environ.get(f"{prefix}_ALLOWED_NETWORKS", "")),
        )


class UnconfiguredConnector:
    """The transport of an HTTP connector with no base URL: every call fails, saying so."""

    def __init__(self, settings: HttpConnectorSettings) -> None:
        self._message = (
            f"connector {settings.connector_id!r} has no base URL: set "
            f"{settings.base_url_variable} on the worker (or http.base_url in its metadata)"
        )

    def __call__(self, operation: str, request: Any) -> Any:
        raise ConnectorUnavailable(self._message)


class EnvironmentConfiguredConnector:
    """An HttpConnector set up from the environment: its address refusals name the
    variables that would allow the address, not the constructor's arguments."""

    def __init__(self, connector: HttpConnector, variable_prefix: str) -> None:
        from jobforge.connectors.http.errors import AddressRefused  # noqa: PLC0415
        from jobforge.connectors.http.resolver import ALLOW_HINT  # noqa: PLC0415

        self._connector = connector
        self._refused = AddressRefused
        self._hint = ALLOW_HINT
        self._allow_hint = (
            f"an operator allows it with {variable_prefix}_ALLOWED_HOSTS or "
            f"{variable_prefix}_ALLOWED_NETWORKS on the worker"
        )

    def __call__(self, operation: str, request: Any) -> Any:
        try:
            return self._connector(operation, request)
        except self._refused as exc:
            message = str(exc).replace(self._hint, self._allow_hint)
            raise self._refused(
                message, host=exc.host, address=exc.address, rule=exc.rule
            ) from None


def http_connector(
    connector_id: str, binding: HttpBindingPolicy, settings: HttpConnectorSettings
) -> HttpConnector:
    """The HttpConnector that carries ``connector_id``'s calls as its binding says
    (httpx is imported here: a worker with no HTTP API to call never pays for it)."""
    from jobforge.connectors.http.auth import credentials_from_metadata  # noqa: PLC0415
    from jobforge.connectors.http.connector import HttpConnector  # noqa: PLC0415
    from jobforge.connectors.http.requests import Operation  # noqa: PLC0415

    if settings.base_url is None:
        raise ConfigurationError(f"{settings.base_url_variable} is not set")
    operations = {
        name: Operation(method, path) for name, (method, path) in binding.operations.items()
    }
    try:
        return HttpConnector(
            settings.base_url,
            operations=operations,
            auth=credentials_from_metadata(connector_id, binding.auth),
            allowed_hosts=settings.allowed_hosts,
            allowed_networks=settings.allowed_networks,
        )
    except ConfigurationError as exc:
        raise ConfigurationError(f"connector {connector_id!r}: {exc}") from None


def register_http_connectors(
    policies: Mapping[str, ConnectorPolicy],
    *,
    job_types: Iterable[str] | None = None,
    connectors: ConnectorRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[HttpConnectorSettings]:
    """Register a transport for every connector of ``policies`` with an ``http`` section
    and none registered yet, among those supporting one of ``job_types`` (the job types
    the worker serves; None: every connector); returns the settings of each one
    registered, in id order. A malformed setting (base URL, host, network) is a
    ConfigurationError naming it."""
    registry = connectors if connectors is not None else default_connectors
    environment = os.environ if environ is None else environ
    served = None if job_types is None else set(job_types)
    registered = []
    for connector_id, policy in sorted(policies.items()):
        binding = policy.http
        if binding is None or registry.transport(connector_id) is not None:
            continue
        if served is not None and served.isdisjoint(policy.job_types):
            continue
        settings = HttpConnectorSettings.read(connector_id, binding, environment)
        if settings.base_url is None:
            registry.register(connector_id, UnconfiguredConnector(settings))
        else:
            connector = http_connector(connector_id, binding, settings)
            registry.register(
                connector_id,
                EnvironmentConfiguredConnector(connector, env_variable_prefix(connector_id)),
            )
        registered.append(settings)
    return registered


def _listed(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())
