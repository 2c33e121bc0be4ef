"""The API key library's SQL (jobforge/keys/queries.sql): every block parses, names its
parameters, and calls only JobForge's RPCs or reads key metadata (never hash columns
outside the authentication RPC)."""

from __future__ import annotations

import re

import pytest

from jobforge.keys.queries import _queries, key_query

EXPECTED_NAMES = {
    "insert_api_key",
    "list_api_keys",
    "rotate_api_key",
    "revoke_api_key",
    "authenticate_api_key",
    "api_key_tenant",
    "grant_key_verifier",
    "revoke_key_verifier",
}


def test_every_block_parses() -> None:
    assert set(_queries()) == EXPECTED_NAMES


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_queries_use_named_placeholders_and_schema_qualified_names(name: str) -> None:
    sql = key_query(name)
    assert "%" not in re.sub(r"%\([a-z_]+\)s", "", sql), name
    for identifier in re.findall(r"\bjobforge_[a-z_]+\b", sql):
        assert f"jobforge.{identifier}" in sql, f"{name}: {identifier} is not schema-qualified"


def test_only_authentication_reads_hash_material() -> None:
    for name in EXPECTED_NAMES - {"authenticate_api_key", "insert_api_key", "rotate_api_key"}:
        assert not re.search(r"\b(hash|salt)\b", key_query(name)), name
