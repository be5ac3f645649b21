from decimal import Decimal

import pytest

from creditbank.catalog import services
from creditbank.catalog.tests.factories import item_data, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(db):
    return {
        "course": make_item(code="510201-01", name="计算机应用技术导论", level=5, credits=Decimal("3"), hours=48),
        "accounting": make_item(
            code="530302-01", name="大数据与会计基础", level=5, issuer_code="AHCU", issuer_name="安徽商贸职业技术学院"
        ),
        "certificate": make_item(
            code="X-WEB-1", name="Web前端开发（初级）", type="one_plus_x", level=4, credits=None, hours=None
        ),
        "draft": make_item(code="DRAFT-1", name="计算机网络草稿", publish=False),
    }


def _codes(response):
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def test_search_by_pinyin_initials_code_and_name(anon_client, catalog):
    assert _codes(anon_client.get("/api/v1/catalog/items?q=jsjyy")) == ["510201-01"]
    assert _codes(anon_client.get("/api/v1/catalog/items?q=DSJYKJ")) == ["530302-01"]
    assert _codes(anon_client.get("/api/v1/catalog/items?q=5303")) == ["530302-01"]
    assert _codes(anon_client.get("/api/v1/catalog/items?q=前端")) == ["X-WEB-1"]
    assert _codes(anon_client.get("/api/v1/catalog/items?q=qdkf")) == ["X-WEB-1"]
    assert _codes(anon_client.get("/api/v1/catalog/items?q=x-web")) == ["X-WEB-1"]
    assert _codes(anon_client.get("/api/v1/catalog/items?q=zzz")) == []


def test_filters_and_pagination(anon_client, catalog):
    assert _codes(anon_client.get("/api/v1/catalog/items?type=one_plus_x")) == ["X-WEB-1"]
    assert _codes(anon_client.get("/api/v1/catalog/items?level=4")) == ["X-WEB-1"]
    assert _codes(anon_client.get("/api/v1/catalog/items?issuer=ahcu")) == ["530302-01"]
    assert _codes(anon_client.get("/api/v1/catalog/items?type=&level=&issuer=&q=")) == [
        "510201-01",
        "530302-01",
        "X-WEB-1",
    ]
    page = anon_client.get("/api/v1/catalog/items?limit=2&offset=1").json()
    assert page["count"] == 3
    assert [item["code"] for item in page["items"]] == ["530302-01", "X-WEB-1"]
    assert anon_client.get("/api/v1/catalog/items?level=abc").status_code == 422
    assert anon_client.get("/api/v1/catalog/items?limit=0").status_code == 422


def test_one_item_shows_its_current_published_version(anon_client, root_admin, catalog):
    # given a second version
    services.update_item(
        catalog["course"], item_data(name="计算机应用技术导论", credits="3.5", hours=56), actor=root_admin
    )
    # when
    response = anon_client.get("/api/v1/catalog/items/510201-01")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "code": "510201-01",
        "version": 2,
        "name": "计算机应用技术导论",
        "type": {"code": "degree_course", "name": "学历教育课程"},
        "issuer": {"code": "AHU", "name": "安徽大学"},
        "level": 5,
        "credits": "3.5",
        "learning_hours": 56,
        "validity_years": None,
        "evidence_required": "",
        "standard": None,
    }


def test_drafts_retired_and_missing_items_are_404_in_the_error_shape(anon_client, root_admin, catalog):
    services.retire_item(catalog["accounting"], actor=root_admin)
    for code in ("DRAFT-1", "530302-01", "NOPE"):
        response = anon_client.get(f"/api/v1/catalog/items/{code}")
        assert response.status_code == 404
        assert response.json()["code"] == "catalog_item_not_found"
        assert set(response.json()) == {"code", "message", "details"}
    assert "530302-01" not in _codes(anon_client.get("/api/v1/catalog/items"))


@pytest.mark.parametrize("size", [3, 30])
def test_query_budgets(anon_client, size, django_assert_max_num_queries):
    # given
    for index in range(size):
        make_item(code=f"Q-{index:03d}", name=f"课程{index}", issuer_code=f"I{index}", issuer_name=f"机构{index}")
    # when / then: count + one page, whatever the size
    with django_assert_max_num_queries(2):
        assert len(_codes(anon_client.get("/api/v1/catalog/items?q=kc"))) == size
    with django_assert_max_num_queries(1):
        assert anon_client.get("/api/v1/catalog/items/Q-001").status_code == 200
