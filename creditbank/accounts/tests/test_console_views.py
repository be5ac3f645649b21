"""Console pages for learners: search, masked detail, logged unmasking, status, counter opening."""

from __future__ import annotations

import pytest
from django.urls import reverse

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.accounts.tests.factories import identity_data, make_learner
from creditbank.audit.models import AuditEntry
from creditbank.console.tests.helpers import assert_redirects_to_login, staff_without_membership_client

pytestmark = pytest.mark.django_db

LIST = "/console/learners/"
OPEN = "/console/learners/open/"


def _detail(learner):
    return f"/console/learners/{learner.account_no}/"


def _accounts(response):
    return [learner.account_no for learner in response.context["page_obj"]]


def test_url_names():
    # then
    assert reverse("learners:learner-list") == LIST
    assert reverse("learners:learner-open") == OPEN
    assert reverse("learners:learner-detail", args=["100000000018"]) == "/console/learners/100000000018/"
    assert reverse("learners:learner-unmask", args=["100000000018"]) == "/console/learners/100000000018/unmask/"
    assert reverse("learners:learner-status", args=["100000000018"]) == "/console/learners/100000000018/status/"


# --- who gets in -------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "detail", "open", "unmask", "status"])
def test_anonymous_is_sent_to_login(anon_client, learner_a, page):
    # given
    url, method = {
        "list": (LIST, "get"),
        "detail": (_detail(learner_a), "get"),
        "open": (OPEN, "get"),
        "unmask": (_detail(learner_a) + "unmask/", "post"),
        "status": (_detail(learner_a) + "status/", "post"),
    }[page]
    # when
    response = getattr(anon_client, method)(url, {"status": "frozen"} if page == "status" else {})
    # then
    assert_redirects_to_login(response)
    learner_a.refresh_from_db()
    assert learner_a.status == LearnerStatus.ACTIVE


@pytest.mark.parametrize("page", ["list", "detail", "open", "unmask", "status"])
def test_learner_and_staff_without_membership_are_refused(learner_client, learner_a, page):
    # given
    url, method = {
        "list": (LIST, "get"),
        "detail": (_detail(learner_a), "get"),
        "open": (OPEN, "get"),
        "unmask": (_detail(learner_a) + "unmask/", "post"),
        "status": (_detail(learner_a) + "status/", "post"),
    }[page]
    nomember = staff_without_membership_client()
    # when
    responses = [getattr(client, method)(url, {"status": "frozen"}) for client in (learner_client, nomember)]
    # then
    assert [response.status_code for response in responses] == [403, 403]
    learner_a.refresh_from_db()
    assert learner_a.status == LearnerStatus.ACTIVE
    assert AuditEntry.objects.filter(action__in=["accounts.unmask_pii", "accounts.set_status"]).count() == 0


def test_roles_without_accounts_view_are_refused(root_auditor_client, learner_a):
    # when
    listing = root_auditor_client.get(LIST)
    detail = root_auditor_client.get(_detail(learner_a))
    # then: the auditor has no accounts.view anywhere, so the learner is out of its scope
    assert listing.status_code == 403
    assert detail.status_code == 404


# --- search and list ---------------------------------------------------------------------------


def test_list_shows_only_learners_in_scope(centre_admin_client, learner_a, learner_b):
    # when
    response = centre_admin_client.get(LIST)
    # then
    assert response.status_code == 200
    assert _accounts(response) == [learner_a.account_no]


def test_list_shows_masked_numbers_only(centre_admin_client, learner_a):
    # when
    content = centre_admin_client.get(LIST).content.decode()
    # then
    assert learner_a.id_number not in content
    assert learner_a.phone not in content
    assert learner_a.id_number_masked in content
    assert learner_a.phone_masked in content
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0


@pytest.mark.parametrize("field", ["id_number", "phone", "account_no", "name"])
def test_one_box_finds_by_id_phone_account_or_name(centre_admin_client, tree, learner_a, field):
    # given: another learner in scope who must not match
    make_learner(tree.a_sub, password=None, name="欧阳娜娜")
    value = getattr(learner_a, field)
    # when
    response = centre_admin_client.get(LIST, {"q": value})
    # then
    assert _accounts(response) == [learner_a.account_no]


def test_search_does_not_reach_outside_scope(centre_admin_client, learner_b):
    # when
    response = centre_admin_client.get(LIST, {"q": learner_b.id_number})
    # then
    assert _accounts(response) == []


def test_status_filter(centre_admin_client, tree, learner_a):
    # given
    frozen = make_learner(tree.a_point, status=LearnerStatus.FROZEN, password=None)
    # when
    response = centre_admin_client.get(LIST, {"status": "frozen"})
    # then
    assert _accounts(response) == [frozen.account_no]


