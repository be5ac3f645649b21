from decimal import Decimal

import pytest

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services
from creditbank.catalog.models import CatalogItem, Issuer
from creditbank.catalog.tests.factories import item_data, make_item
from creditbank.core.errors import Conflict, Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def _state():
    return (
        list(CatalogItem.objects.order_by("pk").values_list("code", "version", "status", "is_current", "credits")),
        Issuer.objects.count(),
        AuditEntry.objects.count(),
    )


def test_a_centre_proposes_a_draft_and_the_management_centre_publishes_it(tree, centre_admin, root_admin):
    # given a draft proposed by a centre administrator
    item = services.create_item(item_data(code="C-1"), actor=centre_admin, publish=False)
    assert (item.status, item.version, item.is_current) == ("draft", 1, True)
    # when the management centre publishes it
    published = services.publish_item(item, actor=root_admin)
    # then
    assert published.status == "published"
    actions = list(
        AuditEntry.objects.filter(object_type="catalog.catalogitem", object_id=str(item.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["catalog.create", "catalog.publish"]


def test_an_operator_may_propose(tree, centre_operator):
    item = services.create_item(item_data(code="OP-1"), actor=centre_operator, publish=False)
    assert item.status == "draft"


def test_a_centre_cannot_publish_nor_retire_nor_create_published(tree, centre_admin, centre_operator):
    # given
    draft = make_item(publish=False, code="D-1")
    published = make_item(code="P-1")
    before = _state()
    # when / then
    for actor in (centre_admin, centre_operator):
        with pytest.raises(Forbidden) as publishing:
            services.publish_item(draft, actor=actor)
        assert publishing.value.code == "role_cannot_catalog_publish"
        with pytest.raises(Forbidden):
            services.retire_item(published, actor=actor)
        with pytest.raises(Forbidden):
            services.create_item(item_data(code="X-1"), actor=actor, publish=True)
        with pytest.raises(Forbidden):
            services.update_item(published, item_data(name="改名"), actor=actor)
    assert _state() == before


def test_a_role_without_propose_cannot_propose(tree, centre_reviewer):
    before = _state()
    with pytest.raises(Forbidden) as refused:
        services.create_item(item_data(code="R-1"), actor=centre_reviewer, publish=False)
    assert refused.value.code == "role_cannot_catalog_propose"
    assert _state() == before


def test_editing_a_published_item_makes_a_new_version_and_keeps_the_old(tree, root_admin):
    # given
    first = make_item(code="V-1", credits=Decimal("2"))
    # when
    second = services.update_item(first, item_data(code="ignored", credits=Decimal("2.5")), actor=root_admin)
    # then
    first.refresh_from_db()
    assert (second.code, second.version, second.status, second.is_current, second.credits) == (
        "V-1",
        2,
        "published",
        True,
        Decimal("2.5"),
    )
    assert (first.version, first.status, first.is_current, first.credits) == (1, "published", False, Decimal("2.0"))
    assert AuditEntry.objects.filter(action="catalog.new_version", object_id=str(second.pk)).count() == 1
    # and the old version cannot be edited any more
    with pytest.raises(Conflict) as old:
        services.update_item(first, item_data(), actor=root_admin)
    assert old.value.code == "catalog_old_version"


def test_editing_a_draft_changes_it_in_place(tree, centre_admin):
    draft = services.create_item(item_data(code="E-1"), actor=centre_admin, publish=False)
    edited = services.update_item(draft, item_data(name="数据库原理"), actor=centre_admin)
    assert (edited.pk, edited.version, edited.name, edited.name_initials) == (draft.pk, 1, "数据库原理", "sjkyl")
    assert CatalogItem.objects.filter(code="E-1").count() == 1


def test_a_draft_belongs_to_the_centre_that_proposed_it(tree, centre_admin, centre_operator, other_admin, root_admin):
    # given a draft proposed by centre A, and one made by the management centre
    draft = services.create_item(item_data(code="OWN-1"), actor=centre_operator, publish=False)
    assert (draft.proposed_by, draft.proposed_path) == (tree.a, tree.a.path)
    root_draft = make_item(publish=False, code="ROOT-1")
    before = _state()
    # when another centre, or centre A on the management centre's draft, edits: refused, nothing changes
    with pytest.raises(Forbidden) as refused:
        services.update_item(draft, item_data(name="改名"), actor=other_admin)
    assert refused.value.code == "catalog_not_your_draft"
    with pytest.raises(Forbidden):
        services.update_item(root_draft, item_data(name="改名"), actor=centre_admin)
    assert _state() == before
    # then centre A's administrator and the management centre may edit centre A's draft
    services.update_item(draft, item_data(name="甲中心改"), actor=centre_admin)
    edited = services.update_item(draft, item_data(name="管理中心改"), actor=root_admin)
    assert edited.name == "管理中心改"


def test_a_duplicate_code_is_refused_and_nothing_changes(tree):
    make_item(code="DUP-1")
    before = _state()
    with pytest.raises(Conflict) as refused:
        services.create_item(
            item_data(code="dup-1", issuer_code="NEWISSUER", issuer_name="新机构"), actor=None, publish=True
        )
    assert refused.value.code == "catalog_duplicate_code"
    assert _state() == before


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"type": "学位证书"}, "type", "catalog_unknown_type"),
        ({"credits": Decimal("-1")}, "credits", "catalog_negative_credits"),
        ({"credits": "-0.5"}, "credits", "catalog_negative_credits"),
        ({"credits": "abc"}, "credits", "catalog_invalid_number"),
        ({"credits": "NaN"}, "credits", "catalog_invalid_number"),
        ({"credits": "1.25"}, "credits", "catalog_invalid_number"),
        ({"level": 11}, "level", "catalog_unknown_level"),
        ({"hours": "十"}, "hours", "catalog_invalid_number"),
        ({"code": "坏 编码"}, "code", "catalog_code_format"),
        ({"name": "  "}, "name", "catalog_required"),
        ({"issuer_code": "NEW", "issuer_name": ""}, "issuer_name", "catalog_required"),
        ({"type": "competition_award", "credits": None}, "credits", "catalog_credits_required"),
    ],
)
def test_bad_input_is_refused_with_a_field_code_and_nothing_changes(tree, extra, field, code):
    # given
    before = _state()
    # when
    with pytest.raises(ValidationFailed) as refused:
        services.create_item(item_data(**extra), actor=None, publish=True)
    # then
    assert (field, code) in {(d["field"], d["code"]) for d in refused.value.details}
    assert _state() == before


