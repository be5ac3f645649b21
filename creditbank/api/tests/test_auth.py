"""Authentication: bearer tokens (issue, use, expiry, revoke), lockout, rate limit, CSRF, ``/me``."""

import datetime as dt

import pytest
from django.conf import settings
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from creditbank.accounts import api as accounts_api
from creditbank.accounts.models import ApiToken, Learner
from creditbank.api.tests.helpers import JSON, bearer_client, post_json
from creditbank.audit.models import AuditEntry, LoginEntry

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "Staff@pass123"  # the role users' password (root conftest)


def _issue(client, username, password, **extra):
    return post_json(client, TOKEN_URL, {"username": username, "password": password, **extra})


# --- issuing ---------------------------------------------------------------------------------


def test_issues_a_bearer_token_for_staff(anon_client, centre_admin):
    # when
    response = _issue(anon_client, "centre_admin", PASSWORD, name="counter app")
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at", "token_type"}
    assert body["token_type"] == "Bearer"
    assert body["token"].startswith("cb_")
    token = ApiToken.objects.get(user=centre_admin)
    assert token.name == "counter app"
    assert token.key_hash != body["token"]  # only the hash is stored
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert abs(expires_at - (timezone.now() + dt.timedelta(days=settings.CREDITBANK_API_TOKEN_DAYS))) < dt.timedelta(
        minutes=1
    )
    login = LoginEntry.objects.get()
    assert (login.method, login.is_success, login.user_id) == ("api_token", True, centre_admin.pk)


def test_issues_a_token_to_a_learner_by_id_number(anon_client, learner_a):
    # when
    response = _issue(anon_client, learner_a.id_number.lower(), "Learner@pass123")
    # then
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=learner_a.user).count() == 1


def test_wrong_password_is_401_and_logged(anon_client, centre_admin):
    # when
    response = _issue(anon_client, "centre_admin", "wrong-password")
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert ApiToken.objects.count() == 0
    login = LoginEntry.objects.get()
    assert (login.method, login.is_success, login.reason) == ("api_token", False, "invalid_credentials")


def test_frozen_learner_gets_no_token(anon_client, learner_a):
    # given
    Learner.objects.filter(pk=learner_a.pk).update(status="frozen")
    # when
    response = _issue(anon_client, learner_a.account_no, "Learner@pass123")
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "account_frozen"
    assert ApiToken.objects.count() == 0


def test_locks_the_account_after_five_failures(anon_client, centre_admin):
    # given
    for _attempt in range(5):
        assert _issue(anon_client, "centre_admin", "wrong-password").status_code == 401
    # when: even the right password is refused while locked
    response = _issue(anon_client, "centre_admin", PASSWORD)
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert ApiToken.objects.count() == 0
    assert LoginEntry.objects.filter(is_success=False, reason="locked").count() == 1


def test_token_endpoint_is_rate_limited_per_ip(anon_client, centre_admin, monkeypatch):
    # given
    monkeypatch.setattr(accounts_api, "TOKEN_RATE_LIMIT", 3)
    for _attempt in range(3):
        assert _issue(anon_client, "nobody", "wrong-password").status_code == 401
    # when
    response = _issue(anon_client, "centre_admin", PASSWORD)
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert ApiToken.objects.count() == 0
    assert LoginEntry.objects.count() == 3  # the refused attempt never reached the password check
    # another address is not affected
    other = post_json(Client(REMOTE_ADDR="10.0.0.8"), TOKEN_URL, {"username": "centre_admin", "password": PASSWORD})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"password": "x"}, "username", "missing"),
        ({"username": "", "password": "x"}, "username", "string_too_short"),
        ({"username": ["a"], "password": "x"}, "username", "string_type"),
        ({"username": "a", "password": "x", "name": "n" * 65}, "name", "string_too_long"),
    ],
)
def test_bad_token_requests_are_422(anon_client, body, field, code):
    # when
    response = post_json(anon_client, TOKEN_URL, body)
    # then
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert {"field": field, "code": code} == {k: response.json()["details"][0][k] for k in ("field", "code")}
    assert LoginEntry.objects.count() == 0


# --- using, expiry, revoking -----------------------------------------------------------------


def test_bearer_token_authenticates_without_a_session(anon_client, centre_admin):
    # given
    token = _issue(anon_client, "centre_admin", PASSWORD).json()["token"]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    # when
    response = client.get("/api/v1/me")
    # then
    assert response.status_code == 200
    assert response.json()["username"] == "centre_admin"
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Bearer cb_not-a-real-token", "Bearer ", "Token abc", "Basic Y2VudHJlX2FkbWluOnBhc3M=", "Bearer " + "x" * 500],
)
def test_invalid_authorization_headers_are_401(centre_admin, header):
    # when
    response = Client(headers={"Authorization": header}).get("/api/v1/me")
    # then
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": response.json()["message"],
        "details": [],
    }
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(centre_admin):
    # given
    client = bearer_client(centre_admin)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    # when
    response = client.get("/api/v1/me")
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_token_of_a_deactivated_user_is_401(centre_admin):
    # given
    client = bearer_client(centre_admin)
    centre_admin.is_active = False
    centre_admin.save(update_fields=["is_active"])
    # when
    response = client.get("/api/v1/me")
    # then
    assert response.status_code == 401


