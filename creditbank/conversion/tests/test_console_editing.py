"""Editing programmes, groups, courses and conversion rules in the console.

The world: centre B (a university centre) owns programme CS with a required group and an
elective group, courses C1, C2 (必修) and E1 (选修), a published rule R01 (X1 → C1) and a draft
R02 (X2 → E1). ``other_admin`` is B's administrator (manages CS), ``root_admin`` the management
centre's, ``centre_admin`` centre A's (manages conversion, not B's programmes: 404),
``centre_reviewer`` a role without ``conversion.manage`` (403).

Every refusal changes nothing: ``_state`` takes the rows of every table these pages write, and
the operation log. ``ROUTES`` is the page matrix of the editing routes (``test_console.py``
checks that every conversion route has a row in one of the two files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services as catalog_services
from creditbank.catalog.tests.factories import make_item
from creditbank.console.tests.helpers import assert_redirects_to_login, staff_without_membership_client
from creditbank.conversion import services
from creditbank.conversion.models import ConversionRule, Course, Programme, RequirementGroup, RuleSource, RuleTarget
from creditbank.conversion.tests.factories import make_programme, make_rule
from creditbank.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
LOGIN = "login"


@pytest.fixture
def world(tree):
    items = {code: make_item(code=code, name=code, type="one_plus_x", level=5) for code in ("X1", "X2", "X3", "OLD")}
    catalog_services.retire_item(items["OLD"], actor=None)
    programme = make_programme(
        tree.b,
        code="CS",
        courses={"C1": (3, "专业必修"), "C2": (2, "专业必修"), "E1": (4, "专业选修")},
        total=40,
        cap="0.5",
        minimums={"专业选修": "4"},
    )
    make_rule(programme, "R01", "X1", "C1")
    make_rule(programme, "R02", "X2", "E1", publish=False)
    return programme


def _state() -> tuple[Any, ...]:
    """Every row the editing pages write, and the operation log."""
    return (
        list(
            Programme.objects.order_by("pk").values_list(
                "code", "name", "level", "total_credits", "conversion_cap", "max_outcome_age_years"
            )
        ),
        list(RequirementGroup.objects.order_by("pk").values_list("name", "required", "min_credits")),
        list(Course.objects.order_by("pk").values_list("code", "name", "credits", "group_id")),
        list(
            ConversionRule.objects.order_by("pk").values_list(
                "number", "version", "status", "is_current", "mode", "source_count", "min_score"
            )
        ),
        list(RuleSource.objects.order_by("pk").values_list("rule_id", "item_code")),
        list(RuleTarget.objects.order_by("pk").values_list("rule_id", "course_id")),
        AuditEntry.objects.count(),
    )


def _codes(response: Any) -> dict[str, list[str]]:
    """The error codes on the page's form, by field ("__all__" for the whole form)."""
    errors = response.context["form"].errors.as_data()
    return {name: [str(error.code) for error in found] for name, found in errors.items()}


def _problems(response: Any) -> list[str]:
    return [str(problem["code"]) for problem in response.context["problems"]]


def _programme_form(**extra: str) -> dict[str, str]:
    return {
        "code": "se-bk",
        "name": "软件工程",
        "level": "bachelor",
        "org": "B",
        "total_credits": "80",
        "conversion_cap": "40%",
        "max_outcome_age_years": "5",
        **extra,
    }


def _rule_form(**extra: Any) -> dict[str, Any]:
    return {
        "number": "R10",
        "sources": "X3",
        "source_kind": "all_of",
        "source_count": "",
        "targets": ["C2"],
        "mode": "exemption",
        "min_score": "",
        "min_level": "",
        "within_years": "",
        "effective_from": "",
        "effective_to": "",
        "note": "",
        **extra,
    }


def _detail(client: Client) -> str:
    return client.get(reverse("conversion:programme-detail", args=["CS"])).content.decode()


