"""Browser journey (issue 7): the demo's self-study story end to end. 李思远 passed four
self-study examination courses; one score (58) is below the rule's minimum. In the learner space
they see what their outcomes convert into at 安徽大学, apply with one click; the university's
reviewer (a demo login) accepts, first-reviews and approves in the console; the learner's archive
then lists the courses recognised, with credits, mode and rule version, and the audit shows the
conversion as done."""

from __future__ import annotations

import pytest

from creditbank import demo
from creditbank.conversion import demo_data as scenarios
from creditbank.conversion.models import ConversionRecord, ConversionRequest
from tests.e2e.browser import log_in, new_page, zh

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PROGRAMME = "AHU-080901-ZSB"


def test_a_self_study_learner_converts_exam_courses_into_university_credits(live_server, browser, screenshot_dir):
    # given the demo data, as `creditbank demo` loads it
    demo.load_demo(learners=0)
    stories = {scenario.key: learner for scenario, learner in scenarios.load_scenarios(password="x").learners}
    learner = stories["self_study"]
    base = live_server.url
    page = new_page(browser)

    # when the learner logs in and opens "what my outcomes convert into"
    log_in(page, base, learner.account_no, demo.DEMO_PASSWORD)
    page.wait_for_url(base + "/me/")
    page.goto(base + "/me/archive/")
    page.click("#my-programmes")
    offer = page.locator(f"[data-programme='{PROGRAMME}']")
    # then the programme is offered with the credits the rules give
    assert offer.locator("[data-credits]").inner_text().strip() == "12.0"
    assert "数据结构" in offer.inner_text()
    page.screenshot(path=str(screenshot_dir / "conversion-offers.png"), full_page=True)

    # when they apply (the confirmation is accepted)
    page.once("dialog", lambda dialog: dialog.accept())
    offer.get_by_role("button", name=zh("Apply for conversion")).click()
    page.wait_for_load_state()
    request = ConversionRequest.objects.get(learner=learner)
    assert request.application.org.code == "U-AHU"
    assert zh("Your application is under review.") in page.locator(f"[data-programme='{PROGRAMME}']").inner_text()

    # when the university's reviewer works the application in the console
    reviewer = new_page(browser)
    log_in(reviewer, base, "ahu_reviewer", demo.DEMO_PASSWORD)
    reviewer.wait_for_url(base + "/console/")
    reviewer.goto(base + "/console/reviews/")
    reviewer.click(f"a[href='/console/reviews/{request.application.pk}/']")
    reviewer.wait_for_selector("#conversion-details")
    assert "CS302" in reviewer.inner_text("#conversion-details")
    for step in ("Accept", "First review passed", "Approve the conversion"):
        reviewer.get_by_role("button", name=zh(step), exact=True).click()
        reviewer.wait_for_load_state()
    reviewer.screenshot(path=str(screenshot_dir / "conversion-approved.png"), full_page=True)
    request.application.refresh_from_db()
    assert request.application.status == "approved"
    assert sorted(ConversionRecord.objects.filter(learner=learner).values_list("course_code", flat=True)) == [
        "CS302",
        "CS303",
        "CS304",
    ]

    # then the learner's archive lists the courses recognised
    page.goto(base + "/me/archive/")
    conversions = page.inner_text("#conversions")
    for text in ("数据结构", "计算机网络", "数据库系统原理", "AHUCS-02 v1", "免修免考"):
        assert text in conversions
    page.screenshot(path=str(screenshot_dir / "conversion-archive.png"), full_page=True)
    assert page.csp_errors == []  # type: ignore[attr-defined]
    assert reviewer.csp_errors == []  # type: ignore[attr-defined]
