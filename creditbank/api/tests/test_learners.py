"""``/api/v1/learners``: staff find, open, unmask and freeze learner accounts in their scope."""

import re

import pytest

from creditbank.accounts.models import Learner
from creditbank.accounts.tests.factories import identity_data, make_learner
from creditbank.api.tests.helpers import count_queries, post_json
from creditbank.audit.models import AuditEntry
from creditbank.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


def _numbers(response):
    return [item["account_no"] for item in response.json()["items"]]


# --- list ------------------------------------------------------------------------------------


def test_lists_learners_in_scope_with_masked_numbers(tree, centre_admin_client, learner_a, learner_b):
    # when
    response = centre_admin_client.get("/api/v1/learners")
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["items"] == [
        {
            "account_no": learner_a.account_no,
            "name": learner_a.name,
            "id_type": "resident_id",
            "id_number_masked": learner_a.id_number_masked,
            "phone_masked": learner_a.phone_masked,
            "status": "active",
            "org": {"code": "A-PT", "name": "三里庵受理点"},
            "region": {"code": learner_a.region.code, "name": learner_a.region.name},
            "opened_via": "counter",
            "activated_at": response.json()["items"][0]["activated_at"],
            "created_at": response.json()["items"][0]["created_at"],
        }
    ]
    content = response.content.decode()
    assert learner_a.id_number not in content
    assert learner_a.phone not in content
    assert re.fullmatch(r"34\d\*{11}[\dX]{4}", learner_a.id_number_masked)
    assert re.fullmatch(r"139\*{4}\d{4}", learner_a.phone_masked)


def test_management_centre_sees_every_centre(tree, root_admin_client, learner_a, learner_b):
    # when
    response = root_admin_client.get("/api/v1/learners")
    # then
    assert sorted(_numbers(response)) == sorted([learner_a.account_no, learner_b.account_no])


@pytest.mark.parametrize("field", ["id_number", "phone", "account_no", "name", "q"])
def test_finds_a_learner_by_what_staff_type(tree, root_admin_client, learner_a, learner_b, field):
    # given
    value = {"q": learner_a.id_number}.get(field) or getattr(learner_a, field)
    # when
    response = root_admin_client.get("/api/v1/learners", {field: value})
    # then
    assert response.status_code == 200
    assert _numbers(response) == [learner_a.account_no]


def test_search_by_id_number_outside_scope_finds_nothing(tree, centre_admin_client, learner_b):
    # when
    response = centre_admin_client.get("/api/v1/learners", {"id_number": learner_b.id_number})
    # then
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 0}


def test_filters_by_status_and_paginates(tree, root_admin_client):
    # given
    frozen = [make_learner(tree.a_point, status="frozen", password=None) for _ in range(3)]
    make_learner(tree.a_point, password=None)
    # when
    response = root_admin_client.get("/api/v1/learners?status=frozen&limit=2&offset=1")
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert _numbers(response) == [learner.account_no for learner in reversed(frozen)][1:3]


def test_malformed_phone_filter_finds_nothing(tree, centre_admin_client, learner_a):
    # when
    response = centre_admin_client.get("/api/v1/learners?phone=abc")
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_list_query_count_does_not_grow_with_rows(tree, centre_admin_client, django_assert_max_num_queries):
    # given
    for _ in range(10):
        make_learner(tree.a_point, password=None)
    small, small_body = count_queries(
        django_assert_max_num_queries, centre_admin_client, "/api/v1/learners?limit=200", budget=6
    )
    for _ in range(90):
        make_learner(tree.a_sub, password=None)
    # when
    large, large_body = count_queries(
        django_assert_max_num_queries, centre_admin_client, "/api/v1/learners?limit=200", budget=6
    )
    # then
    assert (small_body["count"], len(large_body["items"])) == (10, 100)
    assert large == small


# --- detail ----------------------------------------------------------------------------------


def test_detail_in_scope(tree, centre_operator_client, learner_a):
    # when
    response = centre_operator_client.get(f"/api/v1/learners/{learner_a.account_no}")
    # then
    assert response.status_code == 200
    assert response.json()["account_no"] == learner_a.account_no
    assert response.json()["id_number_masked"] == learner_a.id_number_masked


def test_detail_out_of_scope_looks_missing(tree, other_admin_client, learner_a):
    # when
    out_of_scope = other_admin_client.get(f"/api/v1/learners/{learner_a.account_no}")
    missing = other_admin_client.get("/api/v1/learners/100000000000")
    # then
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert out_of_scope.json()["code"] == "learner_not_found"


# --- opening at the counter ------------------------------------------------------------------


