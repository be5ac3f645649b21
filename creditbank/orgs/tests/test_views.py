"""Console pages of the service network and its staff: scope, roles, effects, audit rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from creditbank.accounts.models import User
from creditbank.audit.models import AuditEntry
from creditbank.console.tests.helpers import assert_redirects_to_login, staff_without_membership_client
from creditbank.orgs.models import Membership, OrgUnit
from creditbank.orgs.tests.factories import make_org, make_staff

pytestmark = pytest.mark.django_db

ORG_LIST = "/console/orgs/"
STAFF_LIST = "/console/staff/"
STAFF_NEW = "/console/staff/new/"
ROLES = "/console/staff/roles/"


def _codes(response):
    return [org.code for org in response.context["page_obj"]]


def test_url_names():
    # then
    assert reverse("orgs:org-list") == ORG_LIST
    assert reverse("orgs:org-detail", args=["A"]) == "/console/orgs/A/"
    assert reverse("orgs:org-create") == "/console/orgs/new/"
    assert reverse("orgs:org-edit", args=["A"]) == "/console/orgs/A/edit/"
    assert reverse("orgs:staff-list") == STAFF_LIST
    assert reverse("orgs:staff-create") == STAFF_NEW
    assert reverse("orgs:staff-memberships", args=["bob"]) == "/console/staff/bob/memberships/"
    assert reverse("orgs:role-list") == ROLES


# --- who gets in -------------------------------------------------------------------------------

PAGES = [
    ORG_LIST,
    "/console/orgs/A/",
    "/console/orgs/new/?parent=A-SUB",
    "/console/orgs/A-SUB/edit/",
    STAFF_LIST,
    STAFF_NEW,
    "/console/staff/point_operator/memberships/",
    ROLES,
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_login(anon_client, tree, url):
    # when
    response = anon_client.get(url)
    # then
    assert_redirects_to_login(response)


@pytest.mark.parametrize("url", PAGES)
def test_learner_is_refused(learner_client, point_operator, url):
    # when
    response = learner_client.get(url)
    # then
    assert response.status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_staff_without_membership_is_refused(tree, point_operator, url):
    # when
    response = staff_without_membership_client().get(url)
    # then
    assert response.status_code == 403


# --- the tree ----------------------------------------------------------------------------------


def test_list_shows_the_subtree_in_tree_order(centre_admin_client, tree):
    # when
    response = centre_admin_client.get(ORG_LIST)
    # then
    assert response.status_code == 200
    assert _codes(response) == ["A", "A-SUB", "A-PT"]
    content = response.content.decode()
    assert 'class="ps-3 text-nowrap"' in content
    assert 'class="ps-5 text-nowrap"' in content


def test_management_centre_lists_every_node(root_admin_client, tree):
    # when
    response = root_admin_client.get(ORG_LIST)
    # then
    assert _codes(response) == ["MC", "A", "A-SUB", "A-PT", "B"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=point", ["A-PT"]),
        ("q=蜀山", ["A-SUB"]),
        ("q=a-pt", ["A-PT"]),
        ("status=suspended", []),
        ("kind=bogus", ["A", "A-SUB", "A-PT"]),
    ],
)
def test_list_filters(centre_admin_client, tree, query, expected):
    # when
    response = centre_admin_client.get(f"{ORG_LIST}?{query}")
    # then: an unknown kind is a form error and the filter is ignored, never a 500
    assert response.status_code == 200
    assert _codes(response) == expected


def test_list_answers_htmx_with_the_rows_partial(centre_admin_client, tree):
    # when
    response = centre_admin_client.get(f"{ORG_LIST}?kind=point", HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "orgs/partials/_org_rows.html"
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize("size", [10, 100])
def test_list_query_budget(root_admin_client, tree, django_assert_max_num_queries, size):
    # given
    for _ in range(size):
        make_org(tree.a_sub, kind="point", region="340104")
    # when / then: the same number of queries whatever the number of rows
    with django_assert_max_num_queries(8):
        response = root_admin_client.get(ORG_LIST)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == min(size + 5, 50)


def test_detail_out_of_scope_is_404(other_admin_client, tree):
    # when
    response = other_admin_client.get("/console/orgs/A/")
    # then
    assert response.status_code == 404


def test_detail_shows_children_staff_and_counts(centre_admin_client, tree, learner_a, point_operator):
    # when
    response = centre_admin_client.get("/console/orgs/A-SUB/")
    # then
    assert response.status_code == 200
    assert [child.code for child in response.context["children_page"]] == ["A-PT"]
    assert response.context["subtree_size"] == 1
    assert response.context["learners_total"] == 1
    assert response.context["can_edit"] is True
    assert response.context["can_add_child"] is True
    assert [m.user.username for m in response.context["memberships"]] == []
    point = centre_admin_client.get("/console/orgs/A-PT/")
    assert [m.user.username for m in point.context["memberships"]] == ["point_operator"]
    assert point.context["can_add_child"] is False


def test_detail_hides_staff_from_roles_without_staff_manage(centre_operator_client, tree, point_operator):
    # when
    response = centre_operator_client.get("/console/orgs/A-PT/")
    # then
    assert response.status_code == 200
    assert "memberships" not in response.context
    assert response.context["can_edit"] is False


# --- creating nodes ------------------------------------------------------------------------------

NEW_POINT = {
    "parent": "A-SUB",
    "kind": "point",
    "code": "A-PT2",
    "name": "稻香村受理点",
    "region": "340104",
    "address": "合肥市蜀山区",
    "contact_name": "王老师",
    "contact_phone": "0551-65300012",
}


def test_centre_admin_creates_a_point_under_its_subcentre(centre_admin_client, tree, centre_admin):
    # when
    response = centre_admin_client.post("/console/orgs/new/", NEW_POINT)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/console/orgs/A-PT2/"
    org = OrgUnit.objects.get(code="A-PT2")
    assert org.parent == tree.a_sub
    assert org.path.startswith(tree.a_sub.path)
    assert org.kind == "point"
    entry = AuditEntry.objects.get(action="orgs.create", object_id=str(org.pk))
    assert entry.actor == centre_admin


def test_create_form_offers_only_kinds_allowed_under_the_parent(centre_admin_client, root_admin_client, tree):
    # when
    under_centre = centre_admin_client.get("/console/orgs/new/?parent=A")
    under_root = root_admin_client.get("/console/orgs/new/?parent=MC")
    # then
    assert [value for value, _label in under_centre.context["form"].fields["kind"].choices] == ["subcentre", "point"]
    assert "category" not in under_centre.context["form"].fields
    assert [value for value, _label in under_root.context["form"].fields["kind"].choices] == ["centre"]
    assert "category" in under_root.context["form"].fields


def test_create_without_parent_uses_the_users_own_node(centre_admin_client, tree):
    # when
    response = centre_admin_client.get("/console/orgs/new/")
    # then
    assert response.status_code == 200
    assert response.context["parent"] == tree.a


def test_create_refused_for_role_without_orgs_manage(centre_operator_client, tree):
    # when
    response = centre_operator_client.post("/console/orgs/new/", NEW_POINT)
    # then
    assert response.status_code == 403
    assert OrgUnit.objects.filter(code="A-PT2").exists() is False


def test_create_under_parent_out_of_scope_is_404(other_admin_client, tree):
    # when
    response = other_admin_client.post("/console/orgs/new/", NEW_POINT)
    # then
    assert response.status_code == 404
    assert OrgUnit.objects.filter(code="A-PT2").exists() is False
    assert AuditEntry.objects.filter(action="orgs.create", actor__username="other_admin").exists() is False


def test_only_the_management_centre_creates_centres(centre_admin_client, root_admin_client, tree):
    # given
    centre = {
        "parent": "MC",
        "kind": "centre",
        "code": "C",
        "name": "新中心",
        "region": "340300",
        "category": "vocational",
    }
    # when
    refused = centre_admin_client.post("/console/orgs/new/", centre)
    created = root_admin_client.post("/console/orgs/new/", centre)
    # then: the management centre is outside a centre's scope, so it looks missing
    assert refused.status_code == 404
    assert created.status_code == 302
    assert OrgUnit.objects.get(code="C").category == "vocational"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "a b"}, "code"),
        ({"code": "A-PT"}, "code"),  # taken
        ({"region": "999999"}, "region"),
        ({"kind": "centre"}, "kind"),
        ({"name": ""}, "name"),
    ],
)
def test_create_with_bad_input_rerenders_with_field_errors(centre_admin_client, tree, changes, field):
    # given
    before = OrgUnit.objects.count()
    # when
    response = centre_admin_client.post("/console/orgs/new/", {**NEW_POINT, **changes})
    # then
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert OrgUnit.objects.count() == before


def test_centre_without_category_is_refused(root_admin_client, tree):
    # when
    response = root_admin_client.post(
        "/console/orgs/new/", {"parent": "MC", "kind": "centre", "code": "C", "name": "新中心", "region": "340300"}
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["category"]
    assert OrgUnit.objects.filter(code="C").exists() is False


# --- editing nodes -------------------------------------------------------------------------------

EDIT = {
    "code": "A-SUB",
    "name": "蜀山区认证分中心",
    "region": "340104",
    "address": "新地址",
    "contact_name": "",
    "contact_phone": "",
    "status": "active",
}


def test_centre_admin_edits_its_subcentre(centre_admin_client, tree):
    # when
    response = centre_admin_client.post("/console/orgs/A-SUB/edit/", EDIT)
    # then
    assert response.status_code == 302
    tree.a_sub.refresh_from_db()
    assert tree.a_sub.name == "蜀山区认证分中心"
    assert tree.a_sub.address == "新地址"
    entry = AuditEntry.objects.get(action="orgs.update", object_id=str(tree.a_sub.pk))
    assert entry.before["name"] == "蜀山分中心"
    assert entry.after["name"] == "蜀山区认证分中心"


def test_centre_admin_cannot_edit_its_own_centre(centre_admin_client, tree):
    # when
    page = centre_admin_client.get("/console/orgs/A/edit/")
    response = centre_admin_client.post(
        "/console/orgs/A/edit/", {**EDIT, "code": "A", "name": "改名", "category": "local"}
    )
    # then: only the management centre edits centres
    assert page.status_code == 403
    assert response.status_code == 403
    tree.a.refresh_from_db()
    assert tree.a.name == "合肥中心"
    assert AuditEntry.objects.filter(action="orgs.update").count() == 0


def test_management_centre_edits_a_centre(root_admin_client, tree):
    # when
    response = root_admin_client.post(
        "/console/orgs/A/edit/", {**EDIT, "code": "A", "name": "合肥市中心", "category": "vocational"}
    )
    # then
    assert response.status_code == 302
    tree.a.refresh_from_db()
    assert (tree.a.name, tree.a.category) == ("合肥市中心", "vocational")


def test_edit_out_of_scope_is_404(other_admin_client, tree):
    # when
    response = other_admin_client.post("/console/orgs/A-SUB/edit/", EDIT)
    # then
    assert response.status_code == 404
    tree.a_sub.refresh_from_db()
    assert tree.a_sub.address == ""


def test_edit_with_taken_code_rerenders(centre_admin_client, tree):
    # when
    response = centre_admin_client.post("/console/orgs/A-SUB/edit/", {**EDIT, "code": "A-PT"})
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() or response.context["form"].errors.get("code")
    tree.a_sub.refresh_from_db()
    assert tree.a_sub.code == "A-SUB"


# --- staff -------------------------------------------------------------------------------------


def test_staff_list_shows_staff_in_scope_with_their_roles(
    centre_admin_client, centre_admin, point_operator, other_admin, root_admin
):
    # when
    response = centre_admin_client.get(STAFF_LIST)
    # then
    assert response.status_code == 200
    staff = list(response.context["page_obj"])
    assert [user.username for user in staff] == ["centre_admin", "point_operator"]
    point = staff[1]
    assert [(m.org.code, [r.code for r in m.roles.all()]) for m in point.scoped_memberships] == [("A-PT", ["operator"])]


def test_staff_list_hides_memberships_outside_scope(centre_admin_client, tree, point_operator):
    # given: the point operator also works for centre B
    Membership.objects.create(user=point_operator, org=tree.b, org_path=tree.b.path)
    # when
    response = centre_admin_client.get(STAFF_LIST)
    # then
    point = next(user for user in response.context["page_obj"] if user.username == "point_operator")
    assert [m.org.code for m in point.scoped_memberships] == ["A-PT"]


def test_staff_list_refused_for_role_without_staff_manage(centre_reviewer_client):
    # when
    response = centre_reviewer_client.get(STAFF_LIST)
    # then
    assert response.status_code == 403


@pytest.mark.parametrize("size", [10, 100])
def test_staff_list_query_budget(root_admin_client, tree, django_assert_max_num_queries, size):
    # given
    for _ in range(size):
        make_staff(tree.a_point, "operator")
    # when / then
    with django_assert_max_num_queries(10):
        response = root_admin_client.get(STAFF_LIST)
    assert response.status_code == 200
    assert len(response.context["page_obj"]) == min(size + 1, 50)


NEW_STAFF = {
    "username": "pt_reviewer",
    "display_name": "受理点审核员",
    "password1": "Xy7#pass-word",
    "password2": "Xy7#pass-word",
    "org": "A-PT",
    "roles": ["reviewer"],
}


def test_centre_admin_creates_staff_at_a_point(centre_admin_client, centre_admin, tree):
    # when
    response = centre_admin_client.post(STAFF_NEW, NEW_STAFF)
    # then
    assert response.status_code == 302
    assert response["Location"] == "/console/staff/pt_reviewer/memberships/"
    user = User.objects.get(username="pt_reviewer")
    assert user.is_staff_member
    assert user.check_password("Xy7#pass-word")
    membership = Membership.objects.get(user=user)
    assert membership.org == tree.a_point
    assert [role.code for role in membership.roles.all()] == ["reviewer"]
    assert AuditEntry.objects.filter(action="staff.create", actor=centre_admin).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"org": "B"}, "org"),  # out of scope: not among the choices
        ({"password2": "other"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"username": "centre_admin"}, "username"),
        ({"username": "1bad"}, "username"),
        ({"roles": []}, "roles"),
        ({"roles": ["king"]}, "roles"),
    ],
)
def test_create_staff_with_bad_input_rerenders(centre_admin_client, tree, centre_admin, changes, field):
    # given
    before = User.objects.count()
    # when
    response = centre_admin_client.post(STAFF_NEW, {**NEW_STAFF, **changes})
    # then
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert User.objects.count() == before


def test_create_staff_refused_without_staff_manage(centre_operator_client, tree):
    # when
    response = centre_operator_client.post(STAFF_NEW, NEW_STAFF)
    # then
    assert response.status_code == 403
    assert User.objects.filter(username="pt_reviewer").exists() is False


def test_memberships_page_of_staff_out_of_scope_is_404(centre_admin_client, other_admin):
    # when
    response = centre_admin_client.get("/console/staff/other_admin/memberships/")
    # then
    assert response.status_code == 404


def test_set_roles_of_a_membership(centre_admin_client, centre_admin, point_operator, tree):
    # when
    response = centre_admin_client.post(
        "/console/staff/point_operator/memberships/", {"org": "A-PT", "roles": ["operator", "reviewer"]}
    )
    # then
    assert response.status_code == 302
    membership = Membership.objects.get(user=point_operator, org=tree.a_point)
    assert sorted(role.code for role in membership.roles.all()) == ["operator", "reviewer"]
    entry = AuditEntry.objects.get(action="staff.set_membership", actor=centre_admin)
    assert entry.before == {"org": "A-PT", "roles": ["operator"]}
    assert entry.after == {"org": "A-PT", "roles": ["operator", "reviewer"]}


def test_add_a_second_membership_and_remove_it(centre_admin_client, point_operator, tree):
    # when
    added = centre_admin_client.post(
        "/console/staff/point_operator/memberships/", {"org": "A-SUB", "roles": ["operator"]}
    )
    page = centre_admin_client.get("/console/staff/point_operator/memberships/")
    removed = centre_admin_client.post("/console/staff/point_operator/memberships/", {"org": "A-SUB"})
    # then
    assert added.status_code == 302
    assert [row["membership"].org.code for row in page.context["rows"]] == ["A-SUB", "A-PT"]
    assert removed.status_code == 302
    assert list(Membership.objects.filter(user=point_operator).values_list("org__code", flat=True)) == ["A-PT"]


def test_set_membership_at_org_out_of_scope_is_refused(centre_admin_client, point_operator, tree):
    # when
    response = centre_admin_client.post(
        "/console/staff/point_operator/memberships/", {"org": "B", "roles": ["administrator"]}
    )
    # then
    assert response.status_code == 200
    assert "org" in response.context["form"].errors
    assert Membership.objects.filter(user=point_operator, org=tree.b).exists() is False


def test_role_page_lists_each_role_and_its_actions(centre_admin_client, tree):
    # when
    response = centre_admin_client.get(ROLES)
    # then
    assert response.status_code == 200
    rows = {row["role"].code: [code for code, _label in row["actions"]] for row in response.context["roles"]}
    assert sorted(rows) == ["administrator", "auditor", "operator", "reviewer"]
    assert rows["auditor"] == ["orgs.view", "audit.view"]


def test_role_page_refused_without_staff_manage(centre_operator_client):
    # when
    response = centre_operator_client.get(ROLES)
    # then
    assert response.status_code == 403


def test_query_count_of_detail_page_is_small(root_admin_client, tree):
    # given
    for _ in range(30):
        make_org(tree.a, kind="point", region="340100")
    # when
    with CaptureQueriesContext(connection) as queries:
        response = root_admin_client.get("/console/orgs/A/")
    # then
    assert response.status_code == 200
    assert len(queries) <= 16
