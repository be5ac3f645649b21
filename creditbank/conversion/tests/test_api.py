"""The HTTP contract: the public programme list and detail, a learner's audit and what-if, and
staff auditing a learner in scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from creditbank.api.tests.helpers import post_json
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion.models import Programme
from creditbank.conversion.tests.factories import make_programme, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(db):
    return {
        code: make_item(code=code, name=name, type="one_plus_x", credits=Decimal("4"), level=level)
        for code, name, level in (
            ("1X-WEB-M", "Web前端开发（中级）", 5),
            ("1X-BD-M", "大数据应用开发（中级）", 5),
            ("COMP-2", "技能竞赛二等奖", 6),
        )
    }


@pytest.fixture
def cs(tree, items):
    programme = make_programme(
        tree.b,
        code="CS-BK",
        courses={
            "CS101": (4, "专业必修"),
            "CS102": (3, "专业必修"),
            "CS201": (2, "专业选修"),
            "CS202": (3, "专业选修"),
        },
        minimums={"专业选修": "4"},
        total=60,
        cap="0.5",
    )
    make_rule(programme, "R01", "1X-WEB-M", "CS201+CS202", min_score="良好")
    make_rule(programme, "R02", "1X-BD-M+COMP-2", "CS101", mode="学分认定")
    make_rule(programme, "R03", "1X-BD-M", "CS102", within_years="2")
    return programme


def test_programmes_are_public_and_filtered(anon_client, cs, tree):
    # given
    make_programme(tree.b, code="ACC-ZK", name="大数据与会计", courses={"AC1": (3, "必修")})
    closed = make_programme(tree.b, code="OLD-ZK", name="旧专业", courses={"O1": (3, "必修")})
    Programme.objects.filter(pk=closed.pk).update(status="closed")
    # when
    everything = anon_client.get("/api/v1/programmes").json()
    by_initials = anon_client.get("/api/v1/programmes?q=jsj").json()
    by_level = anon_client.get("/api/v1/programmes?level=junior_college&org=b").json()
    # then
    assert [item["code"] for item in everything["items"]] == ["ACC-ZK", "CS-BK"]
    assert everything["count"] == 2
    assert everything["items"][1] == {
        "code": "CS-BK",
        "name": "计算机应用技术",
        "level": "bachelor",
        "org": {"code": "B", "name": "安徽师范大学中心"},
        "total_credits": "60.0",
        "conversion_cap": "0.500",
        "cap_credits": "30.0",
        "max_outcome_age_years": None,
    }
    assert [item["code"] for item in by_initials["items"]] == ["CS-BK"]
    assert by_level["items"] == []


def test_the_programme_list_costs_the_same_queries_for_10_and_100(anon_client, tree, django_assert_num_queries):
    # given
    for number in range(10):
        Programme.objects.create(
            code=f"P{number:03d}", name="专业", level="bachelor", org=tree.b, total_credits=60, conversion_cap="0.5"
        )
    # when / then
    with django_assert_num_queries(1):
        small = anon_client.get("/api/v1/programmes?limit=200")
    for number in range(10, 100):
        Programme.objects.create(
            code=f"P{number:03d}", name="专业", level="bachelor", org=tree.b, total_credits=60, conversion_cap="0.5"
        )
    with django_assert_num_queries(2):  # a full page also needs the count
        large = anon_client.get("/api/v1/programmes?limit=50")
    assert (small.json()["count"], large.json()["count"]) == (10, 100)


def test_programme_detail_lists_groups_courses_and_published_rules(anon_client, cs):
    # given
    make_rule(cs, "R09", "COMP-2", "CS202", publish=False)
    # when
    response = anon_client.get("/api/v1/programmes/cs-bk")
    missing = anon_client.get("/api/v1/programmes/NOPE")
    # then
    body = response.json()
    assert [
        (g["name"], g["required"], g["min_credits"], [c["code"] for c in g["courses"]]) for g in body["groups"]
    ] == [
        ("专业必修", True, None, ["CS101", "CS102"]),
        ("专业选修", False, "4.0", ["CS201", "CS202"]),
    ]
    assert [(r["number"], r["mode"], r["sources"], r["courses"]) for r in body["rules"]] == [
        ("R01", "exemption", ["1X-WEB-M"], ["CS201", "CS202"]),
        ("R02", "recognition", ["1X-BD-M", "COMP-2"], ["CS101"]),
        ("R03", "exemption", ["1X-BD-M"], ["CS102"]),
    ]
    assert (missing.status_code, missing.json()["code"]) == (404, "programme_not_found")


def _outcomes(learner, items):
    today = timezone.localdate()
    return {
        "web": make_outcome(
            learner=learner, item=items["1X-WEB-M"], score="优秀", achieved_on=today - dt.timedelta(days=30)
        ),
        "bd": make_outcome(
            learner=learner, item=items["1X-BD-M"], score="80", achieved_on=today - dt.timedelta(days=1200)
        ),
        "revoked": make_outcome(learner=learner, item=items["COMP-2"], status="revoked", score="一等奖"),
    }


def test_my_audit_answers_the_choice_the_courses_the_groups_and_the_reasons(learner_client, learner_a, cs, items):
    # given
    outcomes = _outcomes(learner_a, items)
    # when
    response = learner_client.get("/api/v1/me/programmes/CS-BK/audit", headers={"Accept-Language": "en"})
    chinese = learner_client.get("/api/v1/me/programmes/CS-BK/audit").json()
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["recognised_credits"], body["cap_credits"], body["credits_missing"], body["what_if"]) == (
        "5.0",
        "30.0",
        "55.0",
        False,
    )
    assert body["chosen_rules"] == [
        {
            "rule_id": cs.rules.get(number="R01").pk,
            "number": "R01",
            "version": 1,
            "mode": "exemption",
            "courses": ["CS201", "CS202"],
            "credits": "5.0",
            "outcome_ids": [outcomes["web"].pk],
            "item_codes": ["1X-WEB-M"],
            "hypothetical": False,
        }
    ]
    assert [(c["code"], c["rule_number"], c["mode_label"]) for c in body["courses_recognised"]] == [
        ("CS201", "R01", "Exemption from study and examination"),
        ("CS202", "R01", "Exemption from study and examination"),
    ]
    groups = {g["name"]: g for g in body["groups"]}
    assert (groups["专业必修"]["done_credits"], groups["专业必修"]["missing_credits"]) == ("0.0", "7.0")
    assert [c["code"] for c in groups["专业必修"]["courses_missing"]] == ["CS101", "CS102"]
    assert (groups["专业选修"]["done_credits"], groups["专业选修"]["missing_credits"]) == ("5.0", "0.0")
    reasons = {r["number"]: (r["reason"], [x["code"] for x in r["reasons"]]) for r in body["not_applicable"]}
    assert reasons == {"R02": ("missing_source", ["missing_source"]), "R03": ("too_old", ["too_old"])}
    assert [o["id"] for o in body["outcomes"]] == [
        outcomes["bd"].pk,
        outcomes["web"].pk,
    ]  # the revoked one does not count
    assert body["explanation"][0] == (
        "Rules R01 (version 1) recognise 5.0 credits; the cap on converted credits is 30.0 credits."
    )
    assert chinese["explanation"][0] == "按规则 R01（第 1 版）可认定 5.0 学分；转换上限为 30.0 学分。"
    assert chinese["not_applicable"][1]["message"].startswith("1X-BD-M 的学习成果取得于")


def test_what_if_assumes_the_items(learner_client, learner_a, cs, items):
    # given: the 1X-BD-M outcome is too old for R03 (within 2 years), not for R02
    outcomes = _outcomes(learner_a, items)
    # when
    response = post_json(learner_client, "/api/v1/me/programmes/CS-BK/what-if", {"items": ["comp-2", "1X-BD-M"]})
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["what_if"], body["hypothetical_items"], body["recognised_credits"]) == (
        True,
        ["COMP-2", "1X-BD-M"],
        "12.0",
    )
    assert [(rule["number"], rule["outcome_ids"], rule["hypothetical"]) for rule in body["chosen_rules"]] == [
        ("R01", [outcomes["web"].pk], False),
        ("R02", [outcomes["bd"].pk, -1], True),
        ("R03", [-2], True),
    ]
    assert [o["id"] for o in body["outcomes"] if o["hypothetical"]] == [-2, -1]


def test_what_if_refuses_unknown_items_and_empty_lists(learner_client, cs):
    # when
    unknown = post_json(learner_client, "/api/v1/me/programmes/CS-BK/what-if", {"items": ["NOPE-1"]})
    empty = post_json(learner_client, "/api/v1/me/programmes/CS-BK/what-if", {"items": []})
    # then
    assert (unknown.status_code, unknown.json()["code"]) == (422, "what_if_item_unknown")
    assert unknown.json()["details"][0]["item_code"] == "NOPE-1"
    assert (empty.status_code, empty.json()["code"]) == (422, "validation_error")


def test_staff_audit_a_learner_in_scope(centre_admin_client, other_admin_client, learner_a, cs, items):
    # given
    _outcomes(learner_a, items)
    # when
    own = centre_admin_client.get(f"/api/v1/learners/{learner_a.account_no}/programmes/CS-BK/audit")
    other = other_admin_client.get(f"/api/v1/learners/{learner_a.account_no}/programmes/CS-BK/audit")
    missing = centre_admin_client.get(f"/api/v1/learners/{learner_a.account_no}/programmes/NOPE/audit")
    # then
    assert (own.status_code, own.json()["recognised_credits"]) == (200, "5.0")
    assert (other.status_code, other.json()["code"]) == (404, "learner_not_found")
    assert (missing.status_code, missing.json()["code"]) == (404, "programme_not_found")


def test_an_audit_costs_the_same_queries_for_3_and_30_rules(
    learner_client, learner_a, cs, items, django_assert_max_num_queries
):
    # given
    # (13: the session and user, the programme (cached after), the outcomes, and the conversion records)
    _outcomes(learner_a, items)
    with django_assert_max_num_queries(13) as few:
        learner_client.get("/api/v1/me/programmes/CS-BK/audit")
    from creditbank.conversion.tests.factories import course as course_of

    for number in range(27):
        code = f"X{number:02d}"
        group = course_of(cs, "CS101").group
        from creditbank.conversion import services

        services.save_course(cs, code=code, name=code, credits=Decimal("1"), group=group, actor=None)
        make_rule(cs, f"S{number:02d}", "1X-WEB-M", code)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = learner_client.get("/api/v1/me/programmes/CS-BK/audit")
    assert response.status_code == 200
