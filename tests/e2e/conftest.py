"""Fixtures of the browser journeys (their helpers, and the skip when chromium is missing, are in
``tests/e2e/browser.py``, which every journey module imports first)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an asyncio loop in this thread; the test's own ORM calls are
    # still synchronous, so tell Django not to refuse them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    target = os.environ.get("CREDITBANK_E2E_SCREENSHOTS")
    path = Path(target) if target else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path
