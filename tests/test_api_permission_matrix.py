"""Every REST API route × every kind of caller, with the status each must get (STYLE.md §3.11).

The kinds of caller: anonymous; a learner (staff routers answer 403 before any lookup); staff
whose roles lack the route's action (403); another centre's administrator, for whom a target in
centre A is out of scope (404, exactly like a missing one; lists simply leave it out); staff of
centre A's own subtree; and the management centre. Refusals must leave no trace: no operation-log
row, and the target unchanged (Saleor). ``test_every_api_route_has_a_row`` fails when a route
(public ones included) is added without rows here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from creditbank.accounts.models import ApiToken, Learner
from creditbank.accounts.tests.factories import identity_data
from creditbank.api.tests.helpers import JSON, bearer_client, make_opening_application, post_json
from creditbank.audit import services as audit
from creditbank.audit.models import AuditEntry
from creditbank.reviews.models import Application, ReviewEvent

pytestmark = pytest.mark.django_db


def _writes() -> int:
    """Operation-log rows of writes: a refused review step is logged (reviews.refused) but writes nothing."""
    return AuditEntry.objects.exclude(action="reviews.refused").count()


ANONYMOUS = "anonymous"
LEARNER = "learner"
WITHOUT_ACTION = "role without the action"
OTHER_CENTRE = "other centre's admin"
OWN_SCOPE = "own-scope staff"
MANAGEMENT = "management centre"
CALLERS = (ANONYMOUS, LEARNER, WITHOUT_ACTION, OTHER_CENTRE, OWN_SCOPE, MANAGEMENT)

STAFF_PASSWORD = "Staff@pass123"


@dataclass
class World:
    """The targets, all inside centre A's subtree (A-PT), so that B's administrator is out of scope."""

    learner: Learner
    submitted: Application
    accepted: Application
    entry: Any
    login: Any


@dataclass(frozen=True)
class Route:
    call: Callable[[Client, World], Any]
    # (_case, client fixture or "bearer:<user fixture>", expected status, expected error code or None)
    cases: list[tuple[str, str, int, str | None]]
    # What must not change when the call is refused.
    state: Callable[[World], Any] = field(default=lambda world: None)
    # For lists: whether the response includes the target (checked on every 200).
    includes_target: Callable[[dict[str, Any], World], bool] | None = None
    # Public routes show the same thing to everyone; scoped lists leave out what is out of scope.
    public: bool = False


def _learner_state(world: World) -> Any:
    return Learner.objects.filter(pk=world.learner.pk).values_list("status", "updated_at").get()


def _application_state(application: Callable[[World], Application]) -> Callable[[World], Any]:
    def state(world: World) -> Any:
        pk = application(world).pk
        return (
            Application.objects.filter(pk=pk).values_list("status", "decision_note").get(),
            ReviewEvent.objects.filter(application_id=pk).count(),
            Learner.objects.filter(applications__pk=pk).values_list("status", flat=True).get(),
        )

    return state


def _has(key: str, value: Callable[[World], Any]) -> Callable[[dict[str, Any], World], bool]:
    return lambda body, world: any(item[key] == value(world) for item in body["items"])


CATALOG_CODE = "MATRIX-1"


def _with_catalog_item(client: Client, url: str) -> Any:
    """The catalog is public reference data: one published item to look for."""
    from creditbank.catalog.models import CatalogItem
    from creditbank.catalog.tests.factories import make_item

    if not CatalogItem.objects.filter(code=CATALOG_CODE).exists():
        make_item(code=CATALOG_CODE, name="计算机应用基础")
    return client.get(url)


PROGRAMME_CODE = "MATRIX-P"


def _programme(world: World) -> Any:
    """A programme of B (a university centre) with one published rule, made by the ``state``
    snapshot before the call (so that its audit rows come first): public reference data."""
    from creditbank.conversion.models import Programme
    from creditbank.conversion.tests.factories import make_programme, make_rule
    from creditbank.orgs.models import OrgUnit

    if not Programme.objects.filter(code=PROGRAMME_CODE).exists():
        from creditbank.catalog.models import CatalogItem
        from creditbank.catalog.tests.factories import make_item

        if not CatalogItem.objects.filter(code=CATALOG_CODE).exists():
            make_item(code=CATALOG_CODE, name="计算机应用基础")
        programme = make_programme(
            OrgUnit.objects.get(code="B"), code=PROGRAMME_CODE, name="计算机应用技术", courses={"C1": (3, "必修")}
        )
        make_rule(programme, "R1", CATALOG_CODE, "C1")
    return PROGRAMME_CODE


def _with_checkpoint(client: Client, url: str) -> Any:
    """The ledger is public: the world's accounts are on it; sign it once so that there is a checkpoint."""
    from creditbank.ledger import selectors, services

    if selectors.latest_checkpoint() is None:
        services.make_checkpoint()
    return client.get(url)


