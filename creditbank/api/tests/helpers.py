"""Helpers shared by the API contract tests and the permission matrix (``tests/``)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from creditbank.accounts import services as account_services
from creditbank.accounts import sms
from creditbank.accounts.tests.factories import identity_data
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services as review_services
from creditbank.reviews.models import Application

JSON = "application/json"


def bearer_client(user: Any, **client_options: Any) -> Client:
    """A client that authenticates only with a new bearer token of ``user`` (no session cookie)."""
    _token, secret = account_services.issue_api_token(user, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}"}, **client_options)


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps(data if data is not None else {}), content_type=JSON)


def count_queries(assert_max_num_queries: Any, client: Client, url: str, *, budget: int) -> tuple[int, Any]:
    """GET ``url`` within a query budget; returns how many queries it took and the JSON body."""
    with assert_max_num_queries(budget) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def make_opening_application(org: Any, *, accepted: bool = False) -> Application:
    """A learner's self-registration at ``org`` (the real path: phone code, register), optionally accepted."""
    data = identity_data()
    account_services.send_phone_code(data["phone"], "register")
    registration = account_services.register_learner(
        org=org, phone_code=sms.last_code(data["phone"]) or "", password="Good#pass2026", **data
    )
    application: Application = registration.application
    if accepted:
        reviewer = make_staff(org, "reviewer")
        application = review_services.accept_application(application, actor=reviewer)
    return application
