"""Browser journey (issue 2, "Show"): a learner self-registers, a centre reviewer accepts and
first-reviews the opening application in the console, the learner logs in and sees their space.

Playwright drives Debian's chromium (``apt-get install -y chromium fonts-noto-cjk``). Without it
the module is skipped, unless ``CREDITBANK_REQUIRE_BROWSER=1`` (CI), where a missing browser fails.
Set ``CREDITBANK_E2E_SCREENSHOTS=<dir>`` to keep the screenshots.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.utils import translation

from creditbank.accounts import sms
from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.accounts.tests.factories import identity_data
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews.models import Application

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Journey!pass2026"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

_missing = None
if not os.path.exists(CHROMIUM):
    _missing = f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)"
else:
    try:
        from playwright.sync_api import Page, expect, sync_playwright
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


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an asyncio loop in this thread; the test's own ORM calls are
    # still synchronous, so tell Django not to refuse them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
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


def test_learner_registers_reviewer_approves_learner_sees_active_account(live_server, tree, browser, screenshot_dir):
    # given a reviewer at the centre above the acceptance point, and a person without an account
    make_staff(tree.a, "reviewer", username="journey_reviewer")
    person = identity_data()
    base = live_server.url

    # when the learner opens the home page and registers
    learner_page = new_page(browser)
    learner_page.goto(base + "/")
    learner_page.click("main a[href='/accounts/register/']")
    learner_page.wait_for_url(base + "/accounts/register/")
    learner_page.fill("#id_name", person["name"])
    learner_page.select_option("#id_id_type", "resident_id")
    learner_page.fill("#id_id_number", person["id_number"])
    learner_page.select_option("#id_region", person["region"])
    learner_page.fill("#id_phone", person["phone"])
    learner_page.click("#send-code-button")
    learner_page.wait_for_selector("#code-status [data-cb-countdown]")
    learner_page.wait_for_selector("#send-code-button:disabled")  # the 60 s wait starts once htmx settles
    code = sms.last_code(person["phone"], "register")
    assert code is not None
    learner_page.fill("#id_phone_code", code)
    learner_page.select_option("#id_org", str(tree.a_point.pk))
    learner_page.fill("#id_password1", PASSWORD)
    learner_page.fill("#id_password2", PASSWORD)
    learner_page.click("form[action='/accounts/register/'] button.btn-success")
    learner_page.wait_for_url(base + "/accounts/register/done/")

    # then the application went to the chosen point, and the account waits
    assert tree.a_point.name in learner_page.inner_text("main")
    learner = Learner.objects.get()
    application = Application.objects.get(learner=learner)
    assert (learner.status, application.status, application.org_id) == ("pending", "submitted", tree.a_point.pk)

    # when the centre's reviewer logs in, opens the queue, accepts and first-reviews
    reviewer_page = new_page(browser)
    log_in(reviewer_page, base, "journey_reviewer", "Staff@pass123")
    reviewer_page.wait_for_url(base + "/console/")
    reviewer_page.goto(base + "/console/reviews/")
    reviewer_page.click(f"a[href='/console/reviews/{application.pk}/']")
    reviewer_page.wait_for_url(base + f"/console/reviews/{application.pk}/")
    reviewer_page.get_by_role("button", name=zh("Accept"), exact=True).click()
    reviewer_page.get_by_role("button", name=zh("Pass first review"), exact=True).click()
    reviewer_page.wait_for_load_state()

    # then
    application.refresh_from_db()
    learner.refresh_from_db()
    assert (application.status, learner.status) == ("approved", LearnerStatus.ACTIVE)

    # when the learner logs in with their phone number
    log_in(learner_page, base, person["phone"], PASSWORD)
    learner_page.wait_for_url(base + "/me/")

    # then they see their space with the account active
    assert learner_page.inner_text("#account-status").strip() == zh("Active")
    assert learner.account_no in learner_page.inner_text("main")
    assert tree.a_point.name in learner_page.inner_text("main")
    learner_page.screenshot(path=str(screenshot_dir / "learner-space.png"), full_page=True)
    assert learner_page.csp_errors == []  # type: ignore[attr-defined]
    assert reviewer_page.csp_errors == []  # type: ignore[attr-defined]


def test_home_page_on_a_phone_in_large_text_mode(live_server, tree, browser, screenshot_dir):
    # given a phone-sized screen
    page = new_page(browser, viewport={"width": 375, "height": 812}, device_scale_factor=2)
    page.goto(live_server.url + "/")
    # when the visitor switches large text on with the button in the header
    page.click("form[action='/accounts/large-text/'] button")
    page.wait_for_selector("html.large-text")
    # then text is at least 20px, nothing is wider than the screen, and the menu opens
    body_size = float(re.sub(r"px$", "", page.evaluate("getComputedStyle(document.body).fontSize")))
    assert body_size >= 20
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshot_dir / "home-375-large-text.png"), full_page=True)
    page.screenshot(path=str(screenshot_dir / "home-375-large-text-top.png"))
    brand, toggler = page.locator(".site-brand").bounding_box(), page.locator(".navbar-toggler").bounding_box()
    assert toggler["y"] < brand["y"] + brand["height"]  # the menu button sits beside the name, not under it
    assert page.is_hidden("#site-nav")
    page.click(".navbar-toggler")
    page.wait_for_selector("#site-nav.show")
    assert page.is_visible("#site-nav a[href='/network/']")
    page.screenshot(path=str(screenshot_dir / "home-375-large-text-menu.png"))
    # and the mode stays on on the next page
    page.goto(live_server.url + "/help/")
    assert page.evaluate("document.documentElement.classList.contains('large-text')") is True
    assert page.csp_errors == []  # type: ignore[attr-defined]


def test_directory_filters_in_place_without_reloading(live_server, tree, browser):
    # given
    page = new_page(browser)
    page.goto(live_server.url + "/network/")
    assert page.locator("[data-org-code]").count() == 5
    page.evaluate("window.cbMarker = 'same page'")
    # when the visitor picks a city, then a county
    page.select_option("#id_city", "340100")
    expect(page.locator("[data-org-code]")).to_have_count(3)
    page.select_option("#id_county", "340104")
    expect(page.locator("[data-org-code]")).to_have_count(2)
    # then the results changed in place (htmx), the county list belongs to the city, and the URL can be shared
    assert page.evaluate("window.cbMarker") == "same page"
    assert page.locator("#id_county option[value='340104']").count() == 1
    assert page.locator("#id_county option[value='340202']").count() == 0
    assert sorted(page.locator("[data-org-code]").evaluate_all("nodes => nodes.map(n => n.dataset.orgCode)")) == [
        "A-PT",
        "A-SUB",
    ]
    assert "county=340104" in page.url
    assert page.csp_errors == []  # type: ignore[attr-defined]