# --- the page matrix ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    method: str = "get"
    args: tuple[str, ...] = ("CS",)
    data: dict[str, Any] = field(default_factory=dict)
    own: int = 200  # what the owning centre's administrator gets
    out_of_scope: bool = True  # centre A's administrator gets 404


ROUTES: dict[str, Row] = {
    "conversion:programme-create": Row(args=(), out_of_scope=False),
    "conversion:programme-edit": Row(),
    "conversion:group-create": Row(),
    "conversion:group-edit": Row(args=("CS", "group")),
    "conversion:course-create": Row(),
    "conversion:course-edit": Row(args=("CS", "C1")),
    "conversion:rule-create": Row(),
    "conversion:rule-edit": Row(args=("CS", "R02")),
    "conversion:rule-check": Row(args=("CS", "R02")),
    "conversion:rule-publish": Row(method="post", args=("CS", "R02"), own=302),
    "conversion:rule-retire": Row(method="post", args=("CS", "R02"), own=302),
}
# The forms once more with a valid POST: a refused caller must store nothing.
POSTS: dict[str, dict[str, Any]] = {
    "conversion:programme-create": _programme_form(),
    "conversion:programme-edit": _programme_form(code="CS", name="改名"),
    "conversion:group-create": {"name": "公共选修", "min_credits": "2"},
    "conversion:group-edit": {"min_credits": "1"},
    "conversion:course-create": {"code": "C9", "name": "新课程", "credits": "2", "group": "group"},
    "conversion:course-edit": {"name": "改名", "credits": "3", "group": "group"},
    "conversion:rule-create": _rule_form(),
    "conversion:rule-edit": _rule_form(number="R02", sources="X2", targets=["E1"], min_score="80"),
}


def _url(name: str, row: Row, world: Programme) -> str:
    group = str(world.groups.get(name="专业必修").pk)
    return reverse(name, args=[group if arg == "group" else arg for arg in row.args])


def _cases() -> list[tuple[str, str, str, str, Any]]:
    cases: list[tuple[str, str, str, str, Any]] = []
    for name, row in ROUTES.items():
        methods = [row.method] + (["post"] if name in POSTS else [])
        for method in methods:
            own = row.own if method == row.method else 302
            cases.append((name, method, "anonymous", "anon_client", LOGIN))
            cases.append((name, method, "learner", "learner_client", 403))
            cases.append((name, method, "staff without membership", "nomember", 403))
            cases.append((name, method, "role without conversion.manage", "centre_reviewer_client", 403))
            if row.out_of_scope:
                cases.append((name, method, "another centre's administrator", "centre_admin_client", 404))
            cases.append((name, method, "the owning centre's administrator", "other_admin_client", own))
            cases.append((name, method, "management centre", "root_admin_client", own))
    return cases


@pytest.mark.parametrize(("name", "method", "_case", "client_name", "expected"), _cases())
def test_editing_pages_answer_each_caller(request, world, name, method, _case, client_name, expected):
    # given
    row = ROUTES[name]
    client = staff_without_membership_client() if client_name == "nomember" else request.getfixturevalue(client_name)
    data = dict(POSTS.get(name, {})) if method == "post" else {}
    if data.get("group") == "group":
        data["group"] = str(world.groups.get(name="专业必修").pk)
    before = _state()
    # when
    response = getattr(client, method)(_url(name, row, world), data)
    # then
    if expected == LOGIN:
        assert_redirects_to_login(response)
    else:
        assert response.status_code == expected
    if expected in (LOGIN, 403, 404):
        assert _state() == before
    if expected == 302 and name in POSTS:
        assert _state() != before


def test_a_centre_without_a_university_centre_cannot_create_a_programme(world, centre_admin_client):
    # given: centre A is a local centre; B is a university centre outside A's subtree
    before = _state()
    # when
    page = centre_admin_client.get(reverse("conversion:programme-create"))
    posted = centre_admin_client.post(reverse("conversion:programme-create"), _programme_form(org="B"))
    listing = centre_admin_client.get(reverse("conversion:programme-list")).content.decode()
    # then
    assert 'id="no-owner"' in page.content.decode()
    assert posted.status_code == 200
    assert "org" in _codes(posted)
    assert _state() == before
    assert reverse("conversion:programme-create") not in listing


