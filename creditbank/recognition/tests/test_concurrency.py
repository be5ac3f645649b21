"""The same credential imported twice at the same moment (a double click on /me/recognitions/):
one import stores the outcome, the other reports it as a duplicate — never a 500. On PostgreSQL,
with two real connections."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection, connections

from creditbank.archive.models import Outcome
from creditbank.recognition import services
from creditbank.recognition.demo_data import new_issuer_key, partner_credential, sign
from creditbank.recognition.tests.helpers import items, make_standard

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _race(*steps):
    barrier = threading.Barrier(len(steps))
    results: list[object] = [None] * len(steps)

    def run(index, step):
        try:
            barrier.wait(timeout=10)
            results[index] = step()
        except Exception as exc:  # reported below: the test fails on any
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
def test_the_same_credential_imported_twice_at_once_is_stored_once(tree, learner_a):
    # given a partner standard and a credential of the learner signed by the partner
    items("R-1")
    key, did, method = new_issuer_key()
    standard = make_standard(mappings={"SH-001": ("程序设计", "R-1")}, trusted_issuers=did)
    credential = json.dumps(
        sign(
            partner_credential(
                did=did,
                achievement_code="SH-001",
                achievement_name="程序设计",
                achieved_on=dt.date(2024, 6, 30),
                id_number=learner_a.id_number,
            ),
            key,
            method,
        )
    )

    def load():
        return services.import_credential(learner_a, credential, standard=standard, actor=learner_a.user)

    # when the learner's two requests run at the same moment
    results = _race(load, load)
    # then neither failed, one stored it and the other found it stored
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sorted((result.imported, result.duplicates) for result in results) == [(0, 1), (1, 0)]
    assert Outcome.objects.filter(learner=learner_a).count() == 1
