"""Rule life cycle, the publishing checks against the database, versioning and data scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services as catalog_services
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion import conflicts, services
from creditbank.conversion.conflicts import RuleShape
from creditbank.conversion.models import ConversionRule, Programme
from creditbank.conversion.tests.factories import make_programme, make_rule
from creditbank.core.errors import Conflict, Forbidden, ValidationFailed
from creditbank.orgs.tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(db):
    return {code: make_item(code=code, name=code, type="one_plus_x", level=5) for code in ("X1", "X2", "X3")}


@pytest.fixture
def programme(tree, items):
    return make_programme(
        tree.b, code="CS", courses={"C1": (3, "必修"), "C2": (2, "必修"), "C3": (4, "选修")}, total=40, cap="0.5"
    )


def _codes(excinfo):
    return [detail["code"] for detail in excinfo.value.details]


def test_a_draft_is_edited_in_place_and_published_after_the_checks(programme):
    # given
    rule = make_rule(programme, "R1", "X1", "C1", publish=False)
    # when
    edited = services.update_rule(
        rule,
        services.RuleData(programme_code="", number="", sources="X1", targets="C1+C2", mode="免修免考"),
        actor=None,
    )
    published = services.publish_rule(edited, actor=None)
    # then
    assert (published.pk, published.version, published.status) == (rule.pk, 1, "published")
    assert sorted(published.targets.values_list("course__code", flat=True)) == ["C1", "C2"]
    actions = list(
        AuditEntry.objects.filter(action__startswith="conversion.rule").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["conversion.rule_create", "conversion.rule_update", "conversion.rule_publish"]


def test_editing_a_published_rule_adds_a_version_and_the_same_content_changes_nothing(programme):
    # given
    rule = make_rule(programme, "R1", "X1", "C1")
    data = services.RuleData(
        programme_code="CS", number="R1", sources="X1", targets="C1", mode="免修免考", min_score="80"
    )
    # when
    second = services.update_rule(rule, data, actor=None)
    same = services.update_rule(second, data, actor=None)
    # then
    assert (second.version, second.min_score, same.pk) == (2, "80", second.pk)
    assert list(ConversionRule.objects.filter(number="R1").values_list("version", "is_current", "status")) == [
        (2, True, "published"),
        (1, False, "published"),
    ]
    with pytest.raises(Conflict) as old:
        services.update_rule(rule, data, actor=None)
    assert old.value.code == "rule_old_version"


def test_a_retired_rule_is_final(programme):
    # given
    rule = services.retire_rule(make_rule(programme, "R1", "X1", "C1"), actor=None)
    # when / then
    with pytest.raises(Conflict) as refused:
        services.publish_rule(rule, actor=None)
    assert (rule.status, refused.value.code) == ("retired", "rule_retired")


def test_publishing_checks_the_catalog_again(programme, items):
    # given: the draft named X2 while it was published; X2 is retired since
    rule = make_rule(programme, "R1", "X2", "C1", publish=False)
    catalog_services.retire_item(items["X2"], actor=None)
    draft_item = make_item(code="X9", name="拟议证书", publish=False)
    other = make_rule(programme, "R2", draft_item.code, "C3", publish=False)
    # when
    with pytest.raises(ValidationFailed) as retired:
        services.publish_rule(rule, actor=None)
    with pytest.raises(ValidationFailed) as draft:
        services.publish_rule(other, actor=None)
    # then
    assert (retired.value.code, _codes(retired)) == ("rule_not_publishable", ["rule_source_retired"])
    assert _codes(draft) == ["rule_source_not_published"]
    assert ConversionRule.objects.filter(status="published").count() == 0


def test_conflicts_only_with_published_rules_in_effect_at_the_same_time(programme):
    # given
    make_rule(programme, "R1", "X1", "C1", effective_to="2025-12-31")
    make_rule(programme, "R2", "X1", "C1", publish=False)
    # when: R3 starts when R1 ends; R4 overlaps R1 in time
    later = make_rule(programme, "R3", "X1", "C1", effective_from="2026-01-01")
    with pytest.raises(ValidationFailed) as overlapping:
        make_rule(programme, "R4", "X1", "C1", effective_from="2025-06-01")
    # then
    assert later.status == "published"
    assert _codes(overlapping) == ["rule_duplicate", "rule_duplicate"]
    assert [d["rule"] for d in overlapping.value.details] == ["R1", "R3"]


def test_a_tier_is_allowed_and_a_partial_overlap_is_not(programme):
    # given
    make_rule(programme, "R1", "X1", "C1")
    # when
    tier = make_rule(programme, "R2", "X1+X2", "C1+C2")
    with pytest.raises(ValidationFailed) as partial:
        make_rule(programme, "R3", "X1", "C2+C3")
    # then
    assert tier.status == "published"
    assert _codes(partial) == ["rule_conflict"]


def test_a_number_is_taken_once_per_programme(programme, tree):
    # given
    make_rule(programme, "R1", "X1", "C1")
    other = make_programme(tree.b, code="ACC", courses={"A1": (3, "必修")})
    # when
    elsewhere = make_rule(other, "R1", "X1", "A1")
    with pytest.raises(Conflict) as taken:
        make_rule(programme, "R1", "X2", "C2")
    # then
    assert elsewhere.programme == other
    assert taken.value.code == "rule_duplicate"


def test_only_the_owning_centre_and_the_management_centre_manage(
    programme, tree, root_admin, other_admin, centre_admin
):
    # given: other_admin is B's administrator (B owns the programme); centre_admin is A's
    reviewer = make_staff(tree.b, "reviewer", username="b_reviewer")
    data = services.RuleData(programme_code="CS", number="R1", sources="X1", targets="C1", mode="免修免考")
    # when
    created = services.create_rule(data, actor=other_admin, publish=True)
    by_root = services.retire_rule(created, actor=root_admin)
    # then
    assert by_root.status == "retired"
    for actor in (centre_admin, reviewer):
        with pytest.raises(Forbidden) as refused:
            services.create_rule(
                services.RuleData(programme_code="CS", number="R2", sources="X2", targets="C2", mode="免修免考"),
                actor=actor,
                publish=False,
            )
        assert refused.value.code == "role_cannot_conversion_manage"
    assert list(Programme.objects.visible_to(other_admin)) == [programme]
    assert list(Programme.objects.visible_to(root_admin)) == [programme]
    assert list(Programme.objects.visible_to(centre_admin)) == []
    assert list(ConversionRule.objects.visible_to(other_admin).values_list("number", flat=True)) == ["R1"]
    assert ConversionRule.objects.visible_to(centre_admin).count() == 0


def test_a_programme_cannot_change_hands_nor_have_a_cap_outside_0_and_1(programme, tree):
    # given
    from creditbank.orgs.tests.factories import make_org

    other = make_org(tree.mc, kind="centre", code="U2", category="university")
    values = services.ProgrammeValues(
        code="CS", name="计算机", level="bachelor", org=other, total_credits=Decimal(40), conversion_cap=Decimal("0.5")
    )
    # when / then
    with pytest.raises(Conflict) as taken:
        services.save_programme(values, actor=None)
    assert taken.value.code == "programme_code_taken"
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(conversion_cap=Decimal("1.5"))


# --- the classification itself (pure) --------------------------------------------------------------------


def _shape(
    number: str,
    sources: str | list[str],
    targets: str | list[str],
    *,
    mode: str = "exemption",
    count: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> RuleShape:
    return RuleShape(number, 1, mode, frozenset(sources), count, frozenset(targets), start, end)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (_shape("A", "X", "C"), _shape("B", "X", "C"), "rule_duplicate"),
        (_shape("A", "X", "C"), _shape("B", "X", "C", mode="recognition"), "rule_mode_conflict"),
        (_shape("A", "X", "C"), _shape("B", "X", ["C", "D"]), None),
        (_shape("A", "X", "C"), _shape("B", ["X", "Y"], ["C", "D"]), None),
        (_shape("A", ["X", "Y"], "C"), _shape("B", "X", ["C", "D"]), "rule_conflict"),
        (_shape("A", "X", "C"), _shape("B", "X", ["C", "D"], mode="recognition"), "rule_mode_conflict"),
        (_shape("A", "X", ["C", "D"]), _shape("B", "X", ["D", "E"]), "rule_conflict"),
        (_shape("A", "X", "C"), _shape("B", "Y", "C"), None),
        (_shape("A", "X", "C"), _shape("B", "X", "D"), None),
        (_shape("A", ["X", "Y"], "C", count=1), _shape("B", ["X", "Y"], ["C", "D"], count=1), None),
        (_shape("A", ["X", "Y"], "C", count=1), _shape("B", ["X", "Y", "Z"], ["C", "D"], count=1), "rule_conflict"),
        (_shape("A", ["X", "Y"], "C", count=1), _shape("B", ["X", "Y"], "C", count=1), "rule_duplicate"),
        (
            _shape("A", "X", "C", end=dt.date(2025, 1, 1)),
            _shape("B", "X", "C", start=dt.date(2025, 1, 2)),
            None,
        ),
        (
            _shape("A", "X", "C", end=dt.date(2025, 1, 1)),
            _shape("B", "X", "C", start=dt.date(2025, 1, 1)),
            "rule_duplicate",
        ),
    ],
)
def test_classify(a, b, expected):
    assert conflicts.classify(a, b) == expected
    assert conflicts.classify(b, a) == expected