def _my_outcome(world: World) -> Any:
    """Made once per test, by the ``state`` snapshot before the call (so its audit rows come first)."""
    from creditbank.archive.tests.factories import make_outcome

    if not hasattr(world, "outcome"):
        world.outcome = make_outcome(learner=world.learner)  # type: ignore[attr-defined]
    return world.outcome  # type: ignore[attr-defined]


def _my_certified_outcome(world: World) -> Any:
    """A certified outcome of the world's learner, made once per test by the state snapshot."""
    from creditbank.credentials.tests.factories import make_certified_outcome

    if not hasattr(world, "certified_outcome"):
        world.certified_outcome = make_certified_outcome(learner=world.learner)  # type: ignore[attr-defined]
    return world.certified_outcome  # type: ignore[attr-defined]


def _credential_state(world: World) -> Any:
    from creditbank.credentials.models import IssuedCredential

    _my_certified_outcome(world)
    return IssuedCredential.objects.count()


def _status_list(world: World) -> Any:
    from creditbank.credentials.models import StatusList

    return StatusList.objects.first() or StatusList.objects.create()


def _post_deposit(client: Client) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    evidence = SimpleUploadedFile("cert.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    return client.post(
        "/api/v1/me/deposits", {"item_code": CATALOG_CODE, "achieved_on": "2024-05-17", "evidence": evidence}
    )


def _deposit_state(world: World) -> Any:
    from creditbank.archive.models import Deposit, Evidence
    from creditbank.catalog.models import CatalogItem
    from creditbank.catalog.tests.factories import make_item

    if not CatalogItem.objects.filter(code=CATALOG_CODE).exists():
        make_item(code=CATALOG_CODE, name="计算机应用基础")
    return Deposit.objects.count(), Evidence.objects.count(), Application.objects.count()


def _push(client: Client) -> Any:
    return post_json(
        client,
        "/api/v1/outcomes:batch",
        {"records": [{"id_number": "x", "name": "x", "item_code": CATALOG_CODE, "achieved_on": "2024-05-17"}]},
    )


def _outcome_count(world: World) -> Any:
    from creditbank.archive.models import Outcome
    from creditbank.catalog.models import CatalogItem
    from creditbank.catalog.tests.factories import make_item

    if not CatalogItem.objects.filter(code=CATALOG_CODE).exists():
        make_item(code=CATALOG_CODE, name="计算机应用基础")
    return Outcome.objects.count()