def test_only_posts_with_the_csrf_token_are_accepted(world, other_admin):
    # given
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_admin)
    before = _state()
    # when
    statuses = {
        name: client.post(_url(name, row, world), POSTS.get(name, {})).status_code
        for name, row in ROUTES.items()
        if row.method == "post" or name in POSTS
    }
    # then
    assert set(statuses.values()) == {403}
    assert _state() == before
    # and the pages carry the token for their forms
    assert 'name="csrfmiddlewaretoken"' in client.get(reverse("conversion:rule-create", args=["CS"])).content.decode()


# --- programmes, groups, courses: the happy paths --------------------------------------------------------


def test_a_programme_is_created_with_its_cap_as_a_percentage(world, other_admin_client):
    # when
    response = other_admin_client.post(reverse("conversion:programme-create"), _programme_form())
    # then
    assert response.status_code == 302
    programme = Programme.objects.get(code="SE-BK")
    assert (programme.org.code, programme.conversion_cap, programme.total_credits, programme.max_outcome_age_years) == (
        "B",
        Decimal("0.400"),
        Decimal("80.0"),
        5,
    )
    assert AuditEntry.objects.filter(action="conversion.programme_create", object_id=str(programme.pk)).count() == 1
    assert response["Location"] == reverse("conversion:programme-detail", args=["SE-BK"])


def test_a_programme_is_edited_but_its_code_and_centre_stay(world, other_admin_client):
    # when
    response = other_admin_client.post(
        reverse("conversion:programme-edit", args=["CS"]),
        _programme_form(
            code="HIJACK", org="MC", name="计算机科学与技术", conversion_cap="0.6", max_outcome_age_years=""
        ),
    )
    # then
    assert response.status_code == 302
    world.refresh_from_db()
    assert (world.code, world.org.code, world.name, world.conversion_cap, world.max_outcome_age_years) == (
        "CS",
        "B",
        "计算机科学与技术",
        Decimal("0.600"),
        None,
    )
    assert not Programme.objects.filter(code="HIJACK").exists()
    assert AuditEntry.objects.filter(action="conversion.programme_update").count() == 1


def test_the_edit_form_shows_the_cap_as_people_write_it(world, other_admin_client):
    page = other_admin_client.get(reverse("conversion:programme-edit", args=["CS"]))
    assert page.context["form"].initial["conversion_cap"] == "50%"


def test_groups_and_courses_are_added_and_edited(world, other_admin_client):
    # given
    seen = AuditEntry.objects.count()
    # when: a new elective group, a course in it, then both edited
    other_admin_client.post(reverse("conversion:group-create", args=["CS"]), {"name": "公共选修", "min_credits": "2"})
    group = RequirementGroup.objects.get(programme=world, name="公共选修")
    other_admin_client.post(
        reverse("conversion:course-create", args=["CS"]),
        {"code": "g1", "name": "大学语文", "credits": "2", "group": str(group.pk)},
    )
    other_admin_client.post(
        reverse("conversion:group-edit", args=["CS", group.pk]), {"name": "改名", "min_credits": "1.5"}
    )
    required = world.groups.get(name="专业必修")
    other_admin_client.post(
        reverse("conversion:course-edit", args=["CS", "G1"]),
        {"code": "OTHER", "name": "大学语文（上）", "credits": "3", "group": str(required.pk)},
    )
    # then
    group.refresh_from_db()
    course = Course.objects.get(programme=world, code="G1")
    assert (group.name, group.required, group.min_credits) == ("公共选修", False, Decimal("1.5"))
    assert (course.name, course.credits, course.group_id) == ("大学语文(上)", Decimal("3.0"), required.pk)
    assert not Course.objects.filter(code="OTHER").exists()
    actions = list(
        AuditEntry.objects.filter(action__in=["conversion.group_create", "conversion.group_update",
                                              "conversion.course_create", "conversion.course_update"])
        .order_by("pk")
        .values_list("action", flat=True)
    )[-4:]  # fmt: skip
    assert AuditEntry.objects.count() == seen + 4
    assert actions == [
        "conversion.group_create",
        "conversion.course_create",
        "conversion.group_update",
        "conversion.course_update",
    ]


