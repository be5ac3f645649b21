"""``make bench`` (part): credential verification per second on one core.

1. A fresh database (``--database-url``, default PostgreSQL
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_credentials``; a ``sqlite:///`` URL works
   too), migrated, the demo catalog, a small org tree and one learner with 10 certified outcomes,
   each entered in the ledger (``outcome.certified``) as the review workflow does; then the
   Open Badges 3.0 credential of one outcome and the CLR transcript of all ten are issued, and a
   credential of another issuer (did:key, no status list) is signed.
2. The process is pinned to one core (``sched_setaffinity``) and verifies each document from
   its JSON text (parsing included), ``--seconds`` (default 5) per kind after a warm-up:
   - ``ob3``: our outcome credential — JSON, @context, eddsa-jcs-2022 signature with our own
     did:web key resolved locally, dates, revocation bit from our status list (cached);
   - ``ob3_full``: the same, plus the archive row and the ledger's inclusion proof of the
     outcome (what the verification page shows: two to four more queries);
   - ``transcript``: the CLR transcript, with its ten embedded credentials, checked the same
     way as ``ob3`` (eleven signatures);
   - ``did_key``: another issuer's credential (did:key), nothing from the database.
   Every verdict must be valid.
3. Prints one JSON line per kind: verifications per second, p50 and p99 in microseconds.

Target (issue 6): at least 1,000 verifications of a typical OB3 credential per second on one
core, with our own DID resolved locally and the status list cached: the ``ob3`` figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_credentials"
TARGET = 1000


def _recreate(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _prepare() -> dict[str, str]:
    """The four documents, as JSON text (inside a Django process)."""
    from django.db import transaction
    from django.utils import timezone

    from creditbank.accounts.tests.factories import make_learner
    from creditbank.archive.models import Outcome
    from creditbank.archive.tests.factories import outcome_fields
    from creditbank.catalog.demo_data import load_catalog
    from creditbank.catalog.models import CatalogItem
    from creditbank.credentials import services
    from creditbank.credentials.tests import helpers
    from creditbank.ledger import events as ledger_events
    from creditbank.ledger import services as ledger
    from creditbank.orgs.tests.factories import make_org

    load_catalog()
    root = make_org(None, kind="management", code="MC", name="管理中心", region="340000", category="")
    centre = make_org(root, kind="centre", code="A", name="合肥中心", region="340100", category="local")
    learner = make_learner(centre)
    items = list(CatalogItem.objects.filter(is_current=True, status="published").order_by("code")[:10])
    with transaction.atomic():
        outcomes = []
        for index, item in enumerate(items):
            fields = outcome_fields(
                learner=learner,
                item=item,
                certificate_no=f"C{index:04d}",
                status="certified",
                certified_at=timezone.now(),
                certified_by_org=centre,
                score="优秀" if index % 2 else "86",
            )
            outcome = Outcome.objects.create(**fields)
            ledger.append(ledger_events.OUTCOME_CERTIFIED, record=outcome, learner=learner.pk)
            outcomes.append(outcome)
    ledger.make_checkpoint(force=True)
    credential = services.issue_outcome_credential(outcomes[0])
    transcript = services.issue_transcript(learner)
    other = helpers.did_key_issuer()
    return {
        "ob3": credential.document,
        "ob3_full": credential.document,
        "transcript": transcript.document,
        "did_key": json.dumps(other.sign(other.credential()), ensure_ascii=False, indent=2),
    }


def _measure(kind: str, text: str, seconds: float) -> dict[str, Any]:
    from creditbank.credentials import services

    with_records = kind == "ob3_full"
    for _ in range(200):  # warm-up: caches (status bits, DID document), connection
        verdict = services.verify(text, with_records=with_records)
    assert verdict.valid, (kind, verdict.code)
    if with_records:
        assert verdict.ledger, "no ledger records in the full verdict"
        assert verdict.ledger[0]["inclusion"], "no ledger inclusion in the full verdict"
    durations = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        verdict = services.verify(text, with_records=with_records)
        durations.append(time.perf_counter() - start)
        if not verdict.valid:
            raise AssertionError(f"{kind}: {verdict.code}")
    durations.sort()
    return {
        "kind": kind,
        "bytes": len(text.encode()),
        "verifications": len(durations),
        "per_second": round(len(durations) / sum(durations)),
        "p50_us": round(statistics.median(durations) * 1e6),
        "p99_us": round(durations[int(len(durations) * 0.99)] * 1e6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_CREDENTIALS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()

    _recreate(args.database_url)
    os.environ.update(
        DATABASE_URL=args.database_url,
        CREDITBANK_VAR_DIR=tempfile.mkdtemp(prefix="bench-credentials-"),
        CREDITBANK_PII_KEY="bench-only-pii-key-not-a-secret",
        SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throwaway database
        DJANGO_SETTINGS_MODULE="creditbank.settings",
        CREDITBANK_LOG_LEVEL="WARNING",
        CREDITBANK_PUBLIC_URL="https://credit.example.gov.cn",
        CREDITBANK_DEBUG="0",
    )
    os.environ.pop("CREDITBANK_TESTING", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    documents = _prepare()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = [_measure(kind, text, args.seconds) for kind, text in documents.items()]
    for result in results:
        print(json.dumps(result))
    ob3 = results[0]["per_second"]
    print(
        json.dumps(
            {"target_per_second": TARGET, "ob3_per_second": ob3, "met": ob3 >= TARGET, "cores": 1},
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
