"""The learning map: per group and course what is recognised, recognisable now or missing, and for
each missing course the catalog items that would fill it, cheapest first — the service, the API
for the learner and for staff in scope, and the learner's page."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.models import CatalogItem
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion import applications, learning_map, services
from creditbank.conversion.learning_map import CourseStatus, OptionKind
from creditbank.conversion.models import Programme
from creditbank.conversion.tests.factories import course as course_of
from creditbank.conversion.tests.factories import make_programme, make_rule
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services as review_services

pytestmark = pytest.mark.django_db

RECENTLY = dt.timedelta(days=30)


@pytest.fixture
def items(db):
    return {
        "web": make_item(
            code="1X-WEB-M", name="Web前端开发（中级）", type="one_plus_x", credits=Decimal("4"), hours=64
        ),
        "bd": make_item(
            code="1X-BD-M", name="大数据应用开发（中级）", type="one_plus_x", credits=Decimal("4"), hours=None
        ),
        "comp": make_item(code="COMP-2", name="技能竞赛二等奖", credits=Decimal("0"), hours=None, level=6),
        "nurse": make_item(code="NURSE-1", name="护理培训", credits=Decimal("1"), hours=20),
    }


@pytest.fixture
def cs(tree, items):
    programme = make_programme(
        tree.b,
        code="CS-BK",
        courses={
            "CS101": (4, "专业必修"),
            "CS102": (3, "专业必修"),
            "CS103": (2, "专业必修"),
            "CS201": (2, "专业选修"),
            "CS202": (3, "专业选修"),
        },
        minimums={"专业选修": "4"},
        total=60,
        cap="0.5",
    )
    make_rule(programme, "R01", "1X-WEB-M", "CS201+CS202")
    make_rule(programme, "R02", "1X-BD-M+COMP-2", "CS101", mode="学分认定")
    make_rule(programme, "R03", "NURSE-1", "CS101")
    make_rule(programme, "R04", "1X-BD-M", "CS102", within_years="2")
    return programme


def _hold(learner, item, achieved_on=None):
    return make_outcome(learner=learner, item=item, achieved_on=achieved_on or timezone.localdate() - RECENTLY)


def _courses(plan):
    return {course.code: course for course in plan.courses()}


def _options(course):
    return [
        (option.kind, option.rule_number, [item.code for item in option.items], option.effort_hours)
        for option in course.options
    ]


def test_groups_and_courses_say_what_is_achieved_and_what_is_missing(cs, items, learner_a):
    # given: the 1+X web certificate, which R01 converts into both electives
    _hold(learner_a, items["web"])
    # when
    plan = learning_map.learning_map(learner_a, cs)
    # then
    groups = {group.name: group for group in plan.groups}
    required, elective = groups["专业必修"], groups["专业选修"]
    assert (required.needed_credits, required.done_credits, required.missing_credits) == (
        Decimal("9.0"),
        Decimal("0.0"),
        Decimal("9.0"),
    )
    assert (elective.needed_credits, elective.done_credits, elective.available_credits, elective.missing_credits) == (
        Decimal("4.0"),
        Decimal("5.0"),
        Decimal("5"),
        Decimal("0.0"),
    )
    courses = _courses(plan)
    assert {code: course.status for code, course in courses.items()} == {
        "CS101": CourseStatus.MISSING,
        "CS102": CourseStatus.MISSING,
        "CS103": CourseStatus.MISSING,
        "CS201": CourseStatus.AVAILABLE,
        "CS202": CourseStatus.AVAILABLE,
    }
    assert (courses["CS201"].rule_number, courses["CS201"].rule_version, courses["CS201"].options) == ("R01", 1, ())
    assert (plan.available_credits, plan.recorded_credits, plan.cap_credits, plan.cap_left) == (
        Decimal("5.0"),
        Decimal("0.0"),
        Decimal("30.0"),
        Decimal("25.0"),
    )


def test_options_are_ordered_by_effort_and_a_combination_lists_every_missing_item(cs, items, learner_a):
    # when: nothing held
    plan = learning_map.learning_map(learner_a, cs)
    courses = _courses(plan)
    # then: CS101 by NURSE-1 (20 h) < studying it (4 × 18 = 72 h) < R02's two items (72 + 36 + 8 for the second)
    assert _options(courses["CS101"]) == [
        (OptionKind.RULE, "R03", ["NURSE-1"], 20),
        (OptionKind.STUDY, "", [], 72),
        (OptionKind.RULE, "R02", ["1X-BD-M", "COMP-2"], 116),
    ]
    r02 = courses["CS101"].options[2]
    assert (r02.fills, r02.exceeds_cap, r02.credits_gained, r02.mode) == (True, False, Decimal("4.0"), "recognition")
    assert [(item.name, item.learning_hours, item.effort_hours, item.held) for item in r02.items] == [
        ("大数据应用开发（中级）", None, 72, False),  # no learning hours: 4 credits × 18
        ("技能竞赛二等奖", None, 36, False),  # neither hours nor credits: the default
    ]
    # CS102: studying it (3 × 18 = 54 h) is less than the certificate (72 h)
    assert _options(courses["CS102"]) == [(OptionKind.STUDY, "", [], 54), (OptionKind.RULE, "R04", ["1X-BD-M"], 72)]
    # with nothing held, the electives are missing too: R01's certificate fills both
    assert _options(courses["CS201"]) == [(OptionKind.STUDY, "", [], 36), (OptionKind.RULE, "R01", ["1X-WEB-M"], 64)]
    assert _options(courses["CS202"]) == [(OptionKind.STUDY, "", [], 54), (OptionKind.RULE, "R01", ["1X-WEB-M"], 64)]
    assert courses["CS202"].options[1].courses == ("CS201", "CS202")


def test_a_course_no_rule_recognises_can_only_be_studied(cs, learner_a):
    plan = learning_map.learning_map(learner_a, cs)
    assert _options(_courses(plan)["CS103"]) == [(OptionKind.STUDY, "", [], 36)]


def test_an_n_of_m_rule_asks_only_for_the_cheapest_missing_items(tree, items, learner_a):
    # given: any two of three; the learner holds the web certificate
    programme = make_programme(tree.b, code="NM-BK", courses={"N1": (5, "必修")}, total=20, cap="0.5")
    make_rule(programme, "N01", "1X-WEB-M|1X-BD-M|NURSE-1", "N1", source_count="2")
    _hold(learner_a, items["web"])
    # when
    (n1,) = learning_map.learning_map(learner_a, programme).courses()
    # then: NURSE-1 (20 h), not 1X-BD-M (72 h)
    assert _options(n1)[0] == (OptionKind.RULE, "N01", ["NURSE-1"], 20)


def test_an_outcome_held_but_not_qualifying_is_marked_held(cs, items, learner_a):
    # given: the big-data certificate is older than R04's two years
    _hold(learner_a, items["bd"], achieved_on=timezone.localdate() - dt.timedelta(days=365 * 3))
    # when
    plan = learning_map.learning_map(learner_a, cs)
    # then: R04 still needs a (new) outcome of it; R02 needs only the competition prize
    r04 = next(option for option in _courses(plan)["CS102"].options if option.rule_number == "R04")
    assert [(item.code, item.held) for item in r04.items] == [("1X-BD-M", True)]
    r02 = next(option for option in _courses(plan)["CS101"].options if option.rule_number == "R02")
    assert [item.code for item in r02.items] == ["COMP-2"]


def test_recorded_conversions_count_as_achieved(cs, items, learner_a, tree):
    # given: the web certificate converted, approved by the university
    _hold(learner_a, items["web"])
    request = applications.apply(learner_a, "CS-BK", actor=learner_a.user)
    reviewer = make_staff(tree.b, "reviewer", username="b_reviewer")
    review_services.accept_application(request.application, actor=reviewer)
    review_services.first_review_deposit(request.application, actor=reviewer)
    review_services.take_step(request.application, actor=reviewer, event="approved", note="同意")
    # when
    plan = learning_map.learning_map(learner_a, cs)
    # then
    courses = _courses(plan)
    assert (courses["CS201"].status, courses["CS201"].rule_number, courses["CS201"].rule_version) == (
        CourseStatus.RECORDED,
        "R01",
        1,
    )
    elective = next(group for group in plan.groups if group.name == "专业选修")
    assert (elective.recorded_credits, elective.available_credits, elective.done_credits) == (
        Decimal("5.0"),
        Decimal("0"),
        Decimal("5.0"),
    )
    assert (plan.recorded_credits, plan.available_credits, plan.recognised_credits) == (
        Decimal("5.0"),
        Decimal("0.0"),
        Decimal("5.0"),
    )


def test_a_rule_over_the_cap_is_flagged_and_studying_comes_first(tree, items, learner_a):
    # given: a cap of 5 credits, 3 taken by the web certificate
    programme = make_programme(
        tree.b, code="CAP-BK", courses={"A1": (3, "选修"), "A2": (3, "选修")}, minimums={"选修": "6"}, total=10
    )
    make_rule(programme, "C01", "1X-WEB-M", "A1")
    make_rule(programme, "C02", "NURSE-1", "A2")
    _hold(learner_a, items["web"])
    # when
    plan = learning_map.learning_map(learner_a, programme)
    # then
    a2 = _courses(plan)["A2"]
    assert a2.status is CourseStatus.MISSING
    assert plan.cap_left == Decimal("2.0")
    study, c02 = a2.options
    assert (study.kind, study.exceeds_cap, study.fills) == (OptionKind.STUDY, False, True)
    assert (c02.rule_number, c02.exceeds_cap, c02.fills, c02.effort_hours) == ("C02", True, False, 20)


def test_an_elective_group_already_met_needs_no_more(tree, items, learner_a):
    programme = make_programme(
        tree.b, code="EL-BK", courses={"E1": (3, "选修"), "E2": (3, "选修")}, minimums={"选修": "3"}, total=10
    )
    make_rule(programme, "E01", "1X-WEB-M", "E1")
    _hold(learner_a, items["web"])
    courses = _courses(learning_map.learning_map(learner_a, programme))
    assert (courses["E1"].status, courses["E2"].status, courses["E2"].options) == (
        CourseStatus.AVAILABLE,
        CourseStatus.NOT_NEEDED,
        (),
    )


def test_an_item_not_in_the_published_catalog_offers_no_way(cs, items, learner_a):
    CatalogItem.objects.filter(code="COMP-2").update(status="retired")
    plan = learning_map.learning_map(learner_a, cs)
    assert [option.rule_number for option in _courses(plan)["CS101"].options] == ["R03", ""]


def test_an_item_below_the_rules_level_offers_no_way(tree, items, learner_a):
    # given: COMP-2 is at level 6; the rule needs 7
    programme = make_programme(tree.b, code="LV-BK", courses={"L1": (2, "必修")}, total=10)
    make_rule(programme, "L01", "COMP-2", "L1", min_level="7")
    # when
    (l1,) = learning_map.learning_map(learner_a, programme).courses()
    # then
    assert _options(l1) == [(OptionKind.STUDY, "", [], 36)]


# --- the API ------------------------------------------------------------------------------------


def test_the_learner_gets_the_map_from_the_api(learner_client, learner_a, cs, items):
    # given
    _hold(learner_a, items["web"])
    # when
    response = learner_client.get("/api/v1/me/programmes/cs-bk/map", headers={"Accept-Language": "en"})
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["programme"]["code"] == "CS-BK"
    assert (body["available_credits"], body["recorded_credits"], body["cap_credits"], body["cap_left_credits"]) == (
        "5.0",
        "0.0",
        "30.0",
        "25.0",
    )
    required = body["groups"][0]
    assert (required["name"], required["missing_credits"]) == ("专业必修", "9.0")
    cs101 = required["courses"][0]
    assert (cs101["code"], cs101["status"], cs101["status_label"]) == ("CS101", "missing", "Missing")
    assert cs101["options"][0] == {
        "kind": "rule",
        "effort_hours": 20,
        "rule_id": cs.rules.get(number="R03").pk,
        "rule_number": "R03",
        "rule_version": 1,
        "mode": "exemption",
        "mode_label": "Exemption from study and examination",
        "courses": ["CS101"],
        "credits": "4.0",
        "fills": True,
        "credits_gained": "4.0",
        "exceeds_cap": False,
        "items": [
            {
                "code": "NURSE-1",
                "name": "护理培训",
                "credits": "1.0",
                "learning_hours": 20,
                "effort_hours": 20,
                "held": False,
            }
        ],
    }
    assert [option["kind"] for option in cs101["options"]] == ["rule", "study", "rule"]
    elective = body["groups"][1]
    assert [(c["code"], c["status"], c["rule_number"]) for c in elective["courses"]] == [
        ("CS201", "available", "R01"),
        ("CS202", "available", "R01"),
    ]


def test_a_closed_or_unknown_programme_is_not_found(learner_client, cs):
    Programme.objects.filter(pk=cs.pk).update(status="closed")
    closed = learner_client.get("/api/v1/me/programmes/CS-BK/map")
    unknown = learner_client.get("/api/v1/me/programmes/NOPE/map")
    assert (closed.status_code, closed.json()["code"]) == (404, "programme_not_found")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "programme_not_found")


def test_staff_see_the_map_of_a_learner_in_scope_only(
    centre_admin_client, other_admin_client, root_auditor_client, learner_a, cs, items
):
    # given
    _hold(learner_a, items["web"])
    url = f"/api/v1/learners/{learner_a.account_no}/programmes/CS-BK/map"
    # when
    own = centre_admin_client.get(url)
    other = other_admin_client.get(url)
    without = root_auditor_client.get(url)
    missing = centre_admin_client.get(f"/api/v1/learners/{learner_a.account_no}/programmes/NOPE/map")
    # then
    assert (own.status_code, own.json()["available_credits"]) == (200, "5.0")
    assert (other.status_code, other.json()["code"]) == (404, "learner_not_found")
    assert (without.status_code, without.json()["code"]) == (403, "role_cannot_archive_view")
    assert (missing.status_code, missing.json()["code"]) == (404, "programme_not_found")


def _grow(programme, count):
    group = course_of(programme, "CS101").group
    for number in range(count):
        code = f"X{number:02d}"
        services.save_course(programme, code=code, name=code, credits=Decimal("2"), group=group, actor=None)
        make_rule(programme, f"S{number:02d}", "NURSE-1", code)


def test_the_map_costs_the_same_queries_for_4_and_34_rules(cs, items, learner_a, django_assert_max_num_queries):
    # given (the compiled programme is cached: the stamp, the outcomes, the records, the catalog)
    _hold(learner_a, items["web"])
    learning_map.learning_map(learner_a, cs)
    with django_assert_max_num_queries(4):
        small = learning_map.learning_map(learner_a, cs)
    _grow(cs, 30)
    learning_map.learning_map(learner_a, cs)
    # when / then
    with django_assert_max_num_queries(4):
        big = learning_map.learning_map(learner_a, cs)
    assert len(big.courses()) == len(small.courses()) + 30
    # one NURSE-1 outcome would go to the bigger CS101 (R03), not to X29: that way comes after studying
    study, s29 = _courses(big)["X29"].options
    assert (study.kind, s29.rule_number, s29.effort_hours, s29.fills) == (OptionKind.STUDY, "S29", 20, False)


def test_the_api_costs_the_same_queries_for_4_and_34_rules(
    learner_client, learner_a, cs, items, django_assert_max_num_queries
):
    _hold(learner_a, items["web"])
    learner_client.get("/api/v1/me/programmes/CS-BK/map")
    # the session, the user, the learner, the programme, then the map's four
    with django_assert_max_num_queries(8) as few:
        learner_client.get("/api/v1/me/programmes/CS-BK/map")
    small = len(few.captured_queries)
    _grow(cs, 30)
    learner_client.get("/api/v1/me/programmes/CS-BK/map")
    with django_assert_max_num_queries(small):
        response = learner_client.get("/api/v1/me/programmes/CS-BK/map")
    assert response.status_code == 200


# --- the page -----------------------------------------------------------------------------------


def test_the_page_shows_the_chart_data_and_the_same_as_a_list(learner_client, learner_a, cs, items):
    # given
    _hold(learner_a, items["web"])
    # when
    response = learner_client.get(reverse("conversion:me-programme-map", kwargs={"code": "CS-BK"}))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<script id="learning-map-data" type="application/json">') + len(
        '<script id="learning-map-data" type="application/json">'
    )
    data = json.loads(page[start : page.index("</script>", start)])
    assert data["programme"]["code"] == "CS-BK"
    assert [course["status"] for course in data["groups"][1]["courses"]] == ["available", "available"]
    assert 'data-learning-map data-source="learning-map-data"' in page
    assert "creditbank/learning_map.js" in page
    assert "vendor/echarts/echarts.min.js" in page
    # the text version: every course with its status, the missing ones with their ways
    assert 'data-course="CS101" data-status="missing"' in page
    assert 'data-course="CS201" data-status="available"' in page
    assert 'data-option="rule" data-rule="R03" data-effort="20"' in page
    assert (
        page.index('data-rule="R03"')
        < page.index('data-option="study" data-effort="72"')
        < page.index('data-rule="R02"')
    )
    assert "护理培训（NURSE-1）" in page
    assert "<script>" not in page  # CSP: no inline scripts


def test_the_page_is_the_learners_own_and_404_for_a_closed_programme(learner_client, learner_a, learner_b, cs, items):
    _hold(learner_b, items["web"])  # someone else's certificate shows nowhere
    page = learner_client.get(reverse("conversion:me-programme-map", kwargs={"code": "CS-BK"})).content.decode()
    assert 'data-status="available"' not in page
    Programme.objects.filter(pk=cs.pk).update(status="closed")
    assert learner_client.get(reverse("conversion:me-programme-map", kwargs={"code": "CS-BK"})).status_code == 404
    assert learner_client.get(reverse("conversion:me-programme-map", kwargs={"code": "NOPE"})).status_code == 404


def test_the_offers_link_to_the_map_and_any_programme_can_be_picked(learner_client, learner_a, cs, items, tree):
    _hold(learner_a, items["web"])
    make_programme(tree.b, code="ACC-ZK", name="大数据与会计", courses={"AC1": (3, "必修")})
    offers = learner_client.get(reverse("conversion:me-programmes")).content.decode()
    assert reverse("conversion:me-programme-map", kwargs={"code": "CS-BK"}) in offers
    assert reverse("conversion:me-programme-maps") in offers
    pick = learner_client.get(reverse("conversion:me-programme-maps"), {"q": "会计"}).content.decode()
    assert 'data-programme="ACC-ZK"' in pick
    assert 'data-programme="CS-BK"' not in pick
    assert reverse("conversion:me-programme-map", kwargs={"code": "ACC-ZK"}) in pick