# --- programmes, groups, courses: bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data", "expected"),
    [
        ("programme-create", _programme_form(conversion_cap="150%"), {"conversion_cap": ["programme_cap_out_of_range"]}),
        ("programme-create", _programme_form(conversion_cap="1.5"), {"conversion_cap": ["programme_cap_out_of_range"]}),
        ("programme-create", _programme_form(conversion_cap="0"), {"conversion_cap": ["programme_cap_out_of_range"]}),
        ("programme-create", _programme_form(conversion_cap="half"), {"conversion_cap": ["programme_cap_format"]}),
        ("programme-create", _programme_form(code="CS"), {"code": ["programme_exists"]}),
        ("programme-create", _programme_form(code="坏 代码"), {"code": ["conversion_code_format"]}),
        (
            "programme-create",
            _programme_form(total_credits="-3", max_outcome_age_years="0"),
            {"total_credits": ["programme_total_credits_format"], "max_outcome_age_years": ["programme_age_format"]},
        ),
        ("programme-edit", _programme_form(conversion_cap="101%"), {"conversion_cap": ["programme_cap_out_of_range"]}),
        ("group-create", {"name": "专业必修", "min_credits": ""}, {"name": ["group_exists"]}),
        ("group-create", {"name": "公共选修", "min_credits": "-1"}, {"min_credits": ["group_min_credits_format"]}),
        ("course-create", {"code": "C1", "name": "重复", "credits": "2", "group": "group"}, {"code": ["course_exists"]}),
        ("course-create", {"code": "C9", "name": "零学分", "credits": "0", "group": "group"}, {"credits": ["course_credits_format"]}),
        ("course-edit", {"name": "", "credits": "2.25", "group": "group"},
         {"name": ["required"], "credits": ["course_credits_format"]}),
    ],
)  # fmt: skip
def test_bad_programme_group_and_course_input_is_shown_and_changes_nothing(
    world, other_admin_client, url, data, expected
):
    # given
    args = {"programme-create": [], "course-edit": ["CS", "C1"]}.get(url, ["CS"])
    data = {**data, "group": str(world.groups.get(name="专业必修").pk)} if "group" in data else data
    before = _state()
    # when
    response = other_admin_client.post(reverse(f"conversion:{url}", args=args), data)
    # then
    assert response.status_code == 200
    assert _codes(response) == expected
    assert _state() == before


def test_a_group_of_another_programme_is_not_offered(world, tree, other_admin_client):
    # given
    other = make_programme(tree.b, code="ACC", courses={"A1": (3, "必修")})
    foreign = other.groups.get()
    before = _state()
    # when
    response = other_admin_client.post(
        reverse("conversion:course-create", args=["CS"]),
        {"code": "C9", "name": "新课程", "credits": "2", "group": str(foreign.pk)},
    )
    # then
    assert _codes(response) == {"group": ["invalid_choice"]}
    assert _state() == before


# --- rules: the happy paths ---------------------------------------------------------------------------------


def test_a_rule_is_created_as_a_draft_with_conditions_and_n_of_m_sources(world, other_admin_client):
    # when
    response = other_admin_client.post(
        reverse("conversion:rule-create", args=["CS"]),
        _rule_form(
            number="r10",
            sources="X1\nX2, X3",
            source_kind="n_of_m",
            source_count="2",
            targets=["C2", "E1"],
            mode="recognition",
            min_score="良好",
            min_level="4",
            within_years="3",
            effective_from="2026-01-01",
            effective_to="2027-12-31",
        ),
    )
    # then
    assert response.status_code == 302
    rule = ConversionRule.objects.get(number="R10")
    assert (rule.status, rule.source_kind, rule.source_count, rule.mode, rule.min_score) == (
        "draft",
        "n_of_m",
        2,
        "recognition",
        "良好",
    )
    assert (rule.min_framework_level, rule.within_years, str(rule.effective_from), str(rule.effective_to)) == (
        4,
        3,
        "2026-01-01",
        "2027-12-31",
    )
    assert sorted(rule.sources.values_list("item_code", flat=True)) == ["X1", "X2", "X3"]
    assert sorted(rule.targets.values_list("course__code", flat=True)) == ["C2", "E1"]
    assert AuditEntry.objects.filter(action="conversion.rule_create", object_id=str(rule.pk)).count() == 1


