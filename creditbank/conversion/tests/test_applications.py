"""Conversion applications through the review workflow: the programme's university centre
accepts, first-reviews and approves; approval writes conversion records with their ledger leaves,
and the outcomes used count no more for that programme."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditbank.api.tests.helpers import bearer_client, post_json
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion import applications, engine, selectors
from creditbank.conversion.models import ConversionRecord
from creditbank.conversion.tests.factories import make_programme, make_rule
from creditbank.core.errors import ApplicationError
from creditbank.ledger.models import LedgerLeaf
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services as review_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(tree):
    make_item(code="1X-WEB-M", name="Web前端开发（中级）", type="one_plus_x", credits=Decimal("4"), level=5)
    make_item(code="1X-BD-M", name="大数据应用开发（中级）", type="one_plus_x", credits=Decimal("4"), level=5)
    programme = make_programme(
        tree.b,
        code="CS-BK",
        courses={"CS101": (4, "专业必修"), "CS201": (2, "专业选修"), "CS202": (3, "专业选修")},
        minimums={"专业选修": "4"},
        total=60,
        cap="0.5",
    )
    make_rule(programme, "R01", "1X-WEB-M", "CS201+CS202")
    make_rule(programme, "R02", "1X-BD-M", "CS101", mode="学分认定")
    return programme


@pytest.fixture
def outcomes(learner_a):
    from creditbank.catalog.models import CatalogItem

    today = timezone.localdate()
    return [
        make_outcome(
            learner=learner_a, item=CatalogItem.objects.get(code=code), achieved_on=today - dt.timedelta(days=30)
        )
        for code in ("1X-WEB-M", "1X-BD-M")
    ]


@pytest.fixture
def university_reviewer(tree):
    return make_staff(tree.b, "reviewer", username="b_reviewer")


def test_an_application_goes_to_the_programmes_university_and_approval_writes_records(
    programme, outcomes, learner_a, university_reviewer, centre_reviewer, tree
):
    request = applications.apply(learner_a, "cs-bk", actor=learner_a.user)
    application = request.application
    assert (application.kind, application.status, application.org) == ("conversion", "submitted", tree.b)
    assert request.credits_applied == Decimal("9")
    # the learner's own centre has no say; the university centre does
    with pytest.raises(ApplicationError):
        review_services.accept_application(application, actor=centre_reviewer)
    review_services.accept_application(application, actor=university_reviewer)
    review_services.first_review_deposit(application, actor=university_reviewer)
    review_services.take_step(application, actor=university_reviewer, event="approved", note="同意转换")
    application.refresh_from_db()
    assert application.status == "approved"
    records = list(
        ConversionRecord.objects.order_by("course_code").values_list("course_code", "credits", "rule_number", "mode")
    )
    assert records == [
        ("CS101", Decimal("4.0"), "R02", "recognition"),
        ("CS201", Decimal("2.0"), "R01", "exemption"),
        ("CS202", Decimal("3.0"), "R01", "exemption"),
    ]
    assert LedgerLeaf.objects.filter(event_type="conversion.recorded").count() == 3
    assert AuditEntry.objects.filter(action="conversion.record").count() == 1
    # the outcomes are used for this programme now: the audit recognises nothing more
    again = selectors.audit_learner(learner_a, programme)
    assert again.selection.chosen == ()
    assert again.previous_credits == Decimal("9")
    with pytest.raises(ApplicationError) as nothing:
        applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    assert nothing.value.code == "conversion_nothing_to_convert"


def test_one_open_application_per_programme_and_nothing_to_convert_is_refused(
    programme, outcomes, learner_a, learner_b
):
    applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    with pytest.raises(ApplicationError) as twice:
        applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    assert twice.value.code == "conversion_already_pending"
    with pytest.raises(ApplicationError) as empty:
        applications.apply(learner_b, "CS-BK", actor=learner_b.user)
    assert empty.value.code == "conversion_nothing_to_convert"
    with pytest.raises(ApplicationError) as unknown:
        applications.apply(learner_a, "NO-SUCH", actor=learner_a.user)
    assert unknown.value.code == "programme_not_found"


def test_approval_recomputes_and_refuses_when_nothing_converts_any_more(
    programme, outcomes, learner_a, university_reviewer
):
    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    for outcome in outcomes:  # revoked meanwhile
        type(outcome).objects.filter(pk=outcome.pk).update(status="revoked")
    with pytest.raises(ApplicationError) as changed:
        review_services.take_step(request.application, actor=university_reviewer, event="approved")
    assert changed.value.code == "conversion_nothing_left"
    request.application.refresh_from_db()
    assert request.application.status == "submitted"
    assert not ConversionRecord.objects.exists()


def test_the_learner_applies_through_the_api(programme, outcomes, learner_a, university_reviewer):
    client = bearer_client(learner_a.user)
    made = post_json(client, "/api/v1/me/programmes/CS-BK/applications", {})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["status"], body["programme"], body["credits_applied"]) == ("submitted", "CS-BK", "9.0")
    assert sorted(body["courses"]) == ["CS101", "CS201", "CS202"]
    again = post_json(client, "/api/v1/me/programmes/CS-BK/applications", {})
    assert (again.status_code, again.json()["code"]) == (409, "conversion_already_pending")
    mine = client.get("/api/v1/me/applications").json()["items"]
    assert [(row["kind"], row["status"]) for row in mine] == [("conversion", "submitted")]
    # the university centre works it from its queue through the staff API
    staff = bearer_client(university_reviewer)
    queue = staff.get("/api/v1/reviews/queue?kind=conversion").json()["items"]
    assert [row["id"] for row in queue] == [body["application_id"]]
    approved = post_json(staff, f"/api/v1/reviews/{body['application_id']}/approve", {"comment": "同意"})
    assert approved.status_code == 200, approved.content
    assert ConversionRecord.objects.count() == 3


def test_the_university_reviewer_sees_the_courses_applied_for(programme, outcomes, learner_a, university_reviewer):
    from django.test import Client

    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    client = Client()
    client.force_login(university_reviewer)
    page = client.get(f"/console/reviews/{request.application.pk}/").content.decode()
    assert 'id="conversion-details"' in page
    assert "CS202" in page
    assert "R01 v1" in page


def test_the_batch_audit_counts_earlier_conversions_like_the_single_one(
    programme, outcomes, learner_a, university_reviewer
):
    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    review_services.take_step(request.application, actor=university_reviewer, event="approved")
    ((learner_id, selection),) = selectors.audit_learners(programme, [learner_a.pk])
    assert learner_id == learner_a.pk
    assert selection.chosen == ()
    assert selection.credits == selectors.audit_learner(learner_a, programme).selection.credits == Decimal("0")


def test_conversion_records_are_on_the_ledger_and_a_changed_one_is_reported(
    programme, outcomes, learner_a, university_reviewer
):
    from creditbank.ledger import services as ledger_services
    from creditbank.ledger import verification

    ledger_services.backfill()  # the factories' outcomes and learner have no leaves of their own
    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    review_services.take_step(request.application, actor=university_reviewer, event="approved")
    assert verification.verify_ledger().ok
    record = ConversionRecord.objects.get(course_code="CS101")
    ConversionRecord.objects.filter(pk=record.pk).update(credits=Decimal("40"))  # behind the ledger's back
    report = verification.verify_ledger()
    assert [(p.kind, p.record_type, p.record_id) for p in report.problems] == [("altered", "conversion", record.pk)]


def test_approved_conversions_are_shown_in_the_learners_archive_and_the_consoles(
    programme, outcomes, learner_a, university_reviewer, learner_client, centre_operator_client
):
    # given an archive without conversions: no section
    assert 'id="conversions"' not in learner_client.get("/me/archive/").content.decode()
    # when the university approves an application
    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    review_services.take_step(request.application, actor=university_reviewer, event="approved")
    # then the learner's archive lists each course recognised, with credits, mode and rule version
    page = learner_client.get("/me/archive/").content.decode()
    section = page[page.index('id="conversions"') :]
    for text in ("CS101", "CS201", "CS202", "R01 v1", "R02 v1", "4.0", "免修免考", "学分认定"):
        assert text in section
    # and each outcome used says so in the timeline
    for outcome in outcomes:
        row = page[page.index(f'data-outcome="{outcome.pk}"') :]
        assert "计算机应用技术" in row[: row.index("</li>")].split("outcome-note")[1]
    # and so does the staff archive of the learner's own centre
    staff_page = centre_operator_client.get(f"/console/learners/{learner_a.account_no}/archive/").content.decode()
    assert 'id="conversions"' in staff_page
    assert "R02 v1" in staff_page


def test_the_transcript_prints_the_conversions(programme, outcomes, learner_a, university_reviewer):
    from creditbank.archive import transcripts

    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    review_services.take_step(request.application, actor=university_reviewer, event="approved")
    html = transcripts.render_html(
        learner_a,
        transcripts.transcript_content(learner_a),
        verify_url="",
        number="",
        issued_on=timezone.localdate(),
    )
    printed = html[html.index('class="section"') :]
    for text in ("CS-BK", "CS101", "CS202", "R02", "免修免考", "学分认定", "4.0"):
        assert text in printed


def test_one_statement_reads_the_learners_outcomes_and_earlier_conversions(
    programme, outcomes, learner_a, university_reviewer
):
    """``selectors.learner_facts`` (what a single audit runs) answers what ``learner_outcomes`` and
    ``conversion_history`` answer, before and after a conversion, on every backend."""
    from creditbank.conversion import selectors

    loaded = selectors.load_programme(programme, as_of=timezone.localdate())

    def both() -> tuple[object, object]:
        return (
            sorted(selectors.learner_outcomes(learner_a.pk, loaded.codes, loaded.levels), key=lambda fact: fact.id),
            selectors.conversion_history(learner_a.pk, programme),
        )

    facts, history = selectors.learner_facts(learner_a.pk, programme.pk, loaded.codes, loaded.levels)
    assert (sorted(facts, key=lambda fact: fact.id), history) == both()
    assert history is engine.NO_HISTORY
    assert len(facts) == 2
    application = applications.apply(learner_a, "CS-BK", actor=learner_a.user).application
    review_services.accept_application(application, actor=university_reviewer)
    review_services.first_review_deposit(application, actor=university_reviewer)
    review_services.take_step(application, actor=university_reviewer, event="approved", note="同意")
    facts, history = selectors.learner_facts(learner_a.pk, programme.pk, loaded.codes, loaded.levels)
    assert (sorted(facts, key=lambda fact: fact.id), history) == both()
    assert history.recognised_courses == {"CS101", "CS201", "CS202"}
    assert history.used_outcome_ids == {outcome.pk for outcome in outcomes}
    assert {(fact.item_code, type(fact.achieved_on), fact.level, fact.credits) for fact in facts} == {
        ("1X-WEB-M", dt.date, 5, Decimal("4")),
        ("1X-BD-M", dt.date, 5, Decimal("4")),
    }
    # a programme with no source items still reads the history; another learner reads nothing
    assert selectors.learner_facts(learner_a.pk, programme.pk, [], {})[1] == history
    assert selectors.learner_facts(learner_a.pk + 999, programme.pk, loaded.codes, loaded.levels) == (
        [],
        engine.NO_HISTORY,
    )
