"""What the browser tests share: Playwright driving Debian's Chromium (never a downloaded one).

Import the fixture where it is used: `from openevent.tests.browser import browser_page  # a fixture`."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def needs(available: bool, what: str):
    """Skip where `what` is missing on a developer's machine; in CI (CI=true), fail instead."""
    return pytest.mark.skipif(not available and not os.environ.get("CI"), reason=f"needs {what}")


needs_chromium = needs(bool(CHROMIUM), "Debian's chromium (apt install chromium)")


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop shares this thread
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        yield page
        browser.close()
