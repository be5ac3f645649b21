"""Every import console route × every kind of caller (STYLE.md §3.11).

Anonymous visitors go to the login page; learners and staff without a membership get 403; staff
whose roles lack ``accounts.import`` get 403; another centre's administrator gets 404 for a job
of centre A (out of scope looks like missing); staff of A's subtree get the page. Refusals leave
no trace: the job, the learners and the operation log are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.accounts.models import Learner
from creditbank.audit.models import AuditEntry
from creditbank.console.tests.helpers import route_names, staff_without_membership_client
from creditbank.imports import services
from creditbank.imports.choices import ImportStatus
from creditbank.imports.tests.helpers import bad_checksum, csv_bytes, good_rows, new_person

pytestmark = pytest.mark.django_db

LOGIN = "login"


@dataclass(frozen=True)
class Row:
    method: str = "get"
    job: bool = False  # whether the URL names a job of centre A (then out of scope for B)
    own: tuple[str, int] = ("centre_admin_client", 200)


ROUTES: dict[str, Row] = {
    "imports:job-list": Row(own=("point_operator_client", 200)),
    "imports:job-create": Row(own=("centre_operator_client", 200)),
    "imports:template": Row(),
    "imports:outcome-create": Row(own=("centre_operator_client", 200)),
    "imports:outcome-template": Row(own=("point_operator_client", 200)),
    "imports:job-detail": Row(job=True, own=("point_operator_client", 200)),
    "imports:job-progress": Row(job=True),
    "imports:job-report": Row(job=True),
    "imports:job-confirm": Row(method="post", job=True, own=("centre_admin_client", 302)),
    "imports:job-cancel": Row(method="post", job=True, own=("centre_admin_client", 302)),
}


def _cases() -> list[tuple[str, str, str, Any]]:
    cases: list[tuple[str, str, str, Any]] = []
    for name, row in ROUTES.items():
        cases.append((name, "anonymous", "anon_client", LOGIN))
        cases.append((name, "learner", "learner_client", 403))
        cases.append((name, "staff without membership", "nomember", 403))
        cases.append((name, "reviewer: role without accounts.import nor archive.import", "centre_reviewer_client", 403))
        if row.job:
            cases.append((name, "other centre's administrator", "other_admin_client", 404))
        cases.append((name, "own scope", row.own[0], row.own[1]))
    return cases


@pytest.fixture
def job(tree, centre_admin, point_operator, centre_operator, centre_reviewer, other_admin, learner_a):
    data = new_person()
    content = csv_bytes([*good_rows(1), [data["name"], "", bad_checksum(data), data["phone"], ""]])
    created = services.create_learner_import_job(
        actor=centre_admin, org=tree.a_point, upload=SimpleUploadedFile("x.csv", content)
    )
    job = services.preview_learner_import(created)
    assert job.status == ImportStatus.PREVIEW_READY
    return job


def _state(job) -> tuple[Any, ...]:
    job.refresh_from_db()
    return job.status, Learner.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize(("name", "_case", "client_name", "expected"), _cases())
def test_import_console_permissions(request, job, name, _case, client_name, expected):
    # given
    row = ROUTES[name]
    client = staff_without_membership_client() if client_name == "nomember" else request.getfixturevalue(client_name)
    url = reverse(name, args=[job.pk] if row.job else [])
    before = _state(job)
    # when
    response = getattr(client, row.method)(url)
    # then
    if expected == LOGIN:
        assert response.status_code == 302
        assert urlparse(response["Location"]).path == reverse("accounts:login")
    else:
        assert response.status_code == expected
    if expected in (LOGIN, 403, 404):
        assert _state(job) == before


def test_every_import_route_has_a_row():
    assert route_names("imports") == set(ROUTES)


def test_a_job_of_another_centre_cannot_be_confirmed(job, other_admin_client):
    # given
    learners = Learner.objects.count()
    # when
    response = other_admin_client.post(reverse("imports:job-confirm", args=[job.pk]))
    # then
    job.refresh_from_db()
    assert response.status_code == 404
    assert job.status == ImportStatus.PREVIEW_READY
    assert Learner.objects.count() == learners


@pytest.fixture
def outcome_job(tree, centre_admin, other_admin):
    from creditbank.accounts.tests.factories import make_learner
    from creditbank.catalog.tests.factories import make_item
    from creditbank.imports.tests.helpers import OUTCOME_HEADER, outcome_row

    content = csv_bytes([outcome_row(make_learner(tree.a), make_item())], header=OUTCOME_HEADER)
    created = services.create_import_job(
        actor=centre_admin, org=tree.a_point, upload=SimpleUploadedFile("o.csv", content), kind="outcomes"
    )
    return services.preview_learner_import(created)


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("centre_admin_client", 200),
        ("point_operator_client", 200),
        ("other_admin_client", 404),
        ("centre_reviewer_client", 403),
    ],
)
def test_an_outcome_job_is_seen_in_the_scope_of_archive_import(request, outcome_job, client_name, expected):
    response = request.getfixturevalue(client_name).get(reverse("imports:job-detail", args=[outcome_job.pk]))
    assert response.status_code == expected


def test_a_role_with_only_one_kind_of_import_sees_only_those_jobs(tree, job, outcome_job):
    from django.test import Client

    from creditbank.orgs.models import Role
    from creditbank.orgs.tests.factories import make_staff

    Role.objects.create(code="depositor", name="存入员", actions=["archive.import"])
    depositor = make_staff(tree.a, "depositor", username="depositor")
    client = Client()
    client.force_login(depositor)
    assert client.get(reverse("imports:job-detail", args=[outcome_job.pk])).status_code == 200
    assert client.get(reverse("imports:job-detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:job-create")).status_code == 403
    assert client.get(reverse("imports:outcome-create")).status_code == 200
