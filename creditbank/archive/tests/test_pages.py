"""The archive pages: every route × caller (the learner's own pages and the staff view), and what
they show — timeline, filters, totals, export, deposit form, evidence."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from creditbank.accounts.tests.factories import make_learner
from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Deposit, Evidence
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog.tests.factories import make_item
from creditbank.console.tests.helpers import route_names

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LOGIN = "login"


@pytest.fixture
def world(tree, learner_a):
    item = make_item(code="KJ-1", name="大数据与会计", credits="4", type="degree_course", level=5)
    outcome = make_outcome(learner=learner_a, item=item)
    deposit = submit_deposit(
        learner_a,
        DepositData(item_code="KJ-1", achieved_on="2023-09-01", certificate_no="CERT-9"),
        [SimpleUploadedFile("成绩单.pdf", PDF)],
        actor=learner_a.user,
    )
    return {"learner": learner_a, "outcome": outcome, "deposit": deposit, "evidence": deposit.evidence.get()}


def _other_learner_client(tree):
    client = Client()
    client.force_login(make_learner(tree.b).user)
    return client


# route: (args kind, {caller: expected}); "own" = the learner of the world
ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "archive:me-archive": ("", {"anon": LOGIN, "learner": 200, "staff": 302}),
    "archive:me-archive-export": ("", {"anon": LOGIN, "learner": 200, "staff": 302}),
    "archive:me-archive-transcript": ("", {"anon": LOGIN, "learner": 200, "staff": 302}),
    "archive:me-outcome": ("outcome", {"anon": LOGIN, "learner": 200, "other_learner": 404, "staff": 302}),
    "archive:me-deposit-new": ("", {"anon": LOGIN, "learner": 200, "staff": 302}),
    "archive:me-deposit": ("deposit", {"anon": LOGIN, "learner": 200, "other_learner": 404, "staff": 302}),
    "archive:me-evidence": ("evidence", {"anon": LOGIN, "learner": 200, "other_learner": 404, "staff": 302}),
    "archive:me-deposit-resubmit": (
        "deposit",
        {"anon": LOGIN, "learner": 302, "other_learner": 404, "staff": 302},
    ),
    "archive:me-deposit-withdraw": ("deposit", {"anon": LOGIN, "other_learner": 404, "staff": 302}),
    # the world's deposit is not a draft: the learner is told so (302 with a message), nothing moves
    "archive:me-deposit-submit": ("deposit", {"anon": LOGIN, "learner": 302, "other_learner": 404, "staff": 302}),
    "archive:staff-outcome": (
        "outcome",
        {"anon": LOGIN, "learner": 403, "auditor": 403, "other_admin": 404, "centre_operator": 200},
    ),
    "archive:staff-outcome-revoke": (
        "outcome",
        {"anon": LOGIN, "learner": 403, "centre_operator": 403, "other_admin": 404, "centre_admin": 302},
    ),
    "archive:learner-archive": (
        "account",
        {
            "anon": LOGIN,
            "learner": 403,
            "auditor": 403,
            "other_admin": 404,
            "centre_operator": 200,
            "centre_admin": 200,
        },
    ),
    "archive:learner-archive-export": (
        "account",
        {"anon": LOGIN, "learner": 403, "auditor": 403, "other_admin": 404, "centre_reviewer": 200},
    ),
    "archive:learner-archive-transcript": (
        "account",
        {"anon": LOGIN, "learner": 403, "auditor": 403, "other_admin": 404, "centre_operator": 200},
    ),
    "archive:staff-evidence": (
        "evidence",
        {"anon": LOGIN, "learner": 403, "auditor": 403, "other_admin": 404, "centre_reviewer": 200},
    ),
}
CLIENTS = {
    "anon": "anon_client",
    "learner": "learner_client",
    "staff": "centre_admin_client",
    "auditor": "root_auditor_client",
    "other_admin": "other_admin_client",
    "centre_operator": "centre_operator_client",
    "centre_admin": "centre_admin_client",
    "centre_reviewer": "centre_reviewer_client",
}
CASES = [(name, caller, expected) for name, (_kind, row) in ROUTES.items() for caller, expected in row.items()]


def _url(name: str, kind: str, world: dict[str, Any]) -> str:
    args = {
        "": [],
        "outcome": [world["outcome"].pk],
        "deposit": [world["deposit"].pk],
        "evidence": [world["evidence"].pk],
        "account": [world["learner"].account_no],
    }[kind]
    return reverse(name, args=args)


@pytest.mark.parametrize(("name", "caller", "expected"), CASES)
def test_archive_pages_answer_each_caller(request, tree, world, root_auditor, name, caller, expected):
    # given
    client = _other_learner_client(tree) if caller == "other_learner" else request.getfixturevalue(CLIENTS[caller])
    before = (
        Deposit.objects.count(),
        Evidence.objects.count(),
        AuditEntry.objects.filter(action__startswith="archive.").count(),
    )
    # when
    method = client.post if name.endswith(("-resubmit", "-withdraw", "-revoke", "-submit")) else client.get
    response = method(_url(name, ROUTES[name][0], world))
    # then
    if expected == LOGIN:
        assert response.status_code == 302
        assert urlparse(response["Location"]).path == reverse("accounts:login")
    else:
        assert response.status_code == expected
    if expected != 200:
        after = (
            Deposit.objects.count(),
            Evidence.objects.count(),
            AuditEntry.objects.filter(action__startswith="archive.").count(),
        )
        assert after == before


def test_every_archive_route_has_a_row():
    assert route_names("archive") == set(ROUTES)


def test_the_archive_shows_totals_timeline_filters_and_applications(tree, learner_a, learner_client):
    # given outcomes of two types in two years, one revoked
    course = make_item(code="C-1", name="高等数学", credits="4", type="degree_course", level=6)
    cert = make_item(code="X-1", name="Web前端开发（中级）", type="one_plus_x", level=5, credits=None, hours=None)
    make_outcome(learner=learner_a, item=course, achieved_on=dt.date(2022, 6, 30))
    make_outcome(learner=learner_a, item=cert, status="certified", achieved_on=dt.date(2024, 1, 5))
    make_outcome(
        learner=learner_a, item=course, status="revoked", certificate_no="OLD", achieved_on=dt.date(2024, 3, 1)
    )
    make_outcome(learner=make_learner(tree.b), item=course)  # someone else's
    # when
    response = learner_client.get(reverse("archive:me-archive"))
    # then
    summary = response.context["summary"]
    assert (summary.outcomes, summary.credits, summary.certified_credits) == (3, Decimal("10.0"), Decimal("6.0"))
    assert [(row["code"], row["credits"]) for row in summary.by_type] == [
        ("degree_course", Decimal("4.0")),
        ("one_plus_x", Decimal("6.0")),
    ]
    assert summary.years == [2024, 2022]
    assert [year for year, _items in response.context["timeline"]] == [2024, 2022]
    # filters
    response = learner_client.get(reverse("archive:me-archive"), {"type": "one_plus_x"})
    assert [o.item_code for _y, items in response.context["timeline"] for o in items] == ["X-1"]
    response = learner_client.get(reverse("archive:me-archive"), {"year": "2022", "status": "stored"})
    assert [o.item_code for _y, items in response.context["timeline"] for o in items] == ["C-1"]
    response = learner_client.get(reverse("archive:me-archive"), {"year": "1800"})  # not a year offered: ignored
    assert response.status_code == 200


def test_the_archive_export_is_an_excel_file_with_formulas_kept_as_text(tree, learner_a, learner_client):
    from openpyxl import load_workbook

    item = make_item(code="F-1", name='=HYPERLINK("http://x")', credits="2")
    make_outcome(learner=learner_a, item=item, score="A")
    response = learner_client.get(reverse("archive:me-archive-export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "F-1"
    assert rows[1][1] == '=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_a_learner_deposits_through_the_two_steps(tree, learner_a, learner_client):
    make_item(code="HL-1", name="护理学导论", credits="3")
    # step 1: search by pinyin initials
    response = learner_client.get(reverse("archive:me-deposit-new"), {"q": "hlx"})
    assert [item.code for item in response.context["results"]] == ["HL-1"]
    # step 2: the form, then the post
    response = learner_client.get(reverse("archive:me-deposit-new"), {"item": "HL-1"})
    assert response.context["item"].code == "HL-1"
    response = learner_client.post(
        reverse("archive:me-deposit-new"),
        {
            "item_code": "HL-1",
            "achieved_on": "2024-05-17",
            "score": "90",
            "evidence": [SimpleUploadedFile("a.pdf", PDF)],
        },
    )
    deposit = Deposit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:me-deposit", args=[deposit.pk])
    page = learner_client.get(response["Location"])
    assert page.context["history"][0]["kind"] == "submitted"
    assert "actor" not in page.context["history"][0]  # staff names are never shown to the learner


def test_a_bad_deposit_shows_the_reasons_on_the_form(tree, learner_a, learner_client):
    make_item(code="HL-1", name="护理学导论", credits="3")
    response = learner_client.post(
        reverse("archive:me-deposit-new"),
        {"item_code": "HL-1", "achieved_on": "2024-02-30", "evidence": [SimpleUploadedFile("a.pdf", b"not a pdf")]},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "achieved_on" in errors
    assert "evidence" in errors
    assert not Deposit.objects.exists()


def test_evidence_is_served_to_its_learner_and_to_staff_in_scope_with_a_log_row(
    world, learner_client, centre_reviewer_client
):
    own = learner_client.get(reverse("archive:me-evidence", args=[world["evidence"].pk]))
    assert b"".join(own.streaming_content) == PDF
    assert own["Content-Type"] == "application/pdf"
    assert own["X-Content-Type-Options"] == "nosniff"
    staff = centre_reviewer_client.get(reverse("archive:staff-evidence", args=[world["evidence"].pk]))
    assert staff.status_code == 200
    assert AuditEntry.objects.filter(action="archive.evidence_view").count() == 1


def test_staff_see_the_archive_of_a_learner_in_scope(world, centre_operator_client):
    response = centre_operator_client.get(reverse("archive:learner-archive", args=[world["learner"].account_no]))
    assert response.context["summary"].outcomes == 1
    assert len(response.context["deposits"]) == 1
    detail = centre_operator_client.get(reverse("learners:learner-detail", args=[world["learner"].account_no]))
    assert b'id="archive-link"' in detail.content