def test_list_answers_htmx_with_rows_partial(centre_admin_client, learner_a):
    # when
    response = centre_admin_client.get(LIST, {"q": learner_a.account_no}, HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/console/partials/_learner_rows.html"


@pytest.mark.parametrize("size", [10, 100])
def test_list_query_budget(centre_admin_client, tree, django_assert_max_num_queries, size):
    # given
    for _ in range(size):
        make_learner(tree.a_point, password=None)
    # when / then
    with django_assert_max_num_queries(8):
        response = centre_admin_client.get(LIST)
    assert len(response.context["page_obj"]) == min(size, 50)


# --- detail and unmasking ----------------------------------------------------------------------


def test_detail_out_of_scope_is_404(other_admin_client, learner_a):
    # when
    response = other_admin_client.get(_detail(learner_a))
    # then: centre B's administrator cannot tell centre A's learner exists
    assert response.status_code == 404


def test_detail_is_masked_and_writes_no_audit_row(centre_operator_client, learner_a):
    # when
    response = centre_operator_client.get(_detail(learner_a))
    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert learner_a.id_number not in content
    assert learner_a.id_number_masked in content
    assert response.context["can_unmask"] is False
    assert 'id="unmask-button"' not in content
    assert AuditEntry.objects.filter(action__startswith="accounts.").count() == 0


def test_detail_offers_unmask_to_roles_with_accounts_unmask(centre_reviewer_client, learner_a):
    # when
    response = centre_reviewer_client.get(_detail(learner_a))
    # then
    assert response.context["can_unmask"] is True
    assert 'id="unmask-button"' in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0


def test_unmask_shows_full_numbers_and_logs_it(centre_admin_client, centre_admin, learner_a):
    # when
    response = centre_admin_client.post(_detail(learner_a) + "unmask/", HTTP_HX_REQUEST="true")
    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "accounts/console/partials/_pii.html"
    assert learner_a.id_number in content
    assert learner_a.phone in content
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="accounts.unmask_pii")
    assert (entry.actor, entry.object_id) == (centre_admin, str(learner_a.pk))


def test_unmask_without_htmx_renders_the_detail_page(centre_admin_client, learner_a):
    # when
    response = centre_admin_client.post(_detail(learner_a) + "unmask/")
    # then
    assert response.status_code == 200
    assert learner_a.id_number in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 1


def test_unmask_refused_for_role_without_accounts_unmask(centre_operator_client, learner_a):
    # when
    response = centre_operator_client.post(_detail(learner_a) + "unmask/")
    # then
    assert response.status_code == 403
    assert learner_a.id_number not in response.content.decode()
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0


def test_unmask_out_of_scope_is_404(other_admin_client, learner_a):
    # when
    response = other_admin_client.post(_detail(learner_a) + "unmask/")
    # then
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0


def test_unmask_by_get_is_not_allowed(centre_admin_client, learner_a):
    # when
    response = centre_admin_client.get(_detail(learner_a) + "unmask/")
    # then
    assert response.status_code == 405
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0


# --- status --------------------------------------------------------------------------------------


def test_freeze_and_unfreeze(centre_admin_client, centre_admin, learner_a):
    # when
    frozen = centre_admin_client.post(_detail(learner_a) + "status/", {"status": "frozen"})
    learner_a.refresh_from_db()
    status_after_freeze = learner_a.status
    unfrozen = centre_admin_client.post(_detail(learner_a) + "status/", {"status": "active"})
    # then
    assert frozen.status_code == 302
    assert status_after_freeze == LearnerStatus.FROZEN
    assert unfrozen.status_code == 302
    learner_a.refresh_from_db()
    assert learner_a.status == LearnerStatus.ACTIVE
    entries = AuditEntry.objects.filter(action="accounts.set_status", actor=centre_admin).order_by("id")
    assert [(e.before, e.after) for e in entries] == [
        ({"status": "active"}, {"status": "frozen"}),
        ({"status": "frozen"}, {"status": "active"}),
    ]


def test_detail_offers_the_status_buttons_for_the_current_status(centre_admin_client, tree, learner_a):
    # given
    frozen_pending = make_learner(tree.a_point, status=LearnerStatus.FROZEN, password=None)
    # when
    active = centre_admin_client.get(_detail(learner_a))
    frozen = centre_admin_client.get(_detail(frozen_pending))
    # then: a frozen account that was never activated goes back to pending
    assert [a["status"] for a in active.context["status_actions"]] == ["frozen", "closed"]
    assert [a["status"] for a in frozen.context["status_actions"]] == ["pending", "closed"]


def test_invalid_status_change_rerenders_with_error(centre_admin_client, tree):
    # given
    closed = make_learner(tree.a_point, status=LearnerStatus.CLOSED, password=None)
    # when
    response = centre_admin_client.post(_detail(closed) + "status/", {"status": "active"})
    bogus = centre_admin_client.post(_detail(closed) + "status/", {"status": "deleted"})
    # then
    assert response.status_code == 200
    assert response.context["status_error"]
    assert bogus.status_code == 200
    closed.refresh_from_db()
    assert closed.status == LearnerStatus.CLOSED
    assert AuditEntry.objects.filter(action="accounts.set_status").count() == 0


def test_status_change_refused_for_role_without_accounts_manage(centre_operator_client, learner_a):
    # when
    response = centre_operator_client.post(_detail(learner_a) + "status/", {"status": "frozen"})
    # then
    assert response.status_code == 403
    learner_a.refresh_from_db()
    assert learner_a.status == LearnerStatus.ACTIVE


