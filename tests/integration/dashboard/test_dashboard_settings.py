"""Configuring the dashboard from the environment: no token, no dashboard; bad values are
refused at start with what to do."""

from __future__ import annotations

import pytest

from jobforge.dashboard import DashboardSettings, dashboard_mounts
from jobforge.errors import ConfigurationError

SERVER_URL = "postgresql://server@127.0.0.1/jobs"
TOKEN = "t" * 43


def test_no_token_no_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DashboardSettings.from_environment(SERVER_URL, {}) is None
    assert DashboardSettings.from_environment(SERVER_URL, {"JOBFORGE_UI_TOKEN": "  "}) is None
    monkeypatch.delenv("JOBFORGE_UI_TOKEN", raising=False)
    assert dashboard_mounts(SERVER_URL) == {}
    monkeypatch.setenv("JOBFORGE_UI_TOKEN", TOKEN)
    assert list(dashboard_mounts(SERVER_URL)) == ["/ui"]


def test_the_environment_sets_every_field() -> None:
    settings = DashboardSettings.from_environment(
        SERVER_URL,
        {
            "JOBFORGE_UI_TOKEN": TOKEN,
            "JOBFORGE_UI_SECRET": "s" * 40,
            "JOBFORGE_UI_DATABASE_URL": "postgresql://operator@127.0.0.1/jobs",
            "JOBFORGE_UI_SESSION_HOURS": "1.5",
        },
    )
    assert settings is not None
    assert settings.database_url == "postgresql://operator@127.0.0.1/jobs"
    assert settings.secret == b"s" * 40
    assert settings.session_seconds == 5400
    defaults = DashboardSettings.from_environment(SERVER_URL, {"JOBFORGE_UI_TOKEN": TOKEN})
    assert defaults is not None
    assert defaults.database_url == SERVER_URL
    assert defaults.session_seconds == 8 * 3600
    assert len(defaults.secret) == 32
    again = DashboardSettings.from_environment(SERVER_URL, {"JOBFORGE_UI_TOKEN": TOKEN})
    assert again is not None
    assert again.secret != defaults.secret  # drawn at random each start


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"JOBFORGE_UI_TOKEN": "short"}, "JOBFORGE_UI_TOKEN: expected at least 32 characters"),
        ({"JOBFORGE_UI_TOKEN": TOKEN, "JOBFORGE_UI_SECRET": "tiny"},
         "JOBFORGE_UI_SECRET: expected at least 32 bytes"),
        ({"JOBFORGE_UI_TOKEN": TOKEN, "JOBFORGE_UI_SESSION_HOURS": "forever"},
         "expected a number of hours"),
        ({"JOBFORGE_UI_TOKEN": TOKEN, "JOBFORGE_UI_SESSION_HOURS": "1000"},
         "session length: expected 60 s to 604800 s"),
    ],
)  # fmt: skip
def test_bad_values_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        DashboardSettings.from_environment(SERVER_URL, environ)
