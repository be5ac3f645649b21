"""``GET /api/v1/orgs`` and ``/orgs/{code}``: the public directory of the service network."""

import pytest

from creditbank.api.tests.helpers import count_queries
from creditbank.orgs.models import OrgUnit
from creditbank.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


def _codes(response):
    return [item["code"] for item in response.json()["items"]]


def test_lists_the_active_network_without_authentication(tree, anon_client):
    # when
    response = anon_client.get("/api/v1/orgs")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert [item["code"] for item in body["items"]] == ["MC", "A", "A-SUB", "A-PT", "B"]
    assert body["items"][3] == {
        "code": "A-PT",
        "name": "三里庵受理点",
        "kind": "point",
        "kind_label": body["items"][3]["kind_label"],
        "category": "local",
        "region": {"code": "340104", "name": "蜀山区"},
        "parent": "A-SUB",
        "address": "",
        "contact": {"name": "", "phone": ""},
    }
    assert body["items"][0]["parent"] is None
    assert body["items"][0]["category"] is None


def test_shows_address_and_contact(tree, anon_client):
    # given
    OrgUnit.objects.filter(pk=tree.a_point.pk).update(
        address="合肥市蜀山区三里庵街道 1 号", contact_name="王老师", contact_phone="0551-12345678"
    )
    # when
    response = anon_client.get("/api/v1/orgs/A-PT")
    # then
    assert response.status_code == 200
    assert response.json()["address"] == "合肥市蜀山区三里庵街道 1 号"
    assert response.json()["contact"] == {"name": "王老师", "phone": "0551-12345678"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=340100", ["A", "A-SUB", "A-PT"]),  # a city also finds its counties
        ("region=340104", ["A-SUB", "A-PT"]),
        ("region=340000", ["MC", "A", "A-SUB", "A-PT", "B"]),
        ("region=340200", ["B"]),
        ("region=341100", []),
        ("kind=point", ["A-PT"]),
        ("kind=centre&category=university", ["B"]),
        ("category=local", ["A", "A-SUB", "A-PT"]),
        ("q=三里庵", ["A-PT"]),
        ("q=a-sub", ["A-SUB"]),
        ("kind=&category=&region=&q=", ["MC", "A", "A-SUB", "A-PT", "B"]),  # empty means no filter
    ],
)
def test_filters(tree, anon_client, query, expected):
    # when
    response = anon_client.get(f"/api/v1/orgs?{query}")
    # then
    assert response.status_code == 200
    assert _codes(response) == expected
    assert response.json()["count"] == len(expected)


def test_paginates_with_limit_and_offset(tree, anon_client):
    # when
    response = anon_client.get("/api/v1/orgs?limit=2&offset=2")
    # then
    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert _codes(response) == ["A-SUB", "A-PT"]


def test_suspended_nodes_are_not_public(tree, anon_client):
    # given
    OrgUnit.objects.filter(pk=tree.b.pk).update(status="suspended")
    # when
    listing = anon_client.get("/api/v1/orgs")
    detail = anon_client.get("/api/v1/orgs/B")
    # then
    assert "B" not in _codes(listing)
    assert detail.status_code == 404
    assert detail.json()["code"] == "org_not_found"


def test_unknown_code_is_404(tree, anon_client):
    # when
    response = anon_client.get("/api/v1/orgs/NOPE")
    # then
    assert response.status_code == 404
    assert response.json() == {"code": "org_not_found", "message": response.json()["message"], "details": []}


def test_query_count_does_not_grow_with_rows(tree, anon_client, django_assert_max_num_queries):
    # given
    for _ in range(10):
        make_org(tree.a_sub, kind="point", region="340104")
    small, small_body = count_queries(django_assert_max_num_queries, anon_client, "/api/v1/orgs?limit=200", budget=2)
    for _ in range(90):
        make_org(tree.a_sub, kind="point", region="340104")
    # when
    large, large_body = count_queries(django_assert_max_num_queries, anon_client, "/api/v1/orgs?limit=200", budget=2)
    # then
    assert (small_body["count"], large_body["count"]) == (15, 105)
    assert len(large_body["items"]) == 105
    assert large == small