def _my_deposit(world: World) -> Any:
    """A returned deposit of the world's learner, made once per test by the state snapshot."""
    if not hasattr(world, "deposit"):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from creditbank.archive.deposits import DepositData, submit_deposit
        from creditbank.catalog.models import CatalogItem
        from creditbank.catalog.tests.factories import make_item
        from creditbank.reviews import services as review_services

        if not CatalogItem.objects.filter(code=CATALOG_CODE).exists():
            make_item(code=CATALOG_CODE, name="计算机应用基础")
        deposit = submit_deposit(
            world.learner,
            DepositData(item_code=CATALOG_CODE, achieved_on="2024-05-17"),
            [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
            actor=world.learner.user,
        )
        from creditbank.accounts.models import User

        reviewer = User.objects.get(username="centre_reviewer")
        review_services.return_application(deposit.application, actor=reviewer, note="请补充")
        world.deposit = deposit  # type: ignore[attr-defined]
    return world.deposit  # type: ignore[attr-defined]


def _my_deposit_state(world: World) -> Any:
    deposit = _my_deposit(world)
    return Application.objects.filter(pk=deposit.application_id).values_list(
        "status"
    ).get(), ReviewEvent.objects.count()


def _learner_only(status: int = 200) -> list[tuple[str, str, int, str | None]]:
    return [
        (ANONYMOUS, "anon_client", 401, "not_authenticated"),
        (LEARNER, "learner_client", status, None),
        (WITHOUT_ACTION, "root_auditor_client", 403, "learner_only"),
        (OTHER_CENTRE, "other_admin_client", 403, "learner_only"),
        (OWN_SCOPE, "centre_admin_client", 403, "learner_only"),
        (MANAGEMENT, "root_admin_client", 403, "learner_only"),
    ]


def _public(status: int = 200) -> list[tuple[str, str, int, str | None]]:
    return [
        (ANONYMOUS, "anon_client", status, None),
        (LEARNER, "learner_client", status, None),
        (WITHOUT_ACTION, "root_auditor_client", status, None),
        (OTHER_CENTRE, "other_admin_client", status, None),
        (OWN_SCOPE, "centre_admin_client", status, None),
        (MANAGEMENT, "root_admin_client", status, None),
    ]


def _staff(
    *,
    without: tuple[str, str],
    other: tuple[int, str | None],
    own: str,
    own_status: int = 200,
    management: str = "root_admin_client",
) -> list[tuple[str, str, int, str | None]]:
    return [
        (ANONYMOUS, "anon_client", 401, "not_authenticated"),
        (LEARNER, "learner_client", 403, "staff_only"),
        (WITHOUT_ACTION, without[0], 403, without[1]),
        (OTHER_CENTRE, "other_admin_client", *other),
        (OWN_SCOPE, own, own_status, None),
        (MANAGEMENT, management, own_status, None),
    ]


MATRIX: dict[tuple[str, str], Route] = {
    # --- public on purpose ---------------------------------------------------------------
    ("GET", "/api/v1/"): Route(call=lambda client, world: client.get("/api/v1/"), cases=_public()),
    ("GET", "/api/v1/openapi.json"): Route(
        call=lambda client, world: client.get("/api/v1/openapi.json"), cases=_public()
    ),
    ("GET", "/api/v1/docs"): Route(call=lambda client, world: client.get("/api/v1/docs"), cases=_public()),
    ("GET", "/api/v1/orgs"): Route(
        call=lambda client, world: client.get("/api/v1/orgs?kind=point"),
        cases=_public(),
        includes_target=_has("code", lambda world: "A-PT"),
        public=True,
    ),
    ("GET", "/api/v1/orgs/{code}"): Route(call=lambda client, world: client.get("/api/v1/orgs/A-PT"), cases=_public()),
    ("GET", "/api/v1/catalog/items"): Route(
        call=lambda client, world: _with_catalog_item(client, "/api/v1/catalog/items?q=jsj"),
        cases=_public(),
        includes_target=_has("code", lambda world: CATALOG_CODE),
        public=True,
    ),
    ("GET", "/api/v1/catalog/items/{code}"): Route(
        call=lambda client, world: _with_catalog_item(client, f"/api/v1/catalog/items/{CATALOG_CODE}"),
        cases=_public(),
    ),
    ("GET", "/api/v1/ledger/checkpoint"): Route(
        call=lambda client, world: _with_checkpoint(client, "/api/v1/ledger/checkpoint"), cases=_public()
    ),
    ("GET", "/api/v1/ledger/proof/inclusion"): Route(
        call=lambda client, world: _with_checkpoint(client, "/api/v1/ledger/proof/inclusion?index=0"), cases=_public()
    ),
    ("GET", "/api/v1/ledger/proof/consistency"): Route(
        call=lambda client, world: _with_checkpoint(client, "/api/v1/ledger/proof/consistency?from=1"), cases=_public()
    ),
    ("GET", "/api/v1/programmes"): Route(
        call=lambda client, world: client.get("/api/v1/programmes?q=jsj"),
        cases=_public(),
        state=_programme,
        includes_target=_has("code", lambda world: PROGRAMME_CODE),
        public=True,
    ),
    ("GET", "/api/v1/programmes/{code}"): Route(
        call=lambda client, world: client.get(f"/api/v1/programmes/{PROGRAMME_CODE}"),
        cases=_public(),
        state=_programme,
    ),
    # what is an outcome worth here? (public, rate-limited per address or account)
    ("GET", "/api/v1/conversion/worth"): Route(
        call=lambda client, world: client.get(f"/api/v1/conversion/worth?q={CATALOG_CODE}"),
        cases=_public(),
        state=_programme,
    ),
    ("POST", "/api/v1/auth/token"): Route(
        # Whoever calls, with a valid staff password: the session (or its absence) plays no part.
        call=lambda client, world: post_json(
            client, "/api/v1/auth/token", {"username": "centre_reviewer", "password": STAFF_PASSWORD}
        ),
        cases=_public(),
    ),
    # anyone may check a credential, and read the status lists credentials point to
    ("POST", "/api/v1/credentials/verify"): Route(
        call=lambda client, world: client.post("/api/v1/credentials/verify", b"[]", content_type=JSON),
        cases=_public(),
    ),
    ("GET", "/api/v1/credentials/status/{list_id}"): Route(
        call=lambda client, world: client.get(f"/api/v1/credentials/status/{_status_list(world).pk}"),
        cases=_public(),
    ),
    # --- any signed-in user --------------------------------------------------------------
    ("GET", "/api/v1/me"): Route(
        call=lambda client, world: client.get("/api/v1/me"),
        cases=[
            (ANONYMOUS, "anon_client", 401, "not_authenticated"),
            (LEARNER, "learner_client", 200, None),
            (WITHOUT_ACTION, "root_auditor_client", 200, None),  # needs no action
            (OTHER_CENTRE, "other_admin_client", 200, None),
            (OWN_SCOPE, "centre_admin_client", 200, None),
            (MANAGEMENT, "root_admin_client", 200, None),
        ],
    ),
    # --- learners: their own archive ----------------------------------------------------
    ("GET", "/api/v1/me/outcomes"): Route(
        call=lambda client, world: client.get("/api/v1/me/outcomes"), cases=_learner_only()
    ),
    ("GET", "/api/v1/me/outcomes/{outcome_id}"): Route(
        call=lambda client, world: client.get(f"/api/v1/me/outcomes/{_my_outcome(world).pk}"),
        cases=_learner_only(),
        state=lambda world: _my_outcome(world).pk,
    ),
    ("GET", "/api/v1/me/summary"): Route(
        call=lambda client, world: client.get("/api/v1/me/summary"), cases=_learner_only()
    ),
    ("GET", "/api/v1/me/deposits"): Route(
        call=lambda client, world: client.get("/api/v1/me/deposits"), cases=_learner_only()
    ),
    # 学习成果证明: a PDF, the caller's own (archive/tests/test_transcripts.py checks its content)
    ("GET", "/api/v1/me/transcript.pdf"): Route(
        call=lambda client, world: client.get("/api/v1/me/transcript.pdf"), cases=_learner_only()
    ),
    ("POST", "/api/v1/me/deposits"): Route(
        call=lambda client, world: _post_deposit(client), cases=_learner_only(201), state=_deposit_state
    ),
    # verifiable credentials of the caller's own certified outcomes (credentials/tests/test_api.py)
    ("GET", "/api/v1/me/outcomes/{outcome_id}/credential"): Route(
        call=lambda client, world: client.get(f"/api/v1/me/outcomes/{_my_certified_outcome(world).pk}/credential"),
        cases=_learner_only(),
        state=_credential_state,
    ),
    ("GET", "/api/v1/me/transcript/credential"): Route(
        call=lambda client, world: client.get("/api/v1/me/transcript/credential"),
        cases=_learner_only(),
        state=_credential_state,
    ),
    ("GET", "/api/v1/me/applications"): Route(
        call=lambda client, world: client.get("/api/v1/me/applications"), cases=_learner_only()
    ),
    ("POST", "/api/v1/me/applications/{application_id}/resubmit"): Route(
        call=lambda client, world: client.post(
            f"/api/v1/me/applications/{_my_deposit(world).application_id}/resubmit", {"note": "已补充"}
        ),
        cases=_learner_only(),
        state=_my_deposit_state,
    ),
    # the world's deposit was sent, not saved as a draft: the learner's own call answers 409
    ("POST", "/api/v1/me/applications/{application_id}/submit"): Route(
        call=lambda client, world: client.post(
            f"/api/v1/me/applications/{_my_deposit(world).application_id}/submit", {}
        ),
        cases=_learner_only(409),
        state=_my_deposit_state,
    ),
    ("POST", "/api/v1/me/applications/{application_id}/withdraw"): Route(
        call=lambda client, world: post_json(
            client, f"/api/v1/me/applications/{_my_deposit(world).application_id}/withdraw", {}
        ),
        cases=_learner_only(),
        state=_my_deposit_state,
    ),
    # degree audit (学历提升): the caller's own archive against a public programme
    ("GET", "/api/v1/me/programmes/{code}/audit"): Route(
        call=lambda client, world: client.get(f"/api/v1/me/programmes/{PROGRAMME_CODE}/audit"),
        cases=_learner_only(),
        state=_programme,
    ),
    ("POST", "/api/v1/me/programmes/{code}/what-if"): Route(
        call=lambda client, world: post_json(
            client, f"/api/v1/me/programmes/{PROGRAMME_CODE}/what-if", {"items": [CATALOG_CODE]}
        ),
        cases=_learner_only(),
        state=_programme,
    ),
    ("GET", "/api/v1/me/programmes/{code}/map"): Route(
        call=lambda client, world: client.get(f"/api/v1/me/programmes/{PROGRAMME_CODE}/map"),
        cases=_learner_only(),
        state=_programme,
    ),
    # the world's learner has nothing that converts: their own call answers 422 and files nothing
    ("POST", "/api/v1/me/programmes/{code}/applications"): Route(
        call=lambda client, world: post_json(client, f"/api/v1/me/programmes/{PROGRAMME_CODE}/applications", {}),
        cases=_learner_only(422),
        state=lambda world: (_programme(world), Application.objects.count(), ReviewEvent.objects.count()),
    ),
    # --- institutions: their own token, no session -------------------------------------
    ("POST", "/api/v1/outcomes:batch"): Route(
        call=lambda client, world: _push(client),
        cases=[
            (ANONYMOUS, "anon_client", 401, "not_authenticated"),
            (LEARNER, "learner_client", 401, "not_authenticated"),
            (WITHOUT_ACTION, "institution-revoked:A-PT", 401, "not_authenticated"),  # a revoked token
            (OTHER_CENTRE, "bearer:other_admin", 401, "not_authenticated"),  # a user's token is not an institution's
            (OWN_SCOPE, "institution:A-PT", 200, None),
            (MANAGEMENT, "root_admin_client", 401, "not_authenticated"),
        ],
        state=_outcome_count,
    ),
    ("DELETE", "/api/v1/auth/token"): Route(
        # Bearer only: each caller revokes the token it sent, never someone else's.
        call=lambda client, world: client.delete("/api/v1/auth/token"),
        cases=[
            (ANONYMOUS, "anon_client", 401, "not_authenticated"),
            (LEARNER, "bearer:learner_a", 204, None),
            (WITHOUT_ACTION, "bearer:root_auditor", 204, None),  # needs no action
            (OTHER_CENTRE, "bearer:other_admin", 204, None),
            (OWN_SCOPE, "bearer:centre_admin", 204, None),
            (MANAGEMENT, "bearer:root_admin", 204, None),
        ],
        state=lambda world: ApiToken.objects.filter(revoked_at__isnull=False).count(),
    ),
    # --- learners ------------------------------------------------------------------------
    ("GET", "/api/v1/learners"): Route(
        call=lambda client, world: client.get("/api/v1/learners", {"account_no": world.learner.account_no}),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_accounts_view"),
            other=(200, None),
            own="centre_operator_client",
        ),
        includes_target=_has("account_no", lambda world: world.learner.account_no),
    ),
    ("POST", "/api/v1/learners"): Route(
        call=lambda client, world: post_json(client, "/api/v1/learners", {"org": "A-PT", **identity_data()}),
        cases=_staff(
            without=("centre_reviewer_client", "role_cannot_accounts_open"),
            other=(404, "org_not_found"),
            own="point_operator_client",
            own_status=201,
        ),
        state=lambda world: Learner.objects.count(),
    ),
    ("GET", "/api/v1/learners/{account_no}"): Route(
        call=lambda client, world: client.get(f"/api/v1/learners/{world.learner.account_no}"),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_accounts_view"),
            other=(404, "learner_not_found"),
            own="centre_operator_client",
        ),
    ),
    ("POST", "/api/v1/learners/{account_no}/unmask"): Route(
        call=lambda client, world: post_json(client, f"/api/v1/learners/{world.learner.account_no}/unmask"),
        cases=_staff(
            without=("centre_operator_client", "role_cannot_accounts_unmask"),
            other=(404, "learner_not_found"),
            own="centre_reviewer_client",
        ),
    ),
    ("POST", "/api/v1/learners/{account_no}/status"): Route(
        call=lambda client, world: post_json(
            client, f"/api/v1/learners/{world.learner.account_no}/status", {"status": "frozen"}
        ),
        cases=_staff(
            without=("centre_operator_client", "role_cannot_accounts_manage"),
            other=(404, "learner_not_found"),
            own="centre_admin_client",
        ),
        state=_learner_state,
    ),
    ("GET", "/api/v1/learners/{account_no}/programmes/{code}/audit"): Route(
        call=lambda client, world: client.get(
            f"/api/v1/learners/{world.learner.account_no}/programmes/{PROGRAMME_CODE}/audit"
        ),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_archive_view"),
            other=(404, "learner_not_found"),
            own="centre_operator_client",
        ),
        state=_programme,
    ),
    ("GET", "/api/v1/learners/{account_no}/programmes/{code}/map"): Route(
        call=lambda client, world: client.get(
            f"/api/v1/learners/{world.learner.account_no}/programmes/{PROGRAMME_CODE}/map"
        ),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_archive_view"),
            other=(404, "learner_not_found"),
            own="centre_operator_client",
        ),
        state=_programme,
    ),
    # --- reviews -------------------------------------------------------------------------
    ("GET", "/api/v1/reviews/applications"): Route(
        call=lambda client, world: client.get("/api/v1/reviews/applications?status=all"),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_reviews_view"), other=(200, None), own="centre_reviewer_client"
        ),
        includes_target=_has("id", lambda world: world.submitted.pk),
    ),
    ("GET", "/api/v1/reviews/applications/{application_id}"): Route(
        call=lambda client, world: client.get(f"/api/v1/reviews/applications/{world.submitted.pk}"),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_reviews_view"),
            other=(404, "application_not_found"),
            own="centre_reviewer_client",
        ),
    ),
    ("GET", "/api/v1/reviews/queue"): Route(
        call=lambda client, world: client.get("/api/v1/reviews/queue?state=all"),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_reviews_view"), other=(200, None), own="centre_reviewer_client"
        ),
        includes_target=_has("id", lambda world: world.submitted.pk),
    ),
    ("GET", "/api/v1/reviews/{application_id}"): Route(
        call=lambda client, world: client.get(f"/api/v1/reviews/{world.submitted.pk}"),
        cases=_staff(
            without=("root_auditor_client", "role_cannot_reviews_view"),
            other=(404, "application_not_found"),
            own="centre_reviewer_client",
        ),
    ),
    ("POST", "/api/v1/reviews/{application_id}/{action}"): Route(
        call=lambda client, world: post_json(client, f"/api/v1/reviews/{world.submitted.pk}/accept"),
        cases=_staff(
            without=("centre_admin_client", "role_cannot_reviews_accept"),
            other=(404, "application_not_found"),
            own="centre_reviewer_client",
            management="root_reviewer_client",
        ),
        state=_application_state(lambda world: world.submitted),
    ),
    ("POST", "/api/v1/reviews/applications/{application_id}/accept"): Route(
        call=lambda client, world: post_json(client, f"/api/v1/reviews/applications/{world.submitted.pk}/accept"),
        cases=_staff(
            # An administrator may view applications but not accept them.
            without=("centre_admin_client", "role_cannot_reviews_accept"),
            other=(404, "application_not_found"),
            own="centre_reviewer_client",
            management="root_reviewer_client",
        ),
        state=_application_state(lambda world: world.submitted),
    ),
    ("POST", "/api/v1/reviews/applications/{application_id}/first-review"): Route(
        call=lambda client, world: post_json(
            client, f"/api/v1/reviews/applications/{world.accepted.pk}/first-review", {"decision": "approve"}
        ),
        cases=_staff(
            without=("centre_admin_client", "role_cannot_reviews_first_review"),
            other=(404, "application_not_found"),
            own="centre_reviewer_client",
            management="root_reviewer_client",
        ),
        state=_application_state(lambda world: world.accepted),
    ),
    # --- audit ---------------------------------------------------------------------------
    ("GET", "/api/v1/audit/entries"): Route(
        call=lambda client, world: client.get("/api/v1/audit/entries?action=matrix.target"),
        cases=_staff(
            without=("centre_reviewer_client", "role_cannot_audit_view"), other=(200, None), own="centre_admin_client"
        ),
        includes_target=_has("id", lambda world: world.entry.pk),
    ),
    ("GET", "/api/v1/audit/logins"): Route(
        call=lambda client, world: client.get("/api/v1/audit/logins", {"actor": world.learner.account_no}),
        cases=_staff(
            without=("centre_reviewer_client", "role_cannot_audit_view"), other=(200, None), own="centre_admin_client"
        ),
        includes_target=_has("id", lambda world: world.login.pk),
    ),
    # --- mutual recognition (creditbank/recognition/tests/matrix.py) ----------------------------
    ("GET", "/api/v1/recognition/standards"): Route(
        call=lambda client, world: _recognition().get_standards(client, "/api/v1/recognition/standards"),
        cases=_public(),
        includes_target=lambda body, world: _recognition().has_standard(body, world),
        public=True,
    ),
    ("GET", "/api/v1/recognition/standards/{code}"): Route(
        call=lambda client, world: _recognition().get_standards(client, "/api/v1/recognition/standards/CSJ-MATRIX"),
        cases=_public(),
    ),
    ("POST", "/api/v1/me/recognitions"): Route(
        call=lambda client, world: _recognition().post_recognition(client, world),
        cases=_learner_only(201),
        state=lambda world: _recognition().recognition_state(world),
    ),
}


