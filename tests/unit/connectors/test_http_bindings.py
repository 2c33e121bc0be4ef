"""Connector metadata's ``http`` section: read, cached and turned into live transports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobforge.connectors.bindings import (
    EnvironmentConfiguredConnector,
    HttpConnectorSettings,
    UnconfiguredConnector,
    register_http_connectors,
)
from jobforge.connectors.policy import ConnectorPolicy, HttpBindingPolicy, policies_from_metadata
from jobforge.connectors.registry import ConnectorRegistry
from jobforge.connectors.session import ConnectorUnavailable
from jobforge.contracts.models.contract_files import ConnectorMetadata
from jobforge.errors import ConfigurationError

REPOSITORY = Path(__file__).resolve().parents[3]
BINDING = HttpBindingPolicy(
    operations={"warm_urls": ("POST", "/zones/{zone}/cache/warm")},
    base_url="https://api.readylayer.example/v1",
    auth={"required": True, "methods": ["bearer_token"], "credentials_storage": "env"},
)


def policy(binding: HttpBindingPolicy | None = BINDING) -> dict[str, ConnectorPolicy]:
    return {"readylayer.cdn": ConnectorPolicy("readylayer.cdn", http=binding)}


def test_the_shipped_metadata_becomes_a_binding_that_survives_the_cache() -> None:
    document = json.loads(
        (REPOSITORY / "connectors/readylayer.cdn/metadata.json").read_text(encoding="utf-8")
    )
    [read] = policies_from_metadata([ConnectorMetadata.model_validate(document)]).values()
    assert read.http is not None
    assert read.http.operations["warm_urls"] == ("POST", "/zones/{zone}/cache/warm")
    assert read.http.auth["methods"] == ["bearer_token"]
    assert ConnectorPolicy.from_json(json.loads(json.dumps(read.to_json()))) == read


def test_the_environment_wins_over_the_metadata_base_url() -> None:
    environ = {
        "JOBFORGE_READYLAYER_CDN_BASE_URL": " http://10.0.0.7:8080/v1 ",
        "JOBFORGE_READYLAYER_CDN_ALLOWED_NETWORKS": "10.0.0.0/8, ,fd00::/8",
        "JOBFORGE_READYLAYER_CDN_ALLOWED_HOSTS": "cdn.internal",
    }
    settings = HttpConnectorSettings.read("readylayer.cdn", BINDING, environ)
    assert settings.base_url == "http://10.0.0.7:8080/v1"
    assert settings.allowed_networks == ("10.0.0.0/8", "fd00::/8")
    assert settings.allowed_hosts == ("cdn.internal",)
    assert HttpConnectorSettings.read("readylayer.cdn", BINDING, {}).base_url == BINDING.base_url


def test_each_unregistered_connector_gets_a_transport_once() -> None:
    registry = ConnectorRegistry()
    [settings] = register_http_connectors(policy(), connectors=registry, environ={})
    assert settings.base_url == BINDING.base_url
    assert isinstance(registry.transport("readylayer.cdn"), EnvironmentConfiguredConnector)
    assert register_http_connectors(policy(), connectors=registry, environ={}) == []
    assert register_http_connectors(policy(None), connectors=ConnectorRegistry()) == []


def test_a_transport_registered_by_a_handler_module_is_kept() -> None:
    registry = ConnectorRegistry()

    def canned(operation: str, request: object) -> object:
        return {}

    registry.register("readylayer.cdn", canned)
    assert register_http_connectors(policy(), connectors=registry, environ={}) == []
    assert registry.transport("readylayer.cdn") is canned


def test_without_a_base_url_every_call_fails_naming_the_variable() -> None:
    registry = ConnectorRegistry()
    no_default = HttpBindingPolicy(operations=BINDING.operations, auth=BINDING.auth)
    [settings] = register_http_connectors(policy(no_default), connectors=registry, environ={})
    assert settings.base_url is None
    transport = registry.transport("readylayer.cdn")
    assert isinstance(transport, UnconfiguredConnector)
    with pytest.raises(ConnectorUnavailable, match="set JOBFORGE_READYLAYER_CDN_BASE_URL"):
        transport("warm_urls", {"zone": "z"})


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("JOBFORGE_READYLAYER_CDN_BASE_URL", "ftp://cdn.example", "expected an http or https URL"),
        ("JOBFORGE_READYLAYER_CDN_BASE_URL", "https://user:pw@cdn.example", "credentials"),
        ("JOBFORGE_READYLAYER_CDN_ALLOWED_NETWORKS", "10.0.0.0/33", "10.0.0.0/33"),
    ],
)
def test_a_malformed_setting_stops_the_worker_naming_the_connector(
    variable: str, value: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=r"connector 'readylayer\.cdn'") as raised:
        register_http_connectors(
            policy(), connectors=ConnectorRegistry(), environ={variable: value}
        )
    assert named in str(raised.value)
