import pytest

from creditbank.audit.models import AuditEntry
from creditbank.core.errors import Conflict, Forbidden, ValidationFailed
from creditbank.orgs import permissions, services
from creditbank.orgs.models import OrgUnit, Region
from creditbank.orgs.tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_regions_of_anhui_are_loaded():
    assert Region.objects.filter(is_current=True, level="city").count() == 16
    assert Region.objects.get(code="340000").name == "安徽省"
    # historical codes stay available for old ID numbers
    assert Region.objects.get(code="341400").is_current is False


def test_paths_make_subtrees_one_prefix(tree):
    assert tree.a_point.path.startswith(tree.a_sub.path)
    assert tree.a_sub.path.startswith(tree.a.path)
    assert not tree.b.path.startswith(tree.a.path)
    assert set(OrgUnit.objects.subtree_of(tree.a)) == {tree.a, tree.a_sub, tree.a_point}
    assert tree.a_point.category == "local"  # inherited from its centre


def test_centre_creates_points_but_not_centres(tree, centre_admin):
    point = services.create_org(
        actor=centre_admin, parent=tree.a, kind="point", code="a-new", name="新受理点", region="340102"
    )
    assert point.code == "A-NEW"
    assert AuditEntry.objects.filter(action="orgs.create", object_id=str(point.pk)).count() == 1
    with pytest.raises(Forbidden):
        services.create_org(
            actor=centre_admin, parent=tree.mc, kind="centre", code="X1", name="x", region="340100", category="local"
        )
    with pytest.raises(Forbidden):
        services.create_org(actor=centre_admin, parent=tree.b, kind="point", code="X2", name="x", region="340200")


def test_kind_must_fit_the_parent(tree, root_admin):
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_org(actor=root_admin, parent=tree.a_point, kind="point", code="X3", name="x", region="340100")
    assert excinfo.value.details[0]["code"] == "invalid_parent_kind"
    with pytest.raises(ValidationFailed):
        services.create_org(
            actor=root_admin, parent=tree.mc, kind="centre", code="X4", name="x", region="340100", category=""
        )


def test_duplicate_code_and_unknown_region(tree, root_admin):
    with pytest.raises(Conflict):
        services.create_org(
            actor=root_admin, parent=tree.mc, kind="centre", code="B", name="x", region="340100", category="local"
        )
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_org(
            actor=root_admin, parent=tree.mc, kind="centre", code="X5", name="x", region="999999", category="local"
        )
    assert excinfo.value.details[0]["code"] == "region_unknown"
    assert OrgUnit.objects.filter(code__in=["X5"]).count() == 0


def test_centre_edits_its_children_but_not_itself(tree, centre_admin, root_admin):
    services.update_org(tree.a_point, actor=centre_admin, address="新地址")
    tree.a_point.refresh_from_db()
    assert tree.a_point.address == "新地址"
    with pytest.raises(Forbidden):
        services.update_org(tree.a, actor=centre_admin, name="改名")
    services.update_org(tree.a, actor=root_admin, name="合肥中心（新）")
    tree.a.refresh_from_db()
    assert tree.a.name == "合肥中心（新）"
    entry = AuditEntry.objects.filter(action="orgs.update", object_id=str(tree.a.pk)).get()
    assert (entry.before["name"], entry.after["name"]) == ("合肥中心", "合肥中心（新）")


def test_roles_are_data(tree):
    # given a role whose actions change in the database
    from creditbank.orgs.models import Role

    user = make_staff(tree.a, "operator")
    assert permissions.can(user, "accounts.import", tree.a_point.path)
    assert not permissions.can(user, "reviews.accept", tree.a.path)
    Role.objects.filter(code="operator").update(actions=["orgs.view", "reviews.accept"])
    permissions.forget(user)
    # then the grant follows the data, not the code
    assert permissions.can(user, "reviews.accept", tree.a.path)
    assert not permissions.can(user, "accounts.import", tree.a.path)


def test_management_centre_sees_everything(tree, root_admin):
    assert set(OrgUnit.objects.visible_to(root_admin)) == set(OrgUnit.objects.all())
    assert permissions.can(root_admin, "accounts.view", tree.b.path)


def test_suspended_org_grants_nothing(tree, centre_admin, root_admin):
    services.update_org(tree.a, actor=root_admin, status="suspended")
    user = type(centre_admin).objects.get(pk=centre_admin.pk)
    assert permissions.scope_paths(user, "accounts.view") == ()


def test_staff_creation_checks_scope_and_names(tree, centre_admin):
    user = services.create_staff_user(
        actor=centre_admin, org=tree.a_sub, username="sub.op", password="Staff@pass123", roles=["operator"]
    )
    assert permissions.can(user, "accounts.open", tree.a_point.path)
    with pytest.raises(Forbidden):
        services.create_staff_user(
            actor=centre_admin, org=tree.b, username="b.op", password="Staff@pass123", roles=["operator"]
        )
    with pytest.raises(Conflict):
        services.create_staff_user(
            actor=centre_admin, org=tree.a, username="SUB.OP", password="Staff@pass123", roles=["operator"]
        )
    with pytest.raises(ValidationFailed):
        services.set_membership(actor=centre_admin, user=user, org=tree.a, roles=["nope"])


def test_demo_is_idempotent(db):
    from creditbank import demo
    from creditbank.accounts.models import Learner
    from creditbank.catalog.models import CatalogItem

    first = demo.load_demo(learners=12)
    counts = (OrgUnit.objects.count(), Learner.objects.count(), CatalogItem.objects.count())
    second = demo.load_demo(learners=12)
    assert (OrgUnit.objects.count(), Learner.objects.count(), CatalogItem.objects.count()) == counts
    assert counts[2] >= 300
    assert first == second
    centres = OrgUnit.objects.filter(kind="centre")
    assert centres.count() >= 10
    assert set(centres.values_list("category", flat=True)) == {
        "university",
        "local",
        "vocational",
        "farmer",
        "industry",
    }
    assert {login.role for login in first} >= {"administrator", "reviewer", "operator", "auditor", "learner"}