def test_credits_left_open_follow_the_type_rule(tree):
    course = make_item(credits=None, hours=40)
    certificate = make_item(type="1+X证书", credits=None, hours=None, level="五级")
    assert course.credits == Decimal("2.5")
    assert certificate.credits == Decimal("6.0")


def test_an_unknown_issuer_code_with_a_name_creates_the_issuer(tree):
    item = make_item(issuer_code="hfut", issuer_name="合肥工业大学")
    assert (item.issuer.code, item.issuer.name) == ("HFUT", "合肥工业大学")
    assert AuditEntry.objects.filter(action="catalog.issuer_create").count() == 1


def test_a_retired_item_cannot_be_used_for_a_new_outcome_nor_edited(tree, root_admin):
    # given
    item = make_item(code="RET-1")
    assert services.item_for_new_outcome("ret-1").pk == item.pk
    services.retire_item(item, actor=root_admin)
    before = _state()
    # when / then
    with pytest.raises(Conflict) as used:
        services.item_for_new_outcome("RET-1")
    assert used.value.code == "catalog_item_retired"
    with pytest.raises(Conflict) as edited:
        services.update_item(item, item_data(), actor=root_admin)
    assert edited.value.code == "catalog_item_retired"
    with pytest.raises(Conflict):
        services.retire_item(item, actor=root_admin)
    assert _state() == before


def test_a_draft_or_missing_item_cannot_be_used_for_a_new_outcome(tree):
    make_item(publish=False, code="DR-1")
    with pytest.raises(Conflict) as draft:
        services.item_for_new_outcome("DR-1")
    assert draft.value.code == "catalog_item_not_published"
    with pytest.raises(NotFound):
        services.item_for_new_outcome("NOPE")


def test_publishing_twice_is_a_conflict(tree, root_admin):
    item = make_item(code="PUB-1")
    with pytest.raises(Conflict) as again:
        services.publish_item(item, actor=root_admin)
    assert again.value.code == "catalog_item_already_published"


def test_saving_a_published_item_unchanged_makes_no_new_version(tree, root_admin):
    item = services.create_item(item_data(code="SAME-1", standard_number=""), actor=root_admin, publish=True)
    before = _state()
    again = services.update_item(item, item_data(code="SAME-1"), actor=root_admin)
    assert again.pk == item.pk
    assert _state() == before
