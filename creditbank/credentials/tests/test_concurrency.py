"""A credential asked for while its outcome is being revoked (PostgreSQL, two real connections):
either it is refused, or the revocation covers it — never a valid credential of a revoked outcome."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from creditbank.archive import services as archive_services
from creditbank.archive.models import Outcome
from creditbank.core.errors import ApplicationError
from creditbank.credentials import services
from creditbank.credentials.models import IssuedCredential
from creditbank.credentials.tests.factories import make_certified_outcome


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real database connections")
def test_a_credential_asked_for_during_a_revocation_is_refused(tree, learner_a, root_admin):
    # given: a certified outcome that an administrator is revoking (their transaction still open)
    outcome = make_certified_outcome(learner=learner_a)
    revoked, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def revoke() -> None:
        try:
            with transaction.atomic():
                archive_services.revoke_outcome(
                    Outcome.objects.get(pk=outcome.pk), actor=root_admin, reason="证书系伪造"
                )
                revoked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def issue() -> None:
        revoked.wait(10)
        try:
            results["issue"] = services.issue_outcome_credential(Outcome.objects.get(pk=outcome.pk))
        except ApplicationError as exc:
            results["issue"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=revoke), threading.Thread(target=issue)]
    for thread in threads:
        thread.start()
    # when the learner asks for the credential meanwhile (given a second to get it), then the revocation commits
    threads[1].join(timeout=1)
    release.set()
    for thread in threads:
        thread.join(timeout=20)
    # then the learner was refused, and no unrevoked credential of the outcome exists
    assert isinstance(results["issue"], ApplicationError), results
    assert results["issue"].code == "outcome_not_certified"
    assert IssuedCredential.objects.filter(outcome_id=outcome.pk, revoked_at__isnull=True).count() == 0