def _recognition() -> Any:
    from creditbank.recognition.tests import matrix

    return matrix


# A list in scope includes the target; the other centre's list leaves it out.
_SEES_TARGET = {OWN_SCOPE: True, MANAGEMENT: True, OTHER_CENTRE: False}


@pytest.fixture
def world(tree, learner_a, learner_b, centre_reviewer, root_admin):
    return World(
        learner=learner_a,
        submitted=make_opening_application(tree.a_point),
        accepted=make_opening_application(tree.a_point, accepted=True),
        entry=audit.record(actor=root_admin, action="matrix.target", obj=learner_a),
        login=audit.record_login(
            identifier=learner_a.account_no, method="password", is_success=True, user=learner_a.user
        ),
    )


def _client(request, name: str) -> Client:
    if name.startswith(("institution:", "institution-revoked:")):
        from creditbank.orgs.models import OrgUnit
        from creditbank.orgs.tokens import issue_institution_token, revoke_institution_token

        token, secret = issue_institution_token(OrgUnit.objects.get(code=name.split(":")[1]), name="matrix", actor=None)
        if name.startswith("institution-revoked:"):
            revoke_institution_token(token, actor=None)
        return Client(headers={"Authorization": f"Bearer {secret}"})
    if name.startswith("bearer:"):
        user = request.getfixturevalue(name.removeprefix("bearer:"))
        return bearer_client(getattr(user, "user", user))
    return request.getfixturevalue(name)


