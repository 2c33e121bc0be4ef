"""Without Chromium the browser tests fail, saying what to install: they never skip."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser_executable


def test_a_missing_browser_fails_with_what_to_install() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        browser_executable("chromium-that-is-not-installed")
    message = str(failed.value)
    assert "chromium-that-is-not-installed not found" in message
    assert "install the Debian packages chromium and chromium-driver" in message


def test_the_installed_browser_is_found() -> None:
    assert browser_executable("chromium").endswith("chromium")
    assert browser_executable("chromedriver").endswith("chromedriver")
