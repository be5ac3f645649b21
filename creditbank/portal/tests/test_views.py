import re

import pytest
from django.urls import reverse

from creditbank.orgs.models import OrgUnit
from creditbank.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["portal:home", "portal:help", "portal:network"]
SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)


def assert_csp_clean(response):
    """CSP forbids inline code: the header is there, and the page has no script bodies or style attributes."""
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert len(SCRIPT.findall(html)) >= 2
    assert [body for body in SCRIPT.findall(html) if body.strip()] == []
    assert 'style="' not in html
    assert " onclick=" not in html


def codes_on(response):
    return re.findall(r'<article class="network-item" data-org-code="([^"]+)">', response.content.decode())


@pytest.mark.parametrize("name", PUBLIC_PAGES)
@pytest.mark.parametrize("client_name", ["anon_client", "learner_client", "centre_admin_client"])
def test_public_pages_render_for_everyone_without_inline_code(request, name, client_name):
    # given
    client = request.getfixturevalue(client_name)
    # when
    response = client.get(reverse(name))
    # then
    assert response.status_code == 200
    assert_csp_clean(response)


def test_home_offers_the_four_big_actions_to_visitors(anon_client, tree):
    # when
    response = anon_client.get("/")
    # then
    html = response.content.decode()
    for name in ("accounts:register", "accounts:activate", "accounts:login", "portal:network"):
        assert f'href="{reverse(name)}"' in html
    assert 'name="language" value="en"' in html
    assert 'action="/accounts/large-text/"' in html


def test_home_sends_a_signed_in_learner_to_their_space(learner_client, learner_a):
    # when
    response = learner_client.get("/")
    # then
    html = response.content.decode()
    assert 'href="/me/"' in html
    assert re.search(rf'class="navbar-text site-user">[^<]*{learner_a.name}</span>', html)
    assert 'action="/accounts/logout/"' in html
    assert 'href="/accounts/register/"' not in html.split("<main", 1)[1]


def test_help_explains_the_three_ways_to_open_an_account(anon_client):
    # when
    response = anon_client.get("/help/")
    # then
    html = response.content.decode()
    assert html.count("<h3>") >= 3
    assert 'href="/accounts/activate/"' in html
    assert 'href="/accounts/password-reset/"' in html


def test_directory_lists_every_active_org_with_its_details(anon_client, tree):
    # given
    make_org(tree.a, kind="point", code="A-CLOSED", name="已停用受理点", region="340104", status="suspended")
    # when
    response = anon_client.get("/network/")
    # then
    assert response.status_code == 200
    assert sorted(codes_on(response)) == ["A", "A-PT", "A-SUB", "B", "MC"]
    html = response.content.decode()
    assert re.search(r'id="network-count">\D*5\D', html)
    assert "已停用受理点" not in html
    # the parent of the point is shown
    assert "蜀山分中心" in html


def test_directory_filters_by_city_and_county(anon_client, tree):
    # when
    by_city = anon_client.get("/network/", {"city": "340100"})
    by_county = anon_client.get("/network/", {"city": "340100", "county": "340104"})
    other_city = anon_client.get("/network/", {"city": "340200"})
    # then
    assert sorted(codes_on(by_city)) == ["A", "A-PT", "A-SUB"]
    assert sorted(codes_on(by_county)) == ["A-PT", "A-SUB"]
    assert codes_on(other_city) == ["B"]
    # the county list offers only the chosen city's counties
    html = by_city.content.decode()
    assert 'value="340104"' in html
    assert 'value="340202"' not in html


def test_directory_ignores_a_county_of_another_city(anon_client, tree):
    # when
    response = anon_client.get("/network/", {"city": "340200", "county": "340104"})
    # then
    assert codes_on(response) == ["B"]


def test_directory_filters_by_kind_category_and_words(anon_client, tree):
    # when
    points = anon_client.get("/network/", {"kind": "point"})
    universities = anon_client.get("/network/", {"category": "university"})
    words = anon_client.get("/network/", {"q": "三里庵"})
    code = anon_client.get("/network/", {"q": "a-sub"})
    # then
    assert codes_on(points) == ["A-PT"]
    assert codes_on(universities) == ["B"]
    assert codes_on(words) == ["A-PT"]
    assert codes_on(code) == ["A-SUB"]


@pytest.mark.parametrize(
    "params",
    [
        {"city": "abc"},
        {"county": "999999"},
        {"kind": "castle"},
        {"category": "<b>"},
        {"page": "x"},
        {"page": "-1"},
        {"q": "x" * 500},
    ],
)
def test_directory_answers_bad_filters_without_error(anon_client, tree, params):
    # when
    response = anon_client.get("/network/", params)
    # then
    assert response.status_code == 200


def test_directory_htmx_request_returns_the_results_partial(anon_client, tree):
    # when
    response = anon_client.get("/network/", {"city": "340200"}, HTTP_HX_REQUEST="true")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert codes_on(response) == ["B"]
    assert 'id="county-field" hx-swap-oob="true"' in html


def test_directory_is_paginated(anon_client, tree):
    # given 25 more points in 合肥 (5 + 25 = 30 orgs, 20 a page)
    for number in range(25):
        make_org(tree.a, kind="point", code=f"P{number:03d}", name=f"受理点{number}", region="340102")
    # when
    first = anon_client.get("/network/")
    second = anon_client.get("/network/", {"page": "2"})
    filtered_second = anon_client.get("/network/", {"city": "340100", "page": "2"})
    # then
    assert len(codes_on(first)) == 20
    assert len(codes_on(second)) == 10
    assert len(codes_on(filtered_second)) == 8
    assert "city=340100&amp;page=1" in filtered_second.content.decode()


@pytest.mark.parametrize("extra", [10, 100])
def test_directory_query_count_does_not_grow_with_orgs(anon_client, tree, extra, django_assert_max_num_queries):
    # given
    for number in range(extra):
        make_org(tree.a, kind="point", code=f"Q{number:03d}", name=f"受理点{number}", region="340102")
    # when / then: regions, count, one page with region and parent joined
    with django_assert_max_num_queries(3):
        response = anon_client.get("/network/")
    assert response.status_code == 200
    assert OrgUnit.objects.count() == 5 + extra


def test_language_switch_to_english_is_remembered(anon_client, tree):
    # when
    switched = anon_client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    page = anon_client.get("/help/")
    # then
    assert switched.status_code == 302
    assert switched["Location"] == "/help/"
    assert switched.cookies["django_language"].value == "en"
    assert switched.cookies["django_language"]["max-age"] == 365 * 24 * 3600
    assert '<html lang="en"' in page.content.decode()
    assert page["Content-Language"] == "en"
    assert 'name="language" value="zh-hans"' in page.content.decode()


def test_default_language_is_chinese(anon_client):
    # when
    response = anon_client.get("/")
    # then
    assert '<html lang="zh-hans"' in response.content.decode()
