"""Browser fixtures for the console tests: Playwright driving the system Chromium, headless.

Playwright's own browser download does not work on these machines, so the tests launch Debian's
``/usr/bin/chromium`` (or ``PIPEDRIVE_CHROMIUM``). Without it, or without the ``playwright``
package, browser tests are skipped with the reason; with ``PIPEDRIVE_REQUIRE_SERVICES=1`` (CI) they
fail instead, like the tests of the other external services (tests/external_services.py).

``PIPEDRIVE_CONSOLE_SCREENSHOTS=docs/img`` makes the page tests save a screenshot of each page.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The sandbox tests' running sandbox and webhook receiver, reused rather than written again.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401

CHROMIUM = os.environ.get("PIPEDRIVE_CHROMIUM", "/usr/bin/chromium")


def _unavailable(reason: str) -> None:
    if os.environ.get("PIPEDRIVE_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests need the playwright package: pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own cookies and storage) whose dialogs are recorded in ``page.dialogs``, then
    dismissed (accepted once a test sets ``page.accept_dialogs = True``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    opened = context.new_page()
    opened.dialogs = []
    opened.accept_dialogs = False

    def on_dialog(dialog: Any) -> None:
        opened.dialogs.append(dialog.message)
        if opened.accept_dialogs:
            dialog.accept()
        else:
            dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        context.close()
