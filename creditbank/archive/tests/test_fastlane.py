"""The archive's WSGI fast lane answers exactly as the ninja endpoint does.

Every request is sent twice with the same WSGI environ: through ``ArchiveFastLane`` (what
``creditbank/wsgi.py`` serves) and straight to Django. Status, headers and body must agree —
the body byte for byte — for the plain success case (which the lane answers itself: the spy
proves Django was not called) and for every refusal and unusual request (which it must hand to
Django). Runs on SQLite and PostgreSQL like the rest of the suite.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections
from django.test import override_settings
from django.utils import timezone

from creditbank.accounts import services as account_services
from creditbank.accounts.models import ApiToken
from creditbank.accounts.tests.factories import make_learner
from creditbank.archive import fastlane
from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.orgs.tests.factories import make_staff

pytestmark = pytest.mark.django_db

PATH = "/api/v1/me/outcomes"


class Spy:
    """Django's WSGI handler, counting the requests that reached it."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.django(environ, start_response)


@pytest.fixture(autouse=True)
def _no_connection_closing() -> Iterator[None]:
    # As Django's test client does: the request signals must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def environ(
    query: str = "", *, token: str | None = None, path: str = PATH, method: str = "GET", **extra: str
) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if token is not None:
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    env.update(extra)
    return env


