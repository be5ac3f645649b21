"""Every console route of the catalog and the standards × every kind of caller.

Callers: anonymous (to the login page); a learner and staff without a membership (403); a
reviewer, whose roles lack ``catalog.propose`` (403); centre A's administrator, who may propose
but not publish (403 on the management centre's routes); centre B's administrator, for whom
centre A's draft does not exist (404); and the caller whose right it is. Refusals change nothing:
no item, standard, attachment or operation-log row. ``test_every_catalog_route_has_a_row``
fails when a route is added without a row here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services, standards
from creditbank.catalog.models import CatalogItem, Standard, StandardAttachment
from creditbank.catalog.tests.factories import item_data
from creditbank.console.tests.helpers import route_names, staff_without_membership_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LOGIN = "login"


@dataclass(frozen=True)
class Row:
    method: str = "get"
    kwargs: str = ""  # "draft", "standard", "attachment", "fmt"
    data: dict[str, Any] = field(default_factory=dict)
    publish_only: bool = False  # centre A's administrator is refused (403)
    out_of_scope: bool = False  # centre B's administrator gets 404
    own: tuple[str, int] = ("centre_admin_client", 200)


ROUTES: dict[str, Row] = {
    "catalog:item-list": Row(),
    "catalog:item-create": Row(),
    "catalog:catalog-import": Row(),
    "catalog:catalog-template": Row(),
    "catalog:catalog-export": Row(kwargs="fmt"),
    "catalog:item-detail": Row(kwargs="draft", out_of_scope=True),
    "catalog:item-edit": Row(kwargs="draft", out_of_scope=True),
    "catalog:item-publish": Row(
        method="post", kwargs="draft", publish_only=True, out_of_scope=True, own=("root_admin_client", 302)
    ),
    "catalog:item-retire": Row(
        method="post", kwargs="draft", publish_only=True, out_of_scope=True, own=("root_admin_client", 302)
    ),
    "catalog:standard-list": Row(),
    "catalog:standard-create": Row(publish_only=True, own=("root_admin_client", 200)),
    "catalog:standard-detail": Row(kwargs="standard"),
    "catalog:standard-edit": Row(kwargs="standard", publish_only=True, own=("root_admin_client", 200)),
    "catalog:standard-attach": Row(method="post", kwargs="standard", publish_only=True, own=("root_admin_client", 302)),
    "catalog:standard-attachment": Row(kwargs="attachment"),
    "catalog:standard-detach": Row(
        method="post", kwargs="attachment", publish_only=True, own=("root_admin_client", 302)
    ),
}


def _cases() -> list[tuple[str, str, str, Any]]:
    cases: list[tuple[str, str, str, Any]] = []
    for name, row in ROUTES.items():
        cases.append((name, "anonymous", "anon_client", LOGIN))
        cases.append((name, "learner", "learner_client", 403))
        cases.append((name, "staff without membership", "nomember", 403))
        cases.append((name, "role without catalog.propose", "centre_reviewer_client", 403))
        if row.publish_only:
            cases.append((name, "a centre (may not publish)", "centre_admin_client", 403))
        if row.out_of_scope:
            cases.append((name, "another centre's administrator", "other_admin_client", 404))
        cases.append((name, "own right", row.own[0], row.own[1]))
    return cases


@pytest.fixture
def world(tree, learner_a, centre_admin, centre_reviewer, other_admin, root_admin):
    draft = services.create_item(item_data(code="A-DRAFT"), actor=centre_admin, publish=False)
    standard = standards.create_standard(
        standards.StandardData(number="WH-CB-001", title="认证标准", kind="certification", issuing_org="管理中心"),
        actor=root_admin,
    )
    attachment = standards.add_attachment(
        standard, SimpleUploadedFile("standard.pdf", PDF, content_type="application/pdf"), actor=root_admin
    )
    return {"draft": draft, "standard": standard, "attachment": attachment}


def _url(name: str, row: Row, world: dict[str, Any]) -> str:
    args = {
        "": [],
        "fmt": ["csv"],
        "draft": [world["draft"].code],
        "standard": [world["standard"].pk],
        "attachment": [world["standard"].pk, world["attachment"].pk],
    }[row.kwargs]
    return reverse(name, args=args)


def _state() -> tuple[Any, ...]:
    return (
        list(CatalogItem.objects.order_by("pk").values_list("code", "version", "status", "name")),
        list(Standard.objects.values_list("number", "title")),
        StandardAttachment.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(("name", "_case", "client_name", "expected"), _cases())
def test_catalog_console_permissions(request, world, name, _case, client_name, expected):
    # given
    row = ROUTES[name]
    client = staff_without_membership_client() if client_name == "nomember" else request.getfixturevalue(client_name)
    data = dict(row.data)
    if name == "catalog:standard-attach":
        data["file"] = SimpleUploadedFile("more.pdf", PDF, content_type="application/pdf")
    before = _state()
    # when
    response = getattr(client, row.method)(_url(name, row, world), data)
    # then
    if expected == LOGIN:
        assert response.status_code == 302
        assert urlparse(response["Location"]).path == reverse("accounts:login")
    else:
        assert response.status_code == expected
    if expected in (LOGIN, 403, 404):
        assert _state() == before


def test_every_catalog_route_has_a_row():
    assert route_names("catalog") == set(ROUTES)
