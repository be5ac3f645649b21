"""Two writers at once, on two PostgreSQL connections: the head lock makes the second wait for
the first's commit, and the indexes stay gapless."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from creditbank.ledger import events, merkle, services
from creditbank.ledger.models import LedgerHead, LedgerLeaf

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one transaction at a time"),
]


def _batch(first: int, count: int) -> list[services.LeafEvent]:
    return [services.LeafEvent(events.OUTCOME_STORED, first + n, None, f"{first + n:064x}") for n in range(count)]


def test_concurrent_appends_wait_for_each_other_and_leave_no_gap():
    # given
    holding = threading.Event()
    results: dict[str, range] = {}
    finished: dict[str, float] = {}
    errors: list[BaseException] = []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                results["first"] = services.append_many(_batch(1, 3000))  # COPY path
                holding.set()
                time.sleep(0.5)  # still uncommitted: the other writer must wait
            finished["first"] = time.monotonic()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            holding.set()
        finally:
            connections.close_all()

    def second_writer() -> None:
        try:
            holding.wait(10)
            with transaction.atomic():
                results["second"] = services.append_many(_batch(10_001, 5))  # INSERT path
            finished["second"] = time.monotonic()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then
    assert errors == []
    assert (results["first"], results["second"]) == (range(0, 3000), range(3000, 3005))
    assert finished["second"] >= finished["first"]
    indexes = list(LedgerLeaf.objects.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(3005))
    hashes = [bytes(value) for value in LedgerLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)]
    head = LedgerHead.objects.get()
    assert (head.size, bytes(head.root_hash)) == (3005, merkle.root(hashes))