CASES = [
    pytest.param(method, path, _case, client_name, expected, code, id=f"{method} {path} · {_case}")
    for (method, path), route in MATRIX.items()
    for _case, client_name, expected, code in route.cases
]


@pytest.mark.parametrize(("method", "path", "_case", "client_name", "expected", "code"), CASES)
def test_api_permissions(request, world, method, path, _case, client_name, expected, code):
    # given
    route = MATRIX[(method, path)]
    client = _client(request, client_name)
    before = (route.state(world), _writes())
    # when
    response = route.call(client, world)
    # then
    assert response.status_code == expected, response.content
    if code is not None:
        assert response.json()["code"] == code
    if expected == 200 and route.includes_target is not None:
        assert route.includes_target(response.json(), world) is (route.public or _SEES_TARGET[_case])
    if expected >= 400:  # Saleor: prove nothing happened
        assert (route.state(world), _writes()) == before


# --- completeness ----------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _normalise(path: str) -> str:
    path = re.sub(r"/+", "/", path)
    return path if path == "/api/v1/" else path.rstrip("/")


def collect_api_routes() -> set[tuple[str, str]]:
    """Every (method, path) the API answers: ninja's operations, plus the API's other URL patterns
    (OpenAPI document, docs, index), which are GET only."""
    from creditbank.api import urls as api_urls
    from creditbank.api.main import api

    routes: set[tuple[str, str]] = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                routes.update((method, _normalise(f"/api/v1/{prefix}/{path}")) for method in operation.methods)
    operation_paths = {path for _method, path in routes}
    for resolver in api_urls.urlpatterns:
        for pattern in getattr(resolver, "url_patterns", []):
            path = _normalise("/api/v1/" + _CONVERTER.sub(r"{\1}", str(pattern.pattern)))
            if path not in operation_paths:
                routes.add(("GET", path))
    return routes