def test_save_and_publish_publishes_after_the_checks(world, other_admin_client):
    # when
    response = other_admin_client.post(reverse("conversion:rule-create", args=["CS"]), {**_rule_form(), "publish": "1"})
    # then
    assert response.status_code == 302
    assert ConversionRule.objects.get(number="R10").status == "published"


def test_the_edit_form_is_filled_and_a_published_rule_gets_a_new_version(world, other_admin_client):
    # given
    url = reverse("conversion:rule-edit", args=["CS", "R01"])
    initial = other_admin_client.get(url).context["form"].initial
    # when
    response = other_admin_client.post(url, {**_rule_form(**initial), "number": "IGNORED", "min_score": "80"})
    # then
    assert (initial["sources"], initial["targets"], initial["mode"]) == ("X1", ["C1"], "exemption")
    assert response.status_code == 302
    assert list(ConversionRule.objects.filter(number="R01").order_by("version").values_list("version", "is_current", "min_score")) == [
        (1, False, ""),
        (2, True, "80"),
    ]  # fmt: skip
    assert AuditEntry.objects.filter(action="conversion.rule_new_version").count() == 1
    assert not ConversionRule.objects.filter(number="IGNORED").exists()


def test_a_draft_is_edited_in_place_checked_then_published_and_retired(world, other_admin_client):
    # given
    draft = ConversionRule.objects.get(number="R02")
    # when
    other_admin_client.post(
        reverse("conversion:rule-edit", args=["CS", "R02"]),
        _rule_form(number="R02", sources="X2", targets=["E1", "C2"]),
    )
    check = other_admin_client.get(reverse("conversion:rule-check", args=["CS", "R02"]))
    published = other_admin_client.post(reverse("conversion:rule-publish", args=["CS", "R02"]))
    retired = other_admin_client.post(reverse("conversion:rule-retire", args=["CS", "R02"]))
    # then
    draft.refresh_from_db()
    assert (draft.version, draft.status) == (1, "retired")
    assert _problems(check) == []
    assert (published.status_code, retired.status_code) == (302, 302)
    actions = list(
        AuditEntry.objects.filter(object_id=str(draft.pk), action__startswith="conversion.rule")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "conversion.rule_create",
        "conversion.rule_update",
        "conversion.rule_publish",
        "conversion.rule_retire",
    ]


# --- rules: bad input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # a retired source item: final, so refused for drafts too
        (_rule_form(sources="OLD"), {"sources": ["rule_source_retired"]}),
        (_rule_form(sources="NOPE-1"), {"sources": ["rule_source_unknown"]}),
        # a course that is not in the programme (a forged checkbox)
        (_rule_form(targets=["C404"]), {"targets": ["rule_target_unknown"]}),
        (_rule_form(targets=[]), {"targets": ["rule_target_required"]}),
        # "cycles" of one rule: an item twice in its own combination, n of m with n > m or n < 1
        (_rule_form(sources="X1\nX1"), {"sources": ["rule_source_repeated"]}),
        (_rule_form(sources="X1 X2", source_kind="n_of_m", source_count="3"), {"source_count": ["rule_source_count"]}),
        (_rule_form(sources="X1 X2", source_kind="n_of_m", source_count="0"), {"source_count": ["rule_source_count"]}),
        (_rule_form(sources="X1 X2", source_kind="n_of_m", source_count=""), {"source_count": ["rule_source_count"]}),
        (_rule_form(number="R01"), {"number": ["rule_duplicate"]}),
        (
            _rule_form(effective_from="2026-01-01", effective_to="2025-01-01", min_level="11"),
            {"min_level": ["rule_level_format"], "effective_to": ["rule_dates_order"]},
        ),
    ],
)
def test_bad_rule_input_is_shown_on_the_form_and_changes_nothing(world, other_admin_client, data, expected):
    # given
    before = _state()
    # when
    response = other_admin_client.post(reverse("conversion:rule-create", args=["CS"]), data)
    # then
    assert response.status_code == 200
    assert _codes(response) == expected
    assert _state() == before