def test_opens_an_account_at_the_counter(tree, point_operator_client, point_operator):
    # given
    data = identity_data()
    # when
    response = post_json(point_operator_client, "/api/v1/learners", {"org": "a-pt", **data})
    # then
    assert response.status_code == 201
    body = response.json()
    learner = Learner.objects.get(account_no=body["account_no"])
    assert (learner.name, learner.id_number, learner.phone, learner.org_id) == (
        data["name"],
        data["id_number"],
        data["phone"],
        tree.a_point.pk,
    )
    assert (body["status"], body["opened_via"], body["org"]["code"]) == ("pending", "counter", "A-PT")
    assert body["region"]["code"] == data["region"]
    assert body["id_number_masked"] == learner.id_number_masked
    assert data["id_number"] not in response.content.decode()
    entry = AuditEntry.objects.get(action="accounts.open")
    assert (entry.actor_id, entry.object_id) == (point_operator.pk, str(learner.pk))


def test_duplicate_person_is_409(tree, point_operator_client, learner_a):
    # given
    data = {**identity_data(), "id_number": learner_a.id_number}
    # when
    response = post_json(point_operator_client, "/api/v1/learners", {"org": "A-PT", **data})
    # then
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_id_number"
    assert [(detail["field"], detail["code"]) for detail in body["details"]] == [("id_number", "duplicate_id_number")]
    assert Learner.objects.count() == 1
    assert AuditEntry.objects.filter(action="accounts.open").count() == 0


def test_opening_in_a_suspended_org_is_refused(tree, centre_admin_client):
    # given
    OrgUnit.objects.filter(pk=tree.a_point.pk).update(status="suspended")
    # when
    response = post_json(centre_admin_client, "/api/v1/learners", {"org": "A-PT", **identity_data()})
    # then
    assert response.status_code == 422
    assert response.json()["details"][0]["code"] == "org_not_accepting"
    assert Learner.objects.count() == 0


def test_opening_with_an_unknown_region_is_422(tree, centre_admin_client):
    # when
    response = post_json(
        centre_admin_client, "/api/v1/learners", {"org": "A-PT", **identity_data(), "region": "999999"}
    )
    # then
    assert response.status_code == 422
    assert [detail["field"] for detail in response.json()["details"]] == ["region"]
    assert Learner.objects.count() == 0


# --- unmask and status -----------------------------------------------------------------------


def test_unmask_returns_the_numbers_and_is_logged(tree, centre_reviewer_client, centre_reviewer, learner_a):
    # when
    response = post_json(centre_reviewer_client, f"/api/v1/learners/{learner_a.account_no}/unmask")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "account_no": learner_a.account_no,
        "id_number": learner_a.id_number,
        "phone": learner_a.phone,
    }
    entry = AuditEntry.objects.get(action="accounts.unmask_pii")
    assert (entry.actor_id, entry.object_id, entry.org_path) == (
        centre_reviewer.pk,
        str(learner_a.pk),
        tree.a_point.path,
    )


def test_unmask_needs_the_role(tree, centre_operator_client, learner_a):
    # when
    response = post_json(centre_operator_client, f"/api/v1/learners/{learner_a.account_no}/unmask")
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "role_cannot_accounts_unmask"
    assert AuditEntry.objects.filter(action="accounts.unmask_pii").count() == 0


def test_freezes_an_account(tree, centre_admin_client, centre_admin, learner_a):
    # when
    response = post_json(centre_admin_client, f"/api/v1/learners/{learner_a.account_no}/status", {"status": "frozen"})
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "frozen"
    learner_a.refresh_from_db()
    assert learner_a.status == "frozen"
    entry = AuditEntry.objects.get(action="accounts.set_status")
    assert (entry.before, entry.after) == ({"status": "active"}, {"status": "frozen"})


def test_forbidden_status_change_is_refused(tree, centre_admin_client, learner_a):
    # given
    Learner.objects.filter(pk=learner_a.pk).update(status="closed")
    # when
    response = post_json(centre_admin_client, f"/api/v1/learners/{learner_a.account_no}/status", {"status": "active"})
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_status_change"
    learner_a.refresh_from_db()
    assert learner_a.status == "closed"
    assert AuditEntry.objects.filter(action="accounts.set_status").count() == 0


def test_unknown_status_is_422(tree, centre_admin_client, learner_a):
    # when
    response = post_json(centre_admin_client, f"/api/v1/learners/{learner_a.account_no}/status", {"status": "deleted"})
    # then
    assert response.status_code == 422
    assert [(detail["field"], detail["code"]) for detail in response.json()["details"]] == [("status", "enum")]
    learner_a.refresh_from_db()
    assert learner_a.status == "active"
