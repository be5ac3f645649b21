"""What every browser journey shares: Debian's chromium through Playwright, pages that record
CSP violations, logging in, and Chinese labels.

Without chromium a journey module is skipped, unless ``CREDITBANK_REQUIRE_BROWSER=1`` (CI),
where a missing browser fails. Set ``CREDITBANK_E2E_SCREENSHOTS=<dir>`` to keep the screenshots.
Journeys import their helpers from here; the ``browser`` and ``screenshot_dir`` fixtures are in
``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import os

import pytest
from django.utils import translation

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_missing = None
if not os.path.exists(CHROMIUM):
    _missing = f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)"
else:
    try:
        from playwright.sync_api import Page, expect, sync_playwright  # noqa: F401 - re-exported
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        _missing = "the playwright package is not installed (pip install -e '.[dev]')"
if _missing:
    if os.environ.get("CREDITBANK_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"CREDITBANK_REQUIRE_BROWSER=1 but {_missing}")
    pytest.skip(_missing, allow_module_level=True)


def zh(message: str) -> str:
    """What a Chinese-speaking user reads on a button or badge."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def new_page(browser, **options) -> Page:
    context = browser.new_context(locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            page.csp_errors.append(message.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def log_in(page: Page, base_url: str, identifier: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_identifier", identifier)
    page.fill("#id_password", password)
    page.click("form[action='/accounts/login/'] button[type=submit]")
