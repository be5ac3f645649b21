import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/network/?q=%00", "/console/learners/ab%00/", "/console/orgs/A%00/", "/console/orgs/new/?parent=A%00"],
)
def test_nul_in_the_address_is_a_400_not_a_500(root_admin_client, path):
    response = root_admin_client.get(path)
    assert response.status_code == 400


def test_nul_in_a_form_is_refused_and_changes_nothing(learner_client, learner_a):
    response = learner_client.post("/me/resubmit/", {"note": "a\x00b"})
    assert response.status_code == 400


def test_nul_in_an_api_query_keeps_the_api_error_shape(root_admin_client):
    response = root_admin_client.get("/api/v1/orgs?q=%00")
    assert response.status_code == 422
    assert set(response.json()) == {"code", "message", "details"}