def test_a_target_of_another_programme_is_named(world, tree, other_admin_client):
    make_programme(tree.b, code="ACC", courses={"A1": (3, "必修")})
    before = _state()
    response = other_admin_client.post(reverse("conversion:rule-create", args=["CS"]), _rule_form(targets=["A1"]))
    assert _codes(response) == {"targets": ["rule_target_other_programme"]}
    assert _state() == before


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # same sources, same course, the other mode
        (_rule_form(sources="X1", targets=["C1"], mode="recognition"), ["rule_mode_conflict"]),
        # same sources, same course, same mode
        (_rule_form(sources="X1", targets=["C1"]), ["rule_duplicate"]),
        # overlapping sources, the same course, and no tier
        (_rule_form(sources="X1 X3", targets=["C1"]), ["rule_conflict"]),
        (_rule_form(sources="X1", targets=["C1", "E1"], mode="recognition"), ["rule_mode_conflict"]),
        # allowed: no common course; a tier (more sources, strictly more courses, same mode)
        (_rule_form(sources="X1", targets=["C2", "E1"]), []),
        (_rule_form(sources="X1 X3", targets=["C1", "C2"]), []),
    ],
)
def test_publishing_conflicts_are_refused_with_the_other_rule_named(world, other_admin_client, data, expected):
    # given
    before = _state()
    # when
    response = other_admin_client.post(reverse("conversion:rule-create", args=["CS"]), {**data, "publish": "1"})
    # then
    if expected:
        assert response.status_code == 200
        assert _problems(response) == expected
        assert _codes(response) == {"__all__": expected}
        assert f'data-code="{expected[0]}"' in response.content.decode()
        assert "R01" in response.content.decode()
        assert _state() == before
    else:
        assert response.status_code == 302


def test_the_check_button_lists_the_problems_before_anything_is_saved(world, other_admin_client):
    # given
    before = _state()
    # when: a draft that would contradict R01, checked
    checked = other_admin_client.post(
        reverse("conversion:rule-create", args=["CS"]),
        {**_rule_form(sources="X1", targets=["C1"], mode="recognition"), "check": "1"},
    )
    clean = other_admin_client.post(reverse("conversion:rule-create", args=["CS"]), {**_rule_form(), "check": "1"})
    bad = other_admin_client.post(
        reverse("conversion:rule-create", args=["CS"]), {**_rule_form(sources="OLD"), "check": "1"}
    )
    # then
    assert _problems(checked) == ["rule_mode_conflict"]
    assert checked.context["problems"][0]["rule"] == "R01"
    assert 'data-code="rule_mode_conflict"' in checked.content.decode()
    assert _problems(clean) == []
    assert 'id="problems"' in clean.content.decode()
    assert _problems(bad) == ["rule_source_retired"]
    assert _state() == before


def test_the_check_page_flags_a_stored_draft_before_it_is_published(world, other_admin_client):
    # given: a draft that conflicts with R01 (partial overlap), saved without publishing
    make_rule(world, "R03", "X1+X3", "C1", publish=False)
    before = _state()
    # when
    check = other_admin_client.get(reverse("conversion:rule-check", args=["CS", "R03"]))
    publish = other_admin_client.post(reverse("conversion:rule-publish", args=["CS", "R03"]), follow=True)
    # then
    assert _problems(check) == ["rule_conflict"]
    assert "conversion:rule-publish" not in check.content.decode()
    assert reverse("conversion:rule-publish", args=["CS", "R03"]) not in check.content.decode()
    assert publish.redirect_chain[-1][0] == reverse("conversion:rule-check", args=["CS", "R03"])
    assert ConversionRule.objects.get(number="R03").status == "draft"
    assert _state() == before


