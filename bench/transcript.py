"""``make bench`` (part): the transcript PDF (学习成果证明) — time and size, one page and 200 outcomes.

1. A fresh database (``--database-url``, default PostgreSQL
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_transcript``: dropped, created,
   migrated; a ``sqlite:///`` URL works too), the demo catalog, a small org tree and two
   learners: one with 5 outcomes (4 certified, 1 stored: one page), one with 200 (two thirds
   certified: many pages), on real catalog items.
2. For each learner, ``archive.transcripts.generate_transcript`` as the learner downloads it:
   the first call (it also issues and signs the outcome credentials and the transcript
   credential), then ``--repeat`` (default 5) calls that reuse them (the credential is the same
   while the certified outcomes are), split into the HTML and the WeasyPrint rendering.
3. Prints one JSON line per learner: pages, bytes, first-call seconds, median seconds of the
   repeats, and the median of the rendering alone.

No target in the issue; docs/performance.md ("Transcript PDF") records the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_transcript"


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


def _fill(count: int, certified_every: int, learner: Any, items: list[Any], org: Any) -> None:
    from django.utils import timezone

    from creditbank.archive.models import Outcome
    from creditbank.archive.tests.factories import outcome_fields

    rows = []
    for index in range(count):
        certified = index % certified_every != certified_every - 1
        fields = outcome_fields(
            learner=learner,
            item=items[index % len(items)],
            certificate_no=f"B{index:05d}",
            status="certified" if certified else "stored",
            certified_at=timezone.now() if certified else None,
            certified_by_org=org if certified else None,
            credits=items[index % len(items)].credits or Decimal("1.0"),
        )
        rows.append(Outcome(**fields))
    Outcome.objects.bulk_create(rows)


def _measure(learner: Any, repeat: int, save: Path | None) -> dict[str, Any]:
    from pypdf import PdfReader

    from creditbank.archive import transcripts

    start = time.perf_counter()
    first = transcripts.generate_transcript(learner, actor=None)
    first_seconds = time.perf_counter() - start
    totals, renders = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        transcript = transcripts.generate_transcript(learner, actor=None)
        totals.append(time.perf_counter() - start)
        html = transcripts.render_html(
            learner,
            transcript.content,
            verify_url=transcript.verify_url,
            number=str(transcript.credential.uuid),
            issued_on=first.content.rows[0].achieved_on,
        )
        start = time.perf_counter()
        transcripts.render_pdf(html)
        renders.append(time.perf_counter() - start)
    assert transcript.credential.pk == first.credential.pk, "the transcript credential was issued again"
    if save is not None:
        (save / f"transcript-{transcript.content.count}.pdf").write_bytes(transcript.pdf)

    return {
        "outcomes": transcript.content.count,
        "certified": transcript.content.certified_count,
        "pages": len(PdfReader(io.BytesIO(transcript.pdf)).pages),
        "bytes": len(transcript.pdf),
        "first_call_s": round(first_seconds, 2),
        "repeat_median_s": round(statistics.median(totals), 2),
        "render_median_s": round(statistics.median(renders), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_TRANSCRIPT_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--save", metavar="DIR", help="write the two PDFs there, to look at them")
    args = parser.parse_args()

    _recreate(args.database_url)
    os.environ.update(
        DATABASE_URL=args.database_url,
        CREDITBANK_VAR_DIR=tempfile.mkdtemp(prefix="bench-transcript-"),
        CREDITBANK_PII_KEY="bench-only-pii-key-not-a-secret",
        SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throwaway database
        DJANGO_SETTINGS_MODULE="creditbank.settings",
        CREDITBANK_LOG_LEVEL="WARNING",
    )
    os.environ.pop("CREDITBANK_TESTING", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import translation

    call_command("migrate", verbosity=0, interactive=False)
    from creditbank.accounts.tests.factories import make_learner
    from creditbank.catalog.demo_data import load_catalog
    from creditbank.catalog.models import CatalogItem
    from creditbank.orgs.tests.factories import make_org

    load_catalog()
    catalog = list(CatalogItem.objects.filter(is_current=True, status="published").order_by("code"))
    items = catalog[:: max(1, len(catalog) // 200)]  # spread over every type and issuer
    management = make_org(None, kind="management", code="BENCH-MC", name="学分银行管理中心", category="")
    centre = make_org(management, kind="centre", code="BENCH-A", name="合肥地方认证服务中心")
    translation.activate("zh-hans")
    results = {}
    for label, count, every in (("one_page", 5, 3), ("outcomes_200", 200, 3)):
        learner = make_learner(centre)
        _fill(count, every, learner, items, centre)
        results[label] = _measure(learner, args.repeat, Path(args.save) if args.save else None)
        print(json.dumps({"transcript": label, **results[label]}, ensure_ascii=False))


if __name__ == "__main__":
    main()
