"""Fixtures of the dashboard tests: the dashboard served as the JobForge owner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.dashboard.support import Dashboard, served, settings


@pytest.fixture
def dashboard(database_url: str) -> Iterator[Dashboard]:
    with served(settings(database_url)) as running:
        yield running