def test_every_api_route_has_a_row():
    # given
    routes = collect_api_routes()
    # then
    assert sorted(routes - set(MATRIX)) == [], "routes without rows in the permission matrix"
    assert sorted(set(MATRIX) - routes) == [], "rows for routes that no longer exist"


def test_every_route_is_tried_by_every_kind_of_caller():
    incomplete = {
        f"{method} {path}": sorted(set(CALLERS) - {case[0] for case in route.cases})
        for (method, path), route in MATRIX.items()
        if sorted(case[0] for case in route.cases) != sorted(CALLERS)
    }
    assert incomplete == {}


def test_the_openapi_document_lists_no_route_the_matrix_misses(anon_client):
    # when
    schema = anon_client.get("/api/v1/openapi.json").json()
    # then
    documented = {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}
    assert len(documented) == 51
    assert documented <= set(MATRIX)


def test_staff_routes_refuse_before_any_lookup(learner_client, world, django_assert_max_num_queries):
    """A learner asking a staff route about their own account number gets 403, not 200 or 404."""
    # when
    with django_assert_max_num_queries(3):  # session, user, and nothing about learners
        response = learner_client.get(f"/api/v1/learners/{world.learner.account_no}", content_type=JSON)
    # then
    assert response.status_code == 403
    assert response.json()["code"] == "staff_only"
