"""A real headless Chromium (Debian's chromium and chromium-driver) driven by Selenium,
and a dashboard served to it. Missing browsers fail the run: these tests never skip."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.integration.dashboard.support import Dashboard, served, settings

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "test-artifacts" / "screenshots"
INSTALL_HINT = (
    "the browser tests need Chromium and its driver: install the Debian packages chromium "
    "and chromium-driver (apt-get install chromium chromium-driver; .ci/run installs them)"
)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


def browser_executable(name: str) -> str:
    """The path of ``name``; fails the test (never skips) with what to install if absent."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.fail(f"{name} not found: {INSTALL_HINT}", pytrace=False)
    return path


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with a profile of its own, quit afterwards."""
    options = webdriver.ChromeOptions()
    options.binary_location = browser_executable("chromium")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(options=options, service=Service(browser_executable("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def dashboard(database_url: str) -> Iterator[Dashboard]:
    with served(settings(database_url)) as running:
        yield running


def screenshot(driver: webdriver.Chrome, page: str) -> Path:
    """Save the window as test-artifacts/screenshots/<page>.png (kept after the run)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{page}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot of {page}"
    return path