def call(app: Any, env: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, headers

    result = app({**env, "wsgi.input": io.BytesIO(env["wsgi.input"].getvalue())}, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return answer["status"], dict(answer["headers"]), body


def both(env: dict[str, Any]) -> tuple[tuple[str, dict[str, str], bytes], tuple[str, dict[str, str], bytes], bool]:
    """(fast lane's answer, Django's answer, whether the lane answered by itself)."""
    spy = Spy()
    lane = fastlane.ArchiveFastLane(spy)
    fast = call(lane, env)
    answered_itself = spy.calls == 0
    slow = call(spy.django, env)
    return fast, slow, answered_itself


def _comparable(headers: dict[str, str]) -> dict[str, Any]:
    # Content-Length follows the body (compared itself); the CSP's directive order is a set's.
    kept: dict[str, Any] = {name.lower(): value for name, value in headers.items() if name.lower() != "content-length"}
    if "content-security-policy" in kept:
        kept["content-security-policy"] = set(kept["content-security-policy"].split("; "))
    return kept


def assert_same(env: dict[str, Any], *, lane_answers: bool) -> tuple[str, bytes]:
    fast, slow, answered_itself = both(env)
    assert fast[0] == slow[0]
    assert fast[2] == slow[2]
    assert _comparable(fast[1]) == _comparable(slow[1])
    assert answered_itself is lane_answers
    return fast[0], fast[2]


@pytest.fixture
def archive(tree: Any, learner_a: Any) -> dict[str, Any]:
    course = make_item(code="C-1", name="高等数学", credits="4", type="degree_course", level=6)
    cert = make_item(code="X-1", name="Web前端开发", type="one_plus_x", level=5, credits=None, hours=None)
    no_level = make_item(code="N-1", name="老年书法", type="community_elderly", level=None)
    make_outcome(learner=learner_a, item=course, achieved_on=dt.date(2022, 6, 30), score="88")
    make_outcome(
        learner=learner_a, item=cert, status="certified", achieved_on=dt.date(2024, 1, 5), certified_at=timezone.now()
    )
    make_outcome(learner=learner_a, item=no_level, achieved_on=dt.date(2023, 3, 1), score="优秀", hours=12)
    make_outcome(learner=learner_a, item=course, achieved_on=dt.date(2021, 1, 1), certificate_no="AH-1", source="self")
    make_outcome(learner=make_learner(tree.b), item=course)
    _token, secret = account_services.issue_api_token(learner_a.user)
    return {"token": secret, "learner": learner_a}


QUERIES = [
    "",
    "limit=1",
    "limit=2&offset=1",
    "limit=2&offset=2",  # a full last page: counted
    "offset=3",
    "offset=4",  # past the end: counted
    "offset=9",
    "limit=200",
    "year=2022",
    "year=2024&status=certified",
    "year=9999",
    "year=",
    "status=&year=&source=",
    "type=one_plus_x",
    "type=degree_course&source=self",
    "type=unknown_type",
    "source=bulk",
    "status=stored&type=community_elderly",
    "type=one_plus_x&year=2024&status=certified&source=bulk",
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_lane_answers_plain_requests_exactly_as_ninja(archive, query):
    status, body = assert_same(environ(query, token=archive["token"]), lane_answers=True)
    assert status == "200 OK"
    assert body.startswith(b'{"items": [')


BAD_OR_UNUSUAL_QUERIES = [
    "limit=0",
    "limit=201",
    "limit=abc",
    "limit=",
    "limit=05",
    "offset=-1",
    "offset=abc",
    "offset=600",  # a deep page: the deferred join of api/pagination.py
    "offset=10000001",
    "year=1899",
    "year=abcd",
    "year=20222",
    "status=lost",
    "status=%20stored",
    "source=nowhere",
    "type=%20one_plus_x",
    "type=" + "x" * 33,
    "type=%E4%B8%AD",
    "limit=1&limit=2",
    "unknown=1",
    "type=one%00",
    "year=%00",
    "limit=%FF",
]


@pytest.mark.parametrize("query", BAD_OR_UNUSUAL_QUERIES)
def test_bad_or_unusual_input_is_left_to_django(archive, query):
    assert_same(environ(query, token=archive["token"]), lane_answers=False)


def _token_of(user: Any, **changes: Any) -> str:
    token, secret = account_services.issue_api_token(user)
    if changes:
        ApiToken.objects.filter(pk=token.pk).update(**changes)
    return secret


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("expired", "401 Unauthorized"),
        ("revoked", "401 Unauthorized"),
        ("inactive user", "401 Unauthorized"),
        ("staff", "403 Forbidden"),
        ("unknown token", "401 Unauthorized"),
        ("too long", "401 Unauthorized"),
        ("empty bearer", "401 Unauthorized"),
        ("other scheme", "401 Unauthorized"),
        ("no header", "401 Unauthorized"),
    ],
)
def test_refused_callers_get_ninjas_own_answer(archive, tree, case, expected):
    learner = archive["learner"]
    past = timezone.now() - dt.timedelta(seconds=1)
    extra: dict[str, str] = {}
    token: str | None = None
    if case == "expired":
        token = _token_of(learner.user, expires_at=past)
    elif case == "revoked":
        token = _token_of(learner.user, revoked_at=past)
    elif case == "inactive user":
        token = _token_of(learner.user)
        type(learner.user).objects.filter(pk=learner.user.pk).update(is_active=False)
    elif case == "staff":
        token = _token_of(make_staff(tree.a, "administrator"))
    elif case == "unknown token":
        token = "cb_not-a-token"
    elif case == "too long":
        token = archive["token"] + "x" * 200
    elif case == "empty bearer":
        extra["HTTP_AUTHORIZATION"] = "Bearer    "
    elif case == "other scheme":
        extra["HTTP_AUTHORIZATION"] = f"Token {archive['token']}"
    status, body = assert_same(environ(token=token, **extra), lane_answers=False)
    assert status == expected
    assert b'"code": "' in body
    if case == "staff":
        assert b'"learner_only"' in body


def test_other_routes_methods_and_a_session_go_to_django(archive, learner_a):
    token = archive["token"]
    assert_same(environ(token=token, path=PATH + "/"), lane_answers=False)
    assert_same(environ(token=token, path="/api/v1/me/summary"), lane_answers=False)
    assert_same(environ(token=token, method="POST"), lane_answers=False)
    assert_same(environ(token=token, method="HEAD"), lane_answers=False)
    assert_same(environ(token=token, CONTENT_LENGTH="3", **{"wsgi.input": io.BytesIO(b"a\x00b")}), lane_answers=False)
    # A browser: no bearer token, its session cookie. The lane never looks at sessions.
    from django.test import Client

    client = Client()
    client.force_login(learner_a.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    status, _ = assert_same(environ(HTTP_COOKIE=cookie), lane_answers=False)
    assert status == "200 OK"


def test_hosts_https_and_language_are_handled_as_django_does(archive):
    token = archive["token"]
    assert_same(environ(token=token, HTTP_HOST="evil.example"), lane_answers=False)
    assert_same(environ(token=token, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"), lane_answers=True)
    assert_same(environ(token=token, HTTP_COOKIE="django_language=en"), lane_answers=True)
    with override_settings(SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True):
        _, _ = assert_same(environ(token=token, **{"wsgi.url_scheme": "https"}), lane_answers=True)
        fast, _, _ = both(environ(token=token, **{"wsgi.url_scheme": "https"}))
        assert fast[1]["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    with override_settings(SECURE_SSL_REDIRECT=True):
        status, _ = assert_same(environ(token=token), lane_answers=False)
        assert status.startswith("301")


def test_security_headers_are_sent(archive):
    fast, _, answered_itself = both(environ(token=archive["token"]))
    assert answered_itself
    headers = fast[1]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_nothing_is_cached_a_revoked_token_and_a_new_outcome_are_seen_at_once(archive):
    lane = fastlane.ArchiveFastLane(Spy())
    token = archive["token"]
    first = call(lane, environ(token=token))
    assert b'"count": 4' in first[2]
    make_outcome(learner=archive["learner"], item=make_item(code="Z-1"), achieved_on=dt.date(2025, 5, 5))
    second = call(lane, environ(token=token))
    assert b'"count": 5' in second[2]
    assert b'"item_code": "Z-1"' in second[2]
    account_services.revoke_api_token(token, actor=archive["learner"].user)
    assert call(lane, environ(token=token))[0] == "401 Unauthorized"


def test_last_used_is_refreshed_as_user_for_token_does(archive):
    lane = fastlane.ArchiveFastLane(Spy())
    token = ApiToken.objects.get(user=archive["learner"].user)
    assert token.last_used_at is None
    call(lane, environ(token=archive["token"]))
    token.refresh_from_db()
    assert token.last_used_at is not None
    recent = timezone.now() - dt.timedelta(minutes=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    call(lane, environ(token=archive["token"]))
    token.refresh_from_db()
    assert token.last_used_at == recent
    stale = timezone.now() - dt.timedelta(minutes=6)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    call(lane, environ(token=archive["token"]))
    token.refresh_from_db()
    assert token.last_used_at > stale + dt.timedelta(minutes=5)


def test_an_empty_archive(tree):
    learner = make_learner(tree.a)
    _token, secret = account_services.issue_api_token(learner.user)
    status, body = assert_same(environ(token=secret), lane_answers=True)
    assert (status, body) == ("200 OK", b'{"items": [], "count": 0}')
    assert_same(environ("offset=5", token=secret), lane_answers=True)


def test_two_queries_a_request(archive, django_assert_max_num_queries):
    lane = fastlane.ArchiveFastLane(Spy())
    call(lane, environ(token=archive["token"]))  # compiles the templates, sets last_used_at
    with django_assert_max_num_queries(2):
        assert call(lane, environ(token=archive["token"]))[0] == "200 OK"


@pytest.mark.skipif("not connection.vendor == 'postgresql'")
def test_on_a_persistent_postgresql_connection_the_statements_are_prepared(archive):
    # given: what production runs (CONN_MAX_AGE > 0; the tests close connections instead)
    connection.ensure_connection()
    settings_dict = connection.settings_dict
    saved = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 600
    connections[DEFAULT_DB_ALIAS].__dict__.pop("_compiled_sql_cursor", None)  # made by earlier tests, unprepared
    try:
        for query in ("", "year=2022", "limit=1&offset=1"):
            # when / then: the same answers, from prepared statements
            assert_same(environ(query, token=archive["token"]), lane_answers=True)
        assert (
            len(connection.connection._prepared._names) == 2
        )  # one statement a filter shape (token and page joined; the slice is a parameter)
    finally:
        settings_dict["CONN_MAX_AGE"] = saved
        connections[DEFAULT_DB_ALIAS].__dict__.pop("_compiled_sql_cursor", None)


def test_a_query_the_lane_cannot_compile_is_left_to_django(archive, monkeypatch):
    # given: a selector whose SQL no longer matches what the lane expects (say, a new filter rule)
    def refuse(*args, **kwargs):
        raise fastlane.ImproperlyConfigured("changed")

    monkeypatch.setattr(fastlane, "compile_template", refuse)
    # when / then: Django answers, the same as ever
    status, _ = assert_same(environ("year=2022", token=archive["token"]), lane_answers=False)
    assert status == "200 OK"
