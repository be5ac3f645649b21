"""Browser journey (issues 4 and 5): a learner finds an outcome in the catalog by pinyin initials,
sends it with a photo of the certificate and follows the application; the acceptance point
accepts it, the centre's reviewer looks at the evidence beside the form and certifies it; the
outcome appears in the learner's archive as certified with its credits; the centre's operator
sees the same archive in the console."""

from __future__ import annotations

import datetime as dt

import pytest

from creditbank.archive.models import Deposit
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.orgs.tests.factories import make_staff
from tests.e2e.browser import log_in, new_page, zh

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_learner_self_deposits_and_the_outcome_is_certified(
    live_server, tree, learner_a, centre_operator, centre_reviewer, browser, screenshot_dir, tmp_path
):
    # given a catalog item, an outcome already stored by bulk deposit, and a reviewer at the acceptance point
    make_staff(tree.a_point, "reviewer", username="point_reviewer")
    make_item(code="HL-101", name="护理学导论", credits="3", type="degree_course", level=5)
    stored = make_item(code="JSJ-1", name="计算机应用基础", credits="4", type="degree_course", level=5)
    make_outcome(learner=learner_a, item=stored, achieved_on=dt.date(2023, 6, 30), score="88")
    photo = tmp_path / "证书照片.png"
    photo.write_bytes(PNG)
    base = live_server.url
    page = new_page(browser)

    # when the learner logs in and goes to the archive
    log_in(page, base, learner_a.account_no, "Learner@pass123")
    page.wait_for_url(base + "/me/")
    page.click("a[href='/me/archive/']")
    page.wait_for_url(base + "/me/archive/")
    # then the stored outcome and the totals are there
    assert page.inner_text("#total-credits").strip() == "4.0"
    assert "计算机应用基础" in page.inner_text("#timeline")

    # when they store an outcome: search by pinyin initials, choose it, fill in, attach the photo
    page.click("#new-deposit")
    page.fill("#pick-q", "hlxdl")
    page.click("form[role=search] button[type=submit]")
    page.locator("#pick-results a").first.click()
    page.wait_for_selector("#chosen-item")
    page.fill("#id_achieved_on", "2024-05-17")
    page.fill("#id_score", "优秀")
    page.fill("#id_certificate_no", "HL2024-0517")
    page.set_input_files("#id_evidence", str(photo))
    page.screenshot(path=str(screenshot_dir / "deposit-form.png"), full_page=True)
    page.get_by_role("button", name=zh("Send for review")).click()
    page.wait_for_selector("#deposit-status")

    # then the application waits at the learner's organisation, with its history and evidence
    deposit = Deposit.objects.get()
    assert page.url == base + f"/me/deposits/{deposit.pk}/"
    assert (deposit.application.status, deposit.application.org) == ("submitted", learner_a.org)
    assert page.inner_text("#deposit-status").strip() == zh("Submitted, waiting to be accepted")
    assert "证书照片.png" in page.inner_text("#evidence")
    page.screenshot(path=str(screenshot_dir / "deposit-sent.png"), full_page=True)
    # and the archive lists it under "what I asked to store"
    page.goto(base + "/me/archive/")
    assert "护理学导论" in page.inner_text("#deposit-applications")
    page.screenshot(path=str(screenshot_dir / "archive.png"), full_page=True)

    # when the acceptance point accepts, and the centre's reviewer certifies with the evidence beside the form
    point = new_page(browser)
    log_in(point, base, "point_reviewer", "Staff@pass123")
    point.wait_for_url(base + "/console/")
    point.goto(base + f"/console/reviews/{deposit.application.pk}/")
    point.get_by_role("button", name=zh("Accept"), exact=True).click()
    point.wait_for_load_state()
    reviewer = new_page(browser)
    log_in(reviewer, base, "centre_reviewer", "Staff@pass123")
    reviewer.wait_for_url(base + "/console/")
    reviewer.goto(base + "/console/reviews/")
    reviewer.click(f"a[href='/console/reviews/{deposit.application.pk}/']")
    reviewer.wait_for_selector("#deposit-details")
    assert "证书照片.png" in reviewer.inner_text("#evidence")
    reviewer.screenshot(path=str(screenshot_dir / "review-deposit.png"), full_page=True)
    reviewer.get_by_role("button", name=zh("First review passed"), exact=True).click()
    reviewer.wait_for_load_state()
    deposit.application.refresh_from_db()
    assert deposit.application.status == "first_reviewed"
    reviewer.get_by_role("button", name=zh("Certify"), exact=True).click()
    reviewer.wait_for_load_state()
    # the learner's page shows each step with the organisation that took it
    deposit.application.refresh_from_db()
    assert list(deposit.application.events.values_list("kind", "org__code")) == [
        ("submitted", "A-PT"),
        ("accepted", "A-PT"),
        ("first_reviewed", "A"),
        ("certified", "A"),
    ]
    # then the learner's archive shows it certified, with its credits counted
    deposit.refresh_from_db()
    assert deposit.outcome is not None
    page.goto(base + "/me/archive/")
    assert page.inner_text("#total-credits").strip() == "7.0"
    assert page.inner_text("#certified-credits").strip() == "3.0"
    row = page.locator(f"[data-outcome='{deposit.outcome.pk}']")
    assert zh("Certified") in row.inner_text()
    page.screenshot(path=str(screenshot_dir / "archive-certified.png"), full_page=True)

    # when a centre operator opens the learner's archive in the console
    staff = new_page(browser)
    log_in(staff, base, "centre_operator", "Staff@pass123")
    staff.wait_for_url(base + "/console/")
    staff.goto(base + f"/console/learners/{learner_a.account_no}/")
    staff.click("#archive-link")
    staff.wait_for_selector("#archive-summary")
    # then the same archive is shown, within scope
    assert "计算机应用基础" in staff.inner_text("#timeline")
    assert "护理学导论" in staff.inner_text("#deposit-applications")
    assert page.csp_errors == []  # type: ignore[attr-defined]
    assert staff.csp_errors == []  # type: ignore[attr-defined]
