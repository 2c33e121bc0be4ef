"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobforge.client import JobForgeClient


@pytest.fixture
def client(database_url: str) -> Iterator[JobForgeClient]:
    """A client connected to this test's database as its owner."""
    with JobForgeClient(database_url) as client:
        yield client
