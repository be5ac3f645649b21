"""Console pages of programmes and rules × every kind of caller, and what they show.

The programme belongs to centre B (a university centre): B's administrator and the management
centre see it; centre A's administrator may manage conversion but not B's programme (404 on the
page, left out of the list); a reviewer's roles lack ``conversion.manage`` (403).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from creditbank.catalog.tests.factories import make_item
from creditbank.console.tests.helpers import assert_redirects_to_login, route_names, staff_without_membership_client
from creditbank.conversion.tests.factories import make_programme, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(tree):
    make_item(code="1X-WEB-M", name="Web前端开发（中级）", type="one_plus_x", credits=Decimal("4"), level=5)
    programme = make_programme(
        tree.b, code="CS-BK", courses={"C1": (4, "专业必修"), "E1": (2, "专业选修")}, minimums={"专业选修": "2"}
    )
    make_rule(programme, "R01", "1X-WEB-M", "C1", min_score="良好", within_years="3")
    make_rule(programme, "R02", "1X-WEB-M", "E1", publish=False)
    return programme


ROUTES = {
    "conversion:programme-list": {},
    "conversion:programme-detail": {"code": "CS-BK"},
}
CASES = [
    ("anonymous", "anon_client", "login"),
    ("learner", "learner_client", 403),
    ("staff without membership", "nomember", 403),
    ("role without conversion.manage", "centre_reviewer_client", 403),
    ("another centre's administrator", "centre_admin_client", {"conversion:programme-list": 200}),
    ("the owning centre's administrator", "other_admin_client", 200),
    ("management centre", "root_admin_client", 200),
]


@pytest.mark.parametrize("name", list(ROUTES))
@pytest.mark.parametrize(("_case", "client_name", "expected"), CASES)
def test_console_permissions(request, programme, name, _case, client_name, expected):
    # given
    client = staff_without_membership_client() if client_name == "nomember" else request.getfixturevalue(client_name)
    if isinstance(expected, dict):
        expected = expected.get(name, 404)
    # when
    response = client.get(reverse(name, kwargs=ROUTES[name]))
    # then
    if expected == "login":
        assert_redirects_to_login(response)
    else:
        assert response.status_code == expected
    if name == "conversion:programme-list" and expected == 200:
        assert (b'data-code="CS-BK"' in response.content) is (client_name != "centre_admin_client")


# The learner's side (/me/programmes/): learners only; staff are sent to the console; the apply
# step on a programme the world's learner has nothing for changes nothing (302 with a message).
LEARNER_ROUTES = {
    "conversion:me-programmes": ("get", {}),
    "conversion:me-programme-apply": ("post", {"code": "CS-BK"}),
    "conversion:me-programme-maps": ("get", {}),
    "conversion:me-programme-map": ("get", {"code": "CS-BK"}),
}
LEARNER_CASES = [
    ("anonymous", "anon_client", "login"),
    (
        "learner",
        "learner_client",
        {
            "conversion:me-programmes": 200,
            "conversion:me-programme-apply": 302,
            "conversion:me-programme-maps": 200,
            "conversion:me-programme-map": 200,
        },
    ),
    ("centre administrator", "centre_admin_client", 302),
    ("management centre", "root_admin_client", 302),
]


@pytest.mark.parametrize("name", list(LEARNER_ROUTES))
@pytest.mark.parametrize(("_case", "client_name", "expected"), LEARNER_CASES)
def test_learner_pages_answer_each_caller(request, programme, name, _case, client_name, expected):
    from creditbank.reviews.models import Application

    client = request.getfixturevalue(client_name)
    if isinstance(expected, dict):
        expected = expected[name]
    method, kwargs = LEARNER_ROUTES[name]
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    if expected == "login":
        assert_redirects_to_login(response)
    else:
        assert response.status_code == expected
    assert not Application.objects.exists()


def test_every_conversion_route_has_a_row():
    from creditbank.conversion.tests.test_console_editing import ROUTES as EDITING_ROUTES
    from creditbank.conversion.tests.test_worth import PAGE_ROUTES as WORTH_ROUTES

    assert route_names("conversion") == set(ROUTES) | set(LEARNER_ROUTES) | set(EDITING_ROUTES) | set(WORTH_ROUTES)


def test_the_detail_shows_groups_courses_and_every_current_rule(other_admin_client, programme):
    # when
    page = other_admin_client.get(reverse("conversion:programme-detail", kwargs={"code": "cs-bk"})).content.decode()
    # then
    assert "专业必修" in page
    assert "<code>C1</code>" in page
    assert 'data-number="R01"' in page
    assert 'data-number="R02"' in page  # the draft too, with its status
    assert "免修免考" in page
    assert "草稿" in page


def test_the_section_is_in_the_console_navigation(other_admin_client, centre_reviewer_client, programme):
    # when
    admin = other_admin_client.get(reverse("console:dashboard")).content.decode()
    reviewer = centre_reviewer_client.get(reverse("console:dashboard")).content.decode()
    # then
    link = reverse("conversion:programme-list")
    assert link in admin
    assert link not in reviewer
