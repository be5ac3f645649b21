"""The demo's conversion stories (issue 7, item 8) run from the demo data as it is loaded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from creditbank import demo
from creditbank.conversion import applications, report, selectors
from creditbank.conversion import demo_data as scenarios
from creditbank.conversion.models import ConversionRecord, ConversionRule, Programme
from creditbank.orgs.models import OrgUnit
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services as review_services

pytestmark = pytest.mark.django_db


def demo_scenario_learners():
    """The stories' learners as ``creditbank demo`` loaded them (loading again finds them)."""
    return scenarios.load_scenarios(password="x").learners


EXPECTED = {
    # story: (programme, courses recognised, credits)
    "worker": ("AQVC-460301", ["JD102", "JD104", "JD202"], Decimal("10")),
    "farmer": ("AQVC-410101", ["NY101", "NY102", "NY103", "NY202"], Decimal("13")),
    "one_plus_x": ("HFVC-510201", ["JY103", "JY201"], Decimal("7")),
    "self_study": ("AHU-080901-ZSB", ["CS302", "CS303", "CS304"], Decimal("12")),
    # 马克思主义基本原理概论 (85) and 中国近现代史纲要 (78), passed in Shanghai, recognised here
    "yangtze": ("AHU-080901-ZSB", ["CS301", "CS306"], Decimal("5")),
}


@pytest.fixture
def loaded():
    logins = demo.load_demo(learners=0)
    return logins, {scenario.key: learner for scenario, learner in demo_scenario_learners()}


def test_each_story_converts_what_it_promises_and_loading_twice_adds_nothing(loaded):
    logins, learners = loaded
    # the stories' learners can log in with the demo password
    usernames = {login.username for login in logins}
    assert {learners[key].account_no for key in EXPECTED} <= usernames
    for key, (code, courses, credits) in EXPECTED.items():
        programme = Programme.objects.get(code=code)
        result = report.audit_report(selectors.audit_learner(learners[key], programme))
        assert sorted(course["code"] for course in result["courses_recognised"]) == courses, key
        assert result["recognised_credits"] == credits, key
        assert result["recognised_credits"] <= result["cap_credits"]
    # the self-study learner's 58 in 马克思主义基本原理概论 is below the rule's 60, and the audit says so
    programme = Programme.objects.get(code="AHU-080901-ZSB")
    result = report.audit_report(selectors.audit_learner(learners["self_study"], programme))
    (marx,) = [rule for rule in result["not_applicable"] if rule["number"] == "AHUCS-01"]
    assert marx["reason"] == "score_below"
    # the worker's what-if: a higher electrician certificate adds nothing, its course is recognised already
    programme = Programme.objects.get(code="AQVC-460301")
    what_if = selectors.audit_learner(learners["worker"], programme, extra_items=["JN-01-3"])
    assert what_if.selection.credits == Decimal("10")
    # the Yangtze-Delta learner's outcomes came from Shanghai's signed credentials, with the region
    from creditbank.archive.models import Outcome

    shanghai = Outcome.objects.filter(learner=learners["yangtze"]).order_by("item_code")
    assert [(o.item_code, o.source, o.source_region, o.score) for o in shanghai] == [
        ("ZK-03708", "mutual_recognition", "310000", "78"),
        ("ZK-03709", "mutual_recognition", "310000", "85"),
    ]
    # when the stories are loaded again, nothing is added
    counts = (ConversionRule.objects.count(), Programme.objects.count(), len(learners))
    outcomes = Outcome.objects.count()
    again = scenarios.load_scenarios(password="x")
    assert (ConversionRule.objects.count(), Programme.objects.count(), len(again.learners)) == counts
    assert Outcome.objects.count() == outcomes
    assert again.outcomes == 0
    assert again.rules == 0


def test_the_self_study_story_goes_through_review_into_the_archive(loaded, client):
    _logins, learners = loaded
    learner = learners["self_study"]
    reviewer = make_staff(OrgUnit.objects.get(code="U-AHU"), "reviewer", username="ahu_story_reviewer")
    request = applications.apply(learner, "AHU-080901-ZSB", actor=learner.user)
    assert request.application.org.code == "U-AHU"
    review_services.accept_application(request.application, actor=reviewer)
    review_services.first_review_deposit(request.application, actor=reviewer)
    review_services.take_step(request.application, actor=reviewer, event="approved", note="同意")
    assert sorted(ConversionRecord.objects.filter(learner=learner).values_list("course_code", flat=True)) == [
        "CS302",
        "CS303",
        "CS304",
    ]