def test_status_change_out_of_scope_is_404(other_admin_client, learner_a):
    # when
    response = other_admin_client.post(_detail(learner_a) + "status/", {"status": "closed"})
    # then
    assert response.status_code == 404
    learner_a.refresh_from_db()
    assert learner_a.status == LearnerStatus.ACTIVE
    assert AuditEntry.objects.filter(action="accounts.set_status").count() == 0


# --- counter opening -----------------------------------------------------------------------------


def _opening(**overrides):
    person = identity_data()
    return {
        "name": person["name"],
        "id_type": "resident_id",
        "id_number": person["id_number"],
        "phone": person["phone"],
        "region": person["region"],
        "org": "A-PT",
        **overrides,
    }


def test_form_offers_only_orgs_where_the_user_opens_accounts(point_operator_client, centre_operator_client, tree):
    # when
    point = point_operator_client.get(OPEN)
    centre = centre_operator_client.get(OPEN)
    # then
    assert point.status_code == 200
    assert [org.code for org in point.context["form"].fields["org"].queryset] == ["A-PT"]
    assert point.context["form"].initial["org"] == "A-PT"
    assert [org.code for org in centre.context["form"].fields["org"].queryset] == ["A", "A-SUB", "A-PT"]


def test_counter_opening_creates_a_pending_account(point_operator_client, point_operator, tree):
    # given
    data = _opening()
    # when
    response = point_operator_client.post(OPEN, data)
    # then
    learner = Learner.objects.get(name=data["name"])
    assert response.status_code == 302
    assert response["Location"] == f"/console/learners/{learner.account_no}/opened/"
    assert (learner.org, learner.status, learner.opened_via) == (tree.a_point, "pending", "counter")
    assert learner.id_number == data["id_number"]
    assert (
        AuditEntry.objects.filter(action="accounts.open", actor=point_operator, object_id=str(learner.pk)).count() == 1
    )
    done = point_operator_client.get(response["Location"])
    assert done.status_code == 200
    assert learner.account_no in done.content.decode()
    assert learner.phone_masked in done.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": "340104199001011234"}, "id_number"),  # wrong check digit
        ({"phone": "12345"}, "phone"),
        ({"name": "1"}, "name"),
        ({"org": "B"}, "org"),  # out of scope: not a choice
        ({"region": "999999"}, "region"),
    ],
)
def test_counter_opening_with_bad_input_rerenders(point_operator_client, tree, changes, field):
    # given
    before = Learner.objects.count()
    # when
    response = point_operator_client.post(OPEN, _opening(**changes))
    # then
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Learner.objects.count() == before
    assert AuditEntry.objects.filter(action="accounts.open").count() == 0


def test_counter_opening_of_an_existing_person_is_a_field_error(point_operator_client, learner_b):
    # when: the person already has an account at centre B, outside this operator's scope
    response = point_operator_client.post(OPEN, _opening(id_number=learner_b.id_number))
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]
    assert Learner.objects.count() == 1


def test_counter_opening_refused_without_accounts_open(centre_reviewer_client, tree):
    # when
    page = centre_reviewer_client.get(OPEN)
    response = centre_reviewer_client.post(OPEN, _opening())
    # then
    assert page.status_code == 403
    assert response.status_code == 403
    assert Learner.objects.count() == 0


def test_opened_page_out_of_scope_is_404(other_admin_client, learner_a):
    # when
    response = other_admin_client.get(f"/console/learners/{learner_a.account_no}/opened/")
    # then
    assert response.status_code == 404


def test_counter_opening_shows_every_field_error_at_once(point_operator_client, tree):
    # when: a bad ID number and phone, and no organisation chosen
    response = point_operator_client.post(OPEN, _opening(id_number="340104199001011234", phone="123", org=""))
    # then
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"id_number", "phone", "org"}
    assert Learner.objects.count() == 0


def test_export_follows_the_export_scope_not_the_view_scope(tree):
    # given a person who reviews at centre A (view, no export) and administers point A-PT (export)
    from django.test import Client

    from creditbank.orgs import services as org_services
    from creditbank.orgs.tests.factories import make_staff

    person = make_staff(tree.a, "reviewer")
    org_services.set_membership(actor=None, user=person, org=tree.a_point, roles=["administrator"])
    at_point, at_centre = make_learner(tree.a_point), make_learner(tree.a)
    client = Client()
    client.force_login(person)
    # when
    listing = client.get("/console/learners/")
    export = client.get("/console/learners/export.csv")
    # then the list shows both, the export only the point's learner, masked, and the export is logged
    assert {at_point.account_no, at_centre.account_no} <= set(listing.content.decode().split('"'))
    body = b"".join(export.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert at_point.account_no in body
    assert at_centre.account_no not in body
    assert at_point.id_number not in body
    assert at_point.id_number_masked in body
    assert AuditEntry.objects.filter(action="accounts.export", actor=person).count() == 1