def test_a_source_retired_after_the_draft_was_saved_is_caught_by_the_check(world, other_admin_client):
    # given
    item = make_item(code="X7", name="X7", type="one_plus_x", level=5)
    make_rule(world, "R04", "X7", "C2", publish=False)
    catalog_services.retire_item(item, actor=None)
    before = _state()
    # when
    check = other_admin_client.get(reverse("conversion:rule-check", args=["CS", "R04"]))
    other_admin_client.post(reverse("conversion:rule-publish", args=["CS", "R04"]))
    # then
    assert _problems(check) == ["rule_source_retired"]
    assert _state() == before


def test_a_retired_rule_cannot_be_edited_again(world, other_admin_client):
    # given
    services.retire_rule(ConversionRule.objects.get(number="R02"), actor=None)
    before = _state()
    # when
    response = other_admin_client.post(
        reverse("conversion:rule-edit", args=["CS", "R02"]), _rule_form(number="R02", sources="X2", targets=["E1"])
    )
    retire_again = other_admin_client.post(reverse("conversion:rule-retire", args=["CS", "R02"]))
    # then
    assert (response.status_code, retire_again.status_code) == (302, 302)
    assert _state() == before
    row = _detail(other_admin_client).split('data-number="R02"', 1)[1].split("</tr>", 1)[0]
    assert "data-edit" not in row


# --- who sees the edit controls ----------------------------------------------------------------------------------


def test_managers_see_the_edit_controls(world, other_admin_client, root_admin_client):
    for client in (other_admin_client, root_admin_client):
        page = _detail(client)
        assert reverse("conversion:programme-edit", args=["CS"]) in page
        assert reverse("conversion:rule-create", args=["CS"]) in page
        assert reverse("conversion:rule-publish", args=["CS", "R02"]) in page
        assert reverse("conversion:rule-publish", args=["CS", "R01"]) not in page  # already published
        assert reverse("conversion:course-edit", args=["CS", "C1"]) in page
    listing = other_admin_client.get(reverse("conversion:programme-list")).content.decode()
    assert reverse("conversion:programme-create") in listing


def test_staff_who_see_but_may_not_edit_get_a_read_only_page_and_403(world, other_admin_client, monkeypatch):
    """Today seeing a programme needs ``conversion.manage`` on it, so every viewer may edit; the
    page still asks ``services.may_manage`` per programme, and the services refuse without it."""
    # given: a viewer whose grant does not extend to editing
    monkeypatch.setattr(services, "may_manage", lambda actor, org_path: False)
    before = _state()
    # when
    page = _detail(other_admin_client)
    edit = other_admin_client.get(reverse("conversion:rule-edit", args=["CS", "R02"]))
    publish = other_admin_client.post(reverse("conversion:rule-publish", args=["CS", "R02"]))
    # then
    assert 'data-number="R01"' in page
    assert "data-edit" not in page
    assert "/edit/" not in page
    assert (edit.status_code, publish.status_code) == (403, 403)
    assert _state() == before


# --- the services, without the console ----------------------------------------------------------------------------


def test_the_services_refuse_a_cap_above_100_percent_and_store_nothing(world, tree):
    # given
    before = _state()
    values = services.ProgrammeValues(
        code="NEW",
        name="新专业",
        level="bachelor",
        org=tree.b,
        total_credits=Decimal(80),
        conversion_cap=Decimal("1.5"),
    )
    # when
    with pytest.raises(ValidationFailed) as refused:
        services.save_programme(values, actor=None)
    with pytest.raises(ValidationFailed) as edited:
        services.save_programme(
            services.ProgrammeValues(
                code="CS", name="x", level="bachelor", org=tree.b, total_credits=Decimal(0), conversion_cap=Decimal(0)
            ),
            actor=None,
        )
    # then
    assert [d["code"] for d in refused.value.details] == ["programme_cap_out_of_range"]
    assert [d["code"] for d in edited.value.details] == ["programme_cap_out_of_range", "programme_total_credits_format"]
    assert _state() == before