def test_revoking_the_current_token(centre_admin):
    # given
    client = bearer_client(centre_admin)
    other = bearer_client(centre_admin)
    # when
    response = client.delete(TOKEN_URL)
    # then
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/api/v1/me").status_code == 401
    assert other.get("/api/v1/me").status_code == 200  # only the token that was sent is revoked
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1


def test_revoking_needs_a_bearer_token(centre_admin_client):
    # when: a browser session has no token to revoke
    response = centre_admin_client.delete(TOKEN_URL)
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_learner_bearer_token_is_refused_on_staff_routes(learner_a):
    # given
    client = bearer_client(learner_a.user)
    # when
    response = client.get("/api/v1/learners")
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "staff_only"


# --- CSRF for the browser session ------------------------------------------------------------


def _csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _csrf_pair():
    request = RequestFactory().get("/")
    header = get_token(request)
    return request.META["CSRF_COOKIE"], header


def test_session_post_without_csrf_token_is_refused(centre_admin, learner_a):
    # given
    client = _csrf_client(centre_admin)
    entries = AuditEntry.objects.count()
    # when
    response = post_json(client, f"/api/v1/learners/{learner_a.account_no}/status", {"status": "frozen"})
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    learner_a.refresh_from_db()
    assert learner_a.status == "active"
    assert AuditEntry.objects.count() == entries


def test_session_post_with_csrf_token_is_accepted(centre_admin, learner_a):
    # given
    client = _csrf_client(centre_admin)
    cookie, header = _csrf_pair()
    client.cookies[settings.CSRF_COOKIE_NAME] = cookie
    # when
    response = client.post(
        f"/api/v1/learners/{learner_a.account_no}/status",
        '{"status": "frozen"}',
        content_type=JSON,
        headers={"X-CSRFToken": header},
    )
    # then
    assert response.status_code == 200
    learner_a.refresh_from_db()
    assert learner_a.status == "frozen"


def test_session_get_needs_no_csrf_token(centre_admin):
    # when
    response = _csrf_client(centre_admin).get("/api/v1/learners")
    # then
    assert response.status_code == 200


def test_bearer_post_needs_no_csrf_token(centre_admin, learner_a):
    # given
    client = bearer_client(centre_admin, enforce_csrf_checks=True)
    # when
    response = post_json(client, f"/api/v1/learners/{learner_a.account_no}/status", {"status": "frozen"})
    # then
    assert response.status_code == 200


def test_anonymous_post_is_401_not_a_csrf_error(learner_a):
    # when
    response = post_json(
        Client(enforce_csrf_checks=True), f"/api/v1/learners/{learner_a.account_no}/status", {"status": "frozen"}
    )
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- /me ------------------------------------------------------------------------------------


def test_me_for_a_learner(learner_client, learner_a):
    # when
    response = learner_client.get("/api/v1/me")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "kind": "learner",
        "account_no": learner_a.account_no,
        "name": learner_a.name,
        "status": "active",
        "org": {"code": "A-PT", "name": "三里庵受理点"},
        "region": {"code": learner_a.region.code, "name": learner_a.region.name},
        "id_type": "resident_id",
        "id_number_masked": learner_a.id_number_masked,
        "phone_masked": learner_a.phone_masked,
        "birth_date": learner_a.birth_date.isoformat(),
        "gender": learner_a.gender,
        "activated_at": response.json()["activated_at"],
    }
    assert learner_a.id_number not in response.content.decode()
    assert learner_a.phone not in response.content.decode()


def test_me_for_staff_with_two_memberships(tree, centre_reviewer, centre_reviewer_client):
    # given: the reviewer also works as an operator at centre B
    from creditbank.orgs import services as org_services

    org_services.set_membership(actor=None, user=centre_reviewer, org=tree.b, roles=["operator"])
    # when
    response = centre_reviewer_client.get("/api/v1/me")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "kind": "staff",
        "username": "centre_reviewer",
        "display_name": "centre_reviewer",
        "memberships": [
            {
                "org": {"code": "A", "name": "合肥中心", "kind": "centre"},
                "roles": ["reviewer"],
                "actions": [
                    "accounts.unmask",
                    "accounts.view",
                    "archive.view",
                    "orgs.view",
                    "reviews.accept",
                    "reviews.certify",
                    "reviews.first_review",
                    "reviews.view",
                ],
            },
            {
                "org": {"code": "B", "name": "安徽师范大学中心", "kind": "centre"},
                "roles": ["operator"],
                "actions": [
                    "accounts.import",
                    "accounts.open",
                    "accounts.view",
                    "archive.import",
                    "archive.view",
                    "catalog.propose",
                    "orgs.view",
                    "reviews.view",
                ],
            },
        ],
    }


def test_me_needs_authentication(anon_client):
    # when
    response = anon_client.get("/api/v1/me")
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
