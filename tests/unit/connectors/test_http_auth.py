"""Credentials come from the environment as the connector's metadata says, are read at
each call, and never appear in a message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobforge.connectors.http import (
    ApiKeyFromEnv,
    BasicAuthFromEnv,
    BearerTokenFromEnv,
    credentials_from_metadata,
    env_variable_prefix,
)
from jobforge.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[3]
SECRET = "s3cr3t-value"


def test_the_readylayer_metadata_asks_for_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    metadata = json.loads((ROOT / "connectors" / "readylayer.cdn" / "metadata.json").read_text())
    credentials = credentials_from_metadata(metadata["connector_id"], metadata["auth"])
    assert credentials == BearerTokenFromEnv("JOBFORGE_READYLAYER_CDN_TOKEN")
    monkeypatch.setenv("JOBFORGE_READYLAYER_CDN_TOKEN", SECRET)
    assert credentials.headers() == {"Authorization": f"Bearer {SECRET}"}
    monkeypatch.setenv("JOBFORGE_READYLAYER_CDN_TOKEN", "rotated")
    assert credentials.headers() == {"Authorization": "Bearer rotated"}


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ({"required": False, "methods": ["none"], "credentials_storage": "none"}, None),
        (
            {"required": True, "methods": ["oauth2", "api_key"], "credentials_storage": "env"},
            ApiKeyFromEnv("JOBFORGE_BILLING_API_API_KEY"),
        ),
        (
            {"required": True, "methods": ["basic"], "credentials_storage": "env"},
            BasicAuthFromEnv("JOBFORGE_BILLING_API_USERNAME", "JOBFORGE_BILLING_API_PASSWORD"),
        ),
    ],
)
def test_each_supported_method_reads_its_variables(auth: dict[str, Any], expected: object) -> None:
    assert credentials_from_metadata("billing-api", auth) == expected


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (
            {"required": True, "methods": ["bearer_token"], "credentials_storage": "vault"},
            "'vault'",
        ),
        ({"required": True, "methods": ["mtls", "hmac"], "credentials_storage": "env"}, "supports"),
    ],
)
def test_unsupported_storage_and_methods_say_what_to_pass_instead(
    auth: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message) as refused:
        credentials_from_metadata("billing-api", auth)
    assert "auth=" in str(refused.value)


def test_basic_credentials_are_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER_VAR", "aladdin")
    monkeypatch.setenv("PASSWORD_VAR", "opensesame")
    assert BasicAuthFromEnv("USER_VAR", "PASSWORD_VAR").headers() == {
        "Authorization": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [(None, "is not set"), ("", "is not set"), (f"{SECRET}\r\nX-Admin: 1", "line break")],
)
def test_a_missing_or_multi_line_credential_names_the_variable_only(
    monkeypatch: pytest.MonkeyPatch, value: str | None, message: str
) -> None:
    if value is None:
        monkeypatch.delenv("TOKEN_VAR", raising=False)
    else:
        monkeypatch.setenv("TOKEN_VAR", value)
    with pytest.raises(ConfigurationError, match=message) as refused:
        BearerTokenFromEnv("TOKEN_VAR").headers()
    assert "TOKEN_VAR" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_connector_ids_become_variable_prefixes() -> None:
    assert env_variable_prefix("readylayer.cdn") == "JOBFORGE_READYLAYER_CDN"
    assert env_variable_prefix("aias.agent-router") == "JOBFORGE_AIAS_AGENT_ROUTER"
