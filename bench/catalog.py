"""``make bench`` (part): catalog search at 50,000 items through the API, on PostgreSQL.

1. A fresh PostgreSQL database (``BENCH_CATALOG_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_catalog``), migrated, with the demo
   catalog loaded and then filled up to ``--items`` (default 50,000) current items: names built
   from the demo's course, certificate and training names with real variations (levels, parts,
   issuers), spread over all 11 types, 10 levels and a few hundred issuers; about 5 % drafts or
   retired and 10 % with an older version, as a real catalog has.
2. gunicorn serves the project on a free local port (2 sync workers, one per core, persistent
   database connections), and the script sends ``--requests`` (default 2,000) sequential
   requests over keep-alive HTTP/1.1 to ``GET /api/v1/catalog/items`` with a mix of what the
   portal and apps ask: the first page unfiltered, a code prefix, a Chinese name fragment,
   pinyin initials, type, level, issuer filters, their combinations, and a deep page.
3. Prints p50/p95/p99 latency per kind of query and overall. Target (issue 3): p95 < 50 ms.

Options: ``--items N``, ``--requests N``, ``--keep-db`` (reuse a filled database).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_catalog"
PARTS = ("", "（一）", "（二）", "（上）", "（下）", "实训", "基础", "进阶", "综合实践", "案例分析", "专题")


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CREDITBANK_VAR_DIR=str(ROOT / "var" / "bench-catalog"),
        CREDITBANK_PII_KEY="bench-only-pii-key-not-a-secret",
        SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throwaway database
        DJANGO_SETTINGS_MODULE="creditbank.settings",
        CREDITBANK_LOG_LEVEL="WARNING",
        CONN_MAX_AGE="600",
    )
    env.pop("CREDITBANK_TESTING", None)
    return env


def _recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def fill(url: str, items: int) -> None:
    """Migrate, load the demo catalog, then add generated items up to ``items`` current ones."""
    env = _env(url)
    cli = str(Path(sys.executable).parent / "creditbank")
    subprocess.run([cli, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    code = f"from bench.catalog import _generate; _generate({items})"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


def _generate(target: int) -> None:
    """Runs inside a Django process (see ``fill``)."""
    import django

    django.setup()
    from django.db import connection, transaction

    from creditbank.catalog.demo_data import load_catalog
    from creditbank.catalog.models import CatalogItem, FrameworkLevel, Issuer, OutcomeType
    from creditbank.catalog.pinyin import initials

    load_catalog()
    rng = random.Random(2026)
    seeds = list(CatalogItem.objects.filter(is_current=True).values_list("name", "outcome_type_id", "credits"))
    types = list(OutcomeType.objects.values_list("pk", flat=True))
    levels = list(FrameworkLevel.objects.values_list("pk", flat=True))
    existing_issuers = list(Issuer.objects.values_list("pk", flat=True))
    new_issuers = [Issuer(code=f"BI{n:04d}", name=f"安徽第{n}职业培训学校", kind="training") for n in range(300)]
    Issuer.objects.bulk_create(new_issuers)
    issuers = existing_issuers + list(Issuer.objects.filter(code__startswith="BI").values_list("pk", flat=True))
    have = CatalogItem.objects.filter(is_current=True).count()
    rows = []
    for number in range(target - have):
        name, type_id, credits = rng.choice(seeds)
        name = f"{name}{rng.choice(PARTS)}"[:190]
        if rng.random() < 0.3:
            type_id = rng.choice(types)
        status = "published" if rng.random() > 0.05 else rng.choice(("draft", "retired"))
        code = f"G{number:06d}"
        common = {
            "code": code,
            "name": name,
            "name_initials": initials(name),
            "outcome_type_id": type_id,
            "issuer_id": rng.choice(issuers),
            "level_id": rng.choice(levels) if rng.random() > 0.2 else None,
            "credits": credits,
            "learning_hours": rng.choice((None, 16, 32, 48, 64)),
            "status": status,
        }
        if rng.random() < 0.1:
            rows.append(CatalogItem(version=1, is_current=False, **{**common, "status": "published"}))
            rows.append(CatalogItem(version=2, is_current=True, **common))
        else:
            rows.append(CatalogItem(version=1, is_current=True, **common))
    with transaction.atomic():
        CatalogItem.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _queries(rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    return [
        ("first page", {}),
        ("code prefix", {"q": rng.choice(("1X", "G01", "G0234", "ZK", "AHU"))}),
        ("name fragment", {"q": rng.choice(("计算机", "会计", "护理", "电子商务", "老年", "种植", "英语", "数据"))}),
        ("pinyin initials", {"q": rng.choice(("jsj", "kj", "dzsw", "hl", "sjk", "yy"))}),
        ("type", {"type": rng.choice(("one_plus_x", "degree_course", "mooc", "community_elderly"))}),
        ("level", {"level": str(rng.randint(1, 10))}),
        ("issuer", {"issuer": f"BI{rng.randint(0, 299):04d}"}),
        ("type + level + q", {"type": "degree_course", "level": str(rng.randint(3, 7)), "q": "jsj"}),
        ("deep page", {"offset": str(rng.randint(100, 400) * 50)}),
    ]


def measure(port: int, requests: int) -> dict[str, list[float]]:
    rng = random.Random(9162)
    timings: dict[str, list[float]] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    mix = itertools.cycle(range(9))
    for _ in range(requests):
        kind, params = _queries(rng)[next(mix)]
        path = "/api/v1/catalog/items" + ("?" + urlencode(params) if params else "")
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"bench: {path} answered {response.status}: {body[:200]!r}")
        timings.setdefault(kind, []).append(elapsed)
    conn.close()
    return timings


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("BENCH_CATALOG_DATABASE_URL", DEFAULT_URL)
    if not args.keep_db:
        started = time.perf_counter()
        _recreate(url)
        fill(url, args.items)
        print(f"catalog bench: {args.items:,} items ready in {time.perf_counter() - started:.1f} s")
    port = _free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "creditbank.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"],
        env=_env(url),
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        measure(port, 100)  # warm-up: connections, caches
        timings = measure(port, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=10)
    everything = [value for values in timings.values() for value in values]
    print(f"catalog search, {args.items:,} items, {len(everything):,} sequential requests (ms):")
    print(f"  {'query':<18} {'p50':>7} {'p95':>7} {'p99':>7}")
    for kind, values in timings.items():
        p50, p95, p99 = statistics.median(values), _percentile(values, 0.95), _percentile(values, 0.99)
        print(f"  {kind:<18} {p50:7.1f} {p95:7.1f} {p99:7.1f}")
    p95 = _percentile(everything, 0.95)
    print(f"  {'all':<18} {statistics.median(everything):7.1f} {p95:7.1f} {_percentile(everything, 0.99):7.1f}")
    print(f"catalog search p95 {p95:.1f} ms (target < 50 ms): {'met' if p95 < 50 else 'NOT MET'}")


if __name__ == "__main__":
    main()
