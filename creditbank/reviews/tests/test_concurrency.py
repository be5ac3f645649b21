"""Two reviewers act on the same application at the same moment (issue 5): exactly one step wins,
the other gets a clear refusal and changes nothing. On PostgreSQL, with two real connections."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.core.errors import ApplicationError
from creditbank.orgs.tests.factories import make_staff
from creditbank.reviews import services
from creditbank.reviews.models import Application, ReviewEvent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _race(*steps):
    """Run each step in its own thread (its own database connection), released together."""
    barrier = threading.Barrier(len(steps))
    results: list[object] = [None] * len(steps)

    def run(index, step):
        try:
            barrier.wait(timeout=10)
            results[index] = step()
        except Exception as exc:  # the refusal is the expected outcome of one of them
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, step)) for index, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real database connections")
def test_two_reviewers_certifying_at_once_store_one_outcome(tree, learner_a):
    # given an accepted deposit and two reviewers of the centre
    make_item(code="HL-1", name="护理学导论", credits="3")
    first, second = (make_staff(tree.a, "reviewer", username=name) for name in ("race_one", "race_two"))
    deposit = submit_deposit(
        learner_a,
        DepositData(item_code="HL-1", achieved_on="2024-05-17"),
        [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
        actor=learner_a.user,
    )
    application = deposit.application
    services.accept_application(application, actor=first)
    # when both certify at the same moment
    results = _race(
        lambda: services.certify_application(Application.objects.get(pk=application.pk), actor=first),
        lambda: services.certify_application(Application.objects.get(pk=application.pk), actor=second),
    )
    # then exactly one won, the other was told the application had moved on
    refusals = [result for result in results if isinstance(result, ApplicationError)]
    wins = [result for result in results if isinstance(result, Application)]
    assert (len(wins), len(refusals)) == (1, 1), results
    assert refusals[0].code == "invalid_transition"
    assert refusals[0].status == 409
    assert Outcome.objects.filter(learner=learner_a).count() == 1
    assert ReviewEvent.objects.filter(application=application, kind="certified").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real database connections")
def test_reject_and_accept_at_once_leave_one_decision(tree, learner_a):
    make_item(code="HL-1", name="护理学导论", credits="3")
    first, second = (make_staff(tree.a, "reviewer", username=name) for name in ("race_three", "race_four"))
    application = submit_deposit(
        learner_a,
        DepositData(item_code="HL-1", achieved_on="2024-05-17"),
        [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
        actor=learner_a.user,
    ).application
    results = _race(
        lambda: services.accept_application(Application.objects.get(pk=application.pk), actor=first),
        lambda: services.reject_application(Application.objects.get(pk=application.pk), actor=second, note="材料不符"),
    )
    application.refresh_from_db()
    events = list(ReviewEvent.objects.filter(application=application).order_by("id").values_list("kind", flat=True))
    # both orders are legal (accept then reject, or reject then a refused accept); never a lost update
    if isinstance(results[0], ApplicationError):
        assert (application.status, events) == ("rejected", ["submitted", "rejected"])
    else:
        assert (application.status, events) == ("rejected", ["submitted", "accepted", "rejected"])