def test_the_services_refuse_creating_what_exists_when_asked_for_new(world):
    from creditbank.core.errors import Conflict

    before = _state()
    group = world.groups.get(name="专业必修")
    with pytest.raises(Conflict) as group_taken:
        services.save_group(world, name="专业必修", min_credits=None, actor=None, new=True)
    with pytest.raises(Conflict) as course_taken:
        services.save_course(world, code="C1", name="x", credits=Decimal(1), group=group, actor=None, new=True)
    assert (group_taken.value.code, course_taken.value.code) == ("group_exists", "course_exists")
    assert _state() == before


def test_the_services_refuse_a_group_of_another_programme(world, tree):
    from creditbank.core.errors import NotFound

    other = make_programme(tree.b, code="ACC", courses={"A1": (3, "必修")})
    before = _state()
    with pytest.raises(NotFound):
        services.save_course(world, code="C9", name="x", credits=Decimal(1), group=other.groups.get(), actor=None)
    assert _state() == before


@pytest.mark.parametrize(
    ("extra", "publish", "expected"),
    [
        ({"sources": "OLD"}, False, ["rule_source_retired"]),  # a draft too: retiring is final
        ({"targets": "C404"}, False, ["rule_target_unknown"]),
        ({"sources": "X1+X1"}, False, ["rule_source_repeated"]),
        ({"sources": "X1+X2", "source_count": "3"}, False, ["rule_source_count"]),
        ({"sources": "X1+X2", "source_count": "0"}, False, ["rule_source_count"]),
        ({"sources": "X1", "targets": "C1", "mode": "学分认定"}, True, ["rule_mode_conflict"]),
    ],
)
def test_the_rule_services_refuse_bad_input_and_store_nothing(world, extra, publish, expected):
    # given
    before = _state()
    data = services.RuleData(**{"programme_code": "CS", "number": "R20", "sources": "X3", "targets": "C2",
                                "mode": "免修免考", **extra})  # fmt: skip
    # when
    with pytest.raises(ValidationFailed) as refused:
        services.create_rule(data, actor=None, publish=publish)
    if publish:
        checked = [problem["code"] for problem in services.check_rule(data)]
    else:
        with pytest.raises(ValidationFailed) as failed:
            services.check_rule(data)
        checked = [detail["code"] for detail in failed.value.details]
    # then
    assert [d["code"] for d in refused.value.details] == expected
    assert checked == expected
    assert _state() == before


def test_check_rule_names_a_taken_number_and_the_conflicts_without_saving(world):
    before = _state()
    problems = services.check_rule(
        services.RuleData(programme_code="CS", number="R01", sources="X1", targets="C1", mode="学分认定")
    )
    edit = services.check_rule(
        services.RuleData(programme_code="", number="", sources="X1", targets="C1", mode="学分认定"),
        rule=ConversionRule.objects.get(number="R01"),
    )
    assert [p["code"] for p in problems] == ["rule_duplicate"]
    assert edit == []  # its own earlier version is no conflict
    assert _state() == before


def test_the_detail_page_and_the_check_make_no_query_per_rule(world, other_admin_client, django_assert_max_num_queries):
    # given: the page's queries with the world's two rules
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("conversion:programme-detail", args=["CS"])
    with CaptureQueriesContext(connection) as few:
        other_admin_client.get(url)
    for number in range(10, 40):
        make_rule(world, f"R{number}", "X3", "C2", publish=False)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        other_admin_client.get(url)
    with CaptureQueriesContext(connection) as check:
        other_admin_client.get(reverse("conversion:rule-check", args=["CS", "R10"]))
    assert len(check.captured_queries) <= 20
