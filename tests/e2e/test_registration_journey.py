"""Browser journey (issue 2, "Show"): a learner self-registers, a centre reviewer accepts and
first-reviews the opening application in the console, the learner logs in and sees their space.

Playwright drives Debian's chromium (``apt-get install -y chromium fonts-noto-cjk``); see
``tests/e2e/browser.py`` for when the module is skipped.
"""

from __future__ import annotations

import re

import pytest

from creditbank.accounts import sms
from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.accounts.tests.factories import identity_data
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews.models import Application
from tests.e2e.browser import expect, log_in, new_page, zh

PASSWORD = "Journey!pass2026"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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
