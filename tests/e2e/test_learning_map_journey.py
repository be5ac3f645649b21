"""Browser journey (issue 7, item 6): the 1+X learner of the demo opens the learning map of their
programme from the offers page; the ECharts tree is drawn from the embedded JSON (no CSP
violation: the script is a static file), and the same map is readable as a list."""

from __future__ import annotations

import pytest

from creditbank import demo
from creditbank.conversion import demo_data as scenarios
from tests.e2e.browser import log_in, new_page, zh

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROGRAMME = "HFVC-510201"


def test_the_learner_opens_the_learning_map_of_their_programme(live_server, browser, screenshot_dir):
    # given the demo data
    demo.load_demo(learners=0)
    stories = {scenario.key: learner for scenario, learner in scenarios.load_scenarios(password="x").learners}
    learner = stories["one_plus_x"]
    base = live_server.url
    page = new_page(browser)
    log_in(page, base, learner.account_no, demo.DEMO_PASSWORD)
    page.wait_for_url(base + "/me/")

    # when they follow the map link of the programme offered
    page.goto(base + "/me/programmes/")
    page.locator(f"[data-programme='{PROGRAMME}'] a[data-map-link]").click()
    page.wait_for_url(base + f"/me/programmes/{PROGRAMME}/map/")

    # then the chart is drawn and the list says where they stand
    page.wait_for_selector("#learning-map-chart[data-drawn='1'] canvas")
    assert page.locator("[data-course][data-status='available']").count() >= 2
    assert page.locator("[data-course][data-status='missing']").count() >= 1
    assert zh("Ways to fill it, the least effort first:") in page.inner_text("main")
    assert page.csp_errors == []  # type: ignore[attr-defined]
    page.screenshot(path=str(screenshot_dir / "learning-map.png"), full_page=True)
