"""The error contract: one shape, the right status, never a 500 for bad input; OpenAPI and docs."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client, RequestFactory
from ninja.errors import HttpError

from creditbank.accounts.models import Learner
from creditbank.api.errors import field_name
from creditbank.api.main import api
from creditbank.api.tests.helpers import JSON, post_json
from creditbank.audit.models import AuditEntry
from creditbank.core.errors import TooManyRequests, ValidationFailed

pytestmark = pytest.mark.django_db


def _assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"] != ""
    assert isinstance(body["details"], list)
    return body


def test_malformed_json_is_400(centre_admin_client):
    # when
    response = centre_admin_client.post("/api/v1/learners", "{not json", content_type=JSON)
    # then
    _assert_error_shape(response, 400, "malformed_request")
    assert Learner.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], [("org", "missing"), ("name", "missing"), ("id_number", "missing"), ("phone", "missing")]),
        ("a string", [("org", "missing"), ("name", "missing"), ("id_number", "missing"), ("phone", "missing")]),
        (
            {"org": 5, "name": None, "id_number": {"a": 1}, "phone": ["139"]},
            [("org", "string_type"), ("name", "string_type"), ("id_number", "string_type"), ("phone", "string_type")],
        ),
        (
            {"org": "A-PT", "name": "张三", "id_number": "9" * 40, "phone": "1"},
            [("id_number", "string_too_long")],
        ),
    ],
)
def test_wrong_types_are_422_with_field_details(tree, centre_admin_client, body, expected):
    # when
    response = post_json(centre_admin_client, "/api/v1/learners", body)
    # then
    details = _assert_error_shape(response, 422, "validation_error")["details"]
    assert [(detail["field"], detail["code"]) for detail in details] == expected
    assert all(detail["message"] for detail in details)
    assert Learner.objects.count() == 0


def test_service_validation_errors_keep_their_codes(tree, centre_admin_client):
    # when
    response = post_json(
        centre_admin_client,
        "/api/v1/learners",
        {"org": "A-PT", "name": "张三", "id_number": "340104198001011235", "phone": "12345"},
    )
    # then
    details = _assert_error_shape(response, 422, "validation_error")["details"]
    assert [(detail["field"], detail["code"]) for detail in details] == [
        ("id_number", "id_number_checksum"),
        ("phone", "phone_format"),
    ]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("limit=0", "limit", "greater_than_equal"),
        ("limit=201", "limit", "less_than_equal"),
        ("limit=abc", "limit", "int_parsing"),
        ("offset=-1", "offset", "greater_than_equal"),
        ("offset=99999999999999999999999999999999", "offset", "less_than_equal"),
        ("kind=tower", "kind", "enum"),
        ("region=34", "region", "string_pattern_mismatch"),
    ],
)
def test_bad_query_parameters_are_422(tree, anon_client, query, field, code):
    # when
    response = anon_client.get(f"/api/v1/orgs?{query}")
    # then
    details = _assert_error_shape(response, 422, "validation_error")["details"]
    assert [(detail["field"], detail["code"]) for detail in details] == [(field, code)]


def test_an_offset_past_the_end_is_an_empty_page(tree, anon_client):
    # when
    response = anon_client.get("/api/v1/orgs?offset=10000000")
    # then
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 5}


def test_unknown_query_parameters_are_ignored(tree, anon_client):
    # when
    response = anon_client.get("/api/v1/orgs?colour=blue&kind=centre&page=99")
    # then
    assert response.status_code == 200
    assert [item["code"] for item in response.json()["items"]] == ["A", "B"]


@pytest.mark.parametrize("application_id", ["-1", "0", "99999999999999999999999999", "abc"])
def test_strange_ids_are_404_or_422(tree, centre_reviewer_client, application_id):
    # when
    response = centre_reviewer_client.get(f"/api/v1/reviews/applications/{application_id}")
    # then
    if application_id == "abc":
        details = _assert_error_shape(response, 422, "validation_error")["details"]
        assert [(detail["field"], detail["code"]) for detail in details] == [("application_id", "int_parsing")]
    else:
        _assert_error_shape(response, 404, "application_not_found")


def test_unknown_api_url_is_a_json_404(anon_client):
    # when
    response = anon_client.get("/api/v1/no/such/thing")
    # then
    _assert_error_shape(response, 404, "not_found")


def test_wrong_method_is_a_json_405(centre_admin_client):
    # given
    entries = AuditEntry.objects.count()
    # when
    response = centre_admin_client.put("/api/v1/learners", "{}", content_type=JSON)
    # then
    _assert_error_shape(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, POST"
    assert AuditEntry.objects.count() == entries


def test_forbidden_role_error_has_the_action_in_its_code(tree, root_auditor_client):
    # when
    response = root_auditor_client.get("/api/v1/learners")
    # then
    _assert_error_shape(response, 403, "role_cannot_accounts_view")


def test_error_messages_follow_accept_language(tree, anon_client):
    # when
    english = anon_client.get("/api/v1/orgs/NOPE", headers={"Accept-Language": "en"})
    # then
    body = _assert_error_shape(english, 404, "org_not_found")
    assert body["message"] == "Not found."


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (("body", "payload", "org"), "org"),
        (("body", "payload", "items", 0, "name"), "items.0.name"),
        (("body", "payload"), "payload"),
        (("query", "limit"), "limit"),
        (("path", "application_id"), "application_id"),
        (("weird",), "weird"),
    ],
)
def test_field_names_drop_ninja_plumbing(loc, expected):
    assert field_name(loc) == expected


# --- OpenAPI and docs ------------------------------------------------------------------------


def test_openapi_document(anon_client):
    # when
    response = anon_client.get("/api/v1/openapi.json")
    # then
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "creditbank API"
    assert "Bearer" in schema["info"]["description"]
    assert {"/api/v1/orgs", "/api/v1/learners", "/api/v1/auth/token", "/api/v1/me"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["BearerAuth"] == {"type": "http", "scheme": "bearer"}
    learner_get = schema["paths"]["/api/v1/learners/{account_no}"]["get"]
    assert set(learner_get["responses"]) == {"200", "401", "403", "404", "422"}
    assert learner_get["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "security" not in schema["paths"]["/api/v1/orgs"]["get"]  # public on purpose
    json.dumps(schema)  # serialisable as a whole


def test_docs_page_uses_local_assets_only(anon_client):
    # when
    response = anon_client.get("/api/v1/docs")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "<script>" not in html.replace(" ", "")  # CSP: no inline scripts


def test_api_root_points_to_the_docs():
    # when
    response = Client().get("/api/v1/")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "name": "creditbank API",
        "version": "1",
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/learners?name=%00", "name"),
        ("/api/v1/learners?q=a%00b&limit=5", "q"),
        ("/api/v1/learners/%00", "account_no"),
        ("/api/v1/orgs/A%00", "code"),
        ("/api/v1/audit/logins?actor=%00x", "actor"),
    ],
)
def test_null_characters_in_the_url_are_422(tree, root_admin_client, url, field):
    # when: PostgreSQL cannot store NUL, so this would be a 500 if it reached a query
    response = root_admin_client.get(url)
    # then
    details = _assert_error_shape(response, 422, "validation_error")["details"]
    assert [(detail["field"], detail["code"]) for detail in details] == [(field, "null_character")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"org": "A-PT", "name": "\\u0000", "id_number": "1", "phone": "1"}', "name"),
        ('{"org": "A-PT", "name": "x", "extra": {"deep": ["ok", "\\u0000"]}}', "extra.deep.1"),
        ('{"org": "A\x00"}', ""),
    ],
)
def test_null_characters_in_the_body_are_422(tree, root_admin_client, body, field):
    # when
    response = root_admin_client.post("/api/v1/learners", body, content_type=JSON)
    # then
    details = _assert_error_shape(response, 422, "validation_error")["details"]
    assert [(detail["field"], detail["code"]) for detail in details] == [(field, "null_character")]
    assert Learner.objects.count() == 0


def test_a_backslash_u_text_is_not_mistaken_for_a_null(tree, root_admin_client):
    # when: the JSON string holds the six characters \u0000, not a NUL
    response = root_admin_client.post(
        "/api/v1/learners", '{"org": "A-PT", "name": "\\\\u0000", "id_number": "1", "phone": "1"}', content_type=JSON
    )
    # then: it reaches the service, which judges the name
    details = _assert_error_shape(response, 422, "validation_error")["details"]
    assert "null_character" not in [detail["code"] for detail in details]


@pytest.mark.parametrize("url", ["/api/v1/learners/" + "9" * 300, "/api/v1/orgs/" + "Z" * 300])
def test_overlong_path_values_are_404(tree, root_admin_client, url):
    # when
    response = root_admin_client.get(url)
    # then
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("exception", "status", "code", "details"),
    [
        (Http404("gone"), 404, "not_found", []),
        (PermissionDenied(), 403, "forbidden", []),
        (HttpError(404, "Not Found"), 404, "not_found", []),
        (HttpError(400, "Cannot parse request body"), 400, "malformed_request", []),
        (
            DjangoValidationError({"name": [DjangoValidationError("Too long.", code="max_length")]}),
            422,
            "validation_error",
            [{"field": "name", "code": "max_length", "message": "Too long."}],
        ),
        (
            ValidationFailed.for_field("org", "Closed.", code="org_not_accepting"),
            422,
            "org_not_accepting",
            [{"field": "org", "code": "org_not_accepting", "message": "Closed."}],
        ),
        (TooManyRequests(), 429, "rate_limited", []),
    ],
)
def test_every_exception_gets_the_error_shape(exception, status, code, details):
    # given
    request = RequestFactory().get("/api/v1/anything")
    # when
    response = api.on_exception(request, exception)
    # then
    body = _assert_error_shape(response, status, code)
    assert body["details"] == details


def test_a_form_sent_where_json_is_expected_is_415_not_a_500(tree, root_admin_client):
    # when: a multipart form (the NUL check reads its fields) to an operation whose body is JSON
    response = root_admin_client.post("/api/v1/learners", {"org": "A-PT", "name": "王小明"})
    # then
    _assert_error_shape(response, 415, "unsupported_media_type")
    assert Learner.objects.count() == 0
