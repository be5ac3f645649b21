"""``make bench`` (via ``bench/run.py``): bulk deposit of 1,000,000 outcomes for 100,000 learners.

1. PostgreSQL (``BENCH_OUTCOMES_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_outcomes``, dropped, created, migrated):
   the demo catalog (332 published items) and 100,000 learners COPYed in directly (valid
   GB 11643 numbers, encrypted, hashed with the bench key), then a 1,000,000-row GBK CSV written
   as an office would: the 证件号码, 姓名, 成果编码, 成绩, 取得日期, 证书编号 columns, dates in
   three spellings, numeric and grade scores, a certificate number on half the rows.
2. ``creditbank import-outcomes FILE --json`` as a separate process, end to end; rows/s from its
   own ``seconds``, peak memory from the child's ``ru_maxrss`` (``os.wait4``).
3. In the same run, into the same table with the same indexes: a plain ``COPY ... FROM STDIN``
   of exactly the rows the import stored (exported first), with its commit; Django
   ``bulk_create`` of a slice (default 100,000 rows, rate extrapolated); django-import-export
   on a 20,000-row slice (a ``ModelResource`` for ``Outcome``, below, keyed by the natural key);
   the re-import of the whole file (every row a duplicate).
4. SQLite (a fresh file database): the same learners, a slice of the file (default 200,000 rows).

Targets (issue 4): at least 50,000 rows/s, at least 60 % of the same-run COPY rate, at least
4x the bulk_create rate, under 500 MB. Options: ``--rows``, ``--learners``, ``--runs``,
``--bulk-rows``, ``--import-export-rows``, ``--sqlite-rows``, ``--skip-sqlite``, ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import _cli, machine, recreate_database  # the learner benchmark's helpers
from run import _env as learner_env

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_outcomes"
HEADER = ["证件号码", "姓名", "成果编码", "成绩", "取得日期", "证书编号", "学时", "学分"]
# The outcome columns as the import writes them (COPY baseline export and re-load).
COLUMNS = (
    "created_at, updated_at, learner_id, item_id, item_code, org_id, org_path, source, status, score, "
    "achieved_on, certificate_no, hours, credits, natural_key, import_job_id, external_id, note"
)
SCORES = ("86", "92", "75", "60", "98.5", "优秀", "良好", "合格", "中等", "及格", "A", "B+")


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    """The learner benchmark's environment, plus this folder on the path (for the child steps)."""
    env = learner_env(database_url, var_dir)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return env


def _checked(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"bench: {' '.join(args[:4])} failed with exit code {result.returncode}")
    return result.stdout


def _child(task: str, env: dict[str, str], *args: object) -> Any:
    """Run one step of this file in a Django process; its last output line is JSON."""
    output = _checked([sys.executable, str(Path(__file__).resolve()), "--child", task, *map(str, args)], env)
    return json.loads(output.strip().splitlines()[-1])


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench: {message}")


# --- child steps (inside Django) --------------------------------------------------------------


def _setup() -> None:
    import django

    django.setup()


def child_prepare(learners: int, rows: int, path: str, encoding: str) -> dict[str, Any]:
    """Catalog, management centre, ``learners`` learners by COPY (or executemany on SQLite), and
    the CSV of ``rows`` outcomes for them."""
    _setup()
    import csv
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from creditbank.accounts.demo_data import GIVEN, SURNAMES, resident_id
    from creditbank.catalog import demo_data as catalog_demo
    from creditbank.catalog.models import CatalogItem
    from creditbank.core import pii
    from creditbank.orgs import services as org_services
    from creditbank.orgs.models import OrgUnit

    if not OrgUnit.objects.filter(kind="management").exists():
        org_services.create_org(
            actor=None, parent=None, kind="management", code="MC", name="管理中心", region="340000", category=""
        )
    catalog_demo.load_catalog()
    org = OrgUnit.objects.get(kind="management")
    codes = list(CatalogItem.objects.filter(is_current=True, status="published").values_list("code", flat=True))
    rng = random.Random(20261201)
    counties = ["340102", "340103", "340104", "340111", "340121", "340202", "340302", "340402", "340503", "340602"]
    people: list[tuple[str, str]] = []
    first_birth = dt.date(1960, 1, 1)
    for index in range(learners):
        county = counties[index % len(counties)]
        birth = first_birth + dt.timedelta(days=(index // len(counties)) % 14000)
        sequence = index // (len(counties) * 14000)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        people.append((resident_id(county, birth, sequence), name))
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            lines = []
            for index, (number, name) in enumerate(people):
                lines.append(
                    f"{now.isoformat()}\t{now.isoformat()}\tB{index:011d}\t{name}\tresident_id\t{pii.encrypt(number)}\t"
                    f"{pii.lookup_hash(number)}\t\t\\N\t\\N\t\t\\N\t{org.pk}\t{org.path}\tpending\timport\n"
                )
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    "COPY accounts_learner (created_at, updated_at, account_no, name, id_type, id_number, id_number_hash, "
                    "phone, phone_hash, birth_date, gender, region_id, org_id, org_path, status, opened_via) FROM STDIN"
                ) as copy,
            ):
                for offset in range(0, len(lines), 5000):
                    copy.write("".join(lines[offset : offset + 5000]))
        else:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO accounts_learner (created_at, updated_at, account_no, name, id_type, id_number, "
                    "id_number_hash, phone, org_id, org_path, status, opened_via, gender) "
                    "VALUES (%s, %s, %s, %s, 'resident_id', %s, %s, '', %s, %s, 'pending', 'import', '')",
                    [
                        (
                            now,
                            now,
                            f"B{index:011d}",
                            name,
                            pii.encrypt(number),
                            pii.lookup_hash(number),
                            org.pk,
                            org.path,
                        )
                        for index, (number, name) in enumerate(people)
                    ],
                )
    load_seconds = time.perf_counter() - started
    # Each learner gets rows / learners outcomes, each of a different item; rows are shuffled in
    # blocks, as a centre's export interleaves people.
    per_learner = max(1, rows // learners)
    day_zero = dt.date(2010, 1, 1)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        written = 0
        order = list(range(learners))
        rng.shuffle(order)
        for round_ in range(per_learner + 1):
            for learner in order:
                if written >= rows:
                    break
                number, name = people[learner]
                code = (
                    codes[(learner * 7 + round_ * 13) % len(codes)]
                    if round_ < len(codes)
                    else codes[round_ % len(codes)]
                )
                day = day_zero + dt.timedelta(days=(learner * 31 + round_ * 97) % 5400)
                spelling = written % 3
                date_text = (
                    day.isoformat()
                    if spelling == 0
                    else f"{day.year}/{day.month}/{day.day}"
                    if spelling == 1
                    else f"{day.year}年{day.month}月{day.day}日"
                )
                certificate = f"AH{round_:02d}{learner:08d}" if written % 2 == 0 else ""
                writer.writerow([number, name, code, SCORES[written % len(SCORES)], date_text, certificate, "", ""])
                written += 1
    return {"learners": learners, "items": len(codes), "rows": written, "load_seconds": round(load_seconds, 2)}


def _outcome_objects(path: str, limit: int) -> list[Any]:
    from decimal import Decimal

    from creditbank.archive.models import Outcome

    objects = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            values = line.rstrip("\n").split("\t")
            objects.append(
                Outcome(
                    learner_id=int(values[2]),
                    item_id=int(values[3]),
                    item_code=values[4],
                    org_id=int(values[5]),
                    org_path=values[6],
                    source=values[7],
                    status=values[8],
                    score=values[9],
                    achieved_on=values[10],
                    certificate_no=values[11],
                    hours=None if values[12] == "\\N" else int(values[12]),
                    credits=Decimal(values[13]),
                    natural_key=values[14],
                )
            )
    return objects


def child_bulk_create(path: str, limit: int) -> dict[str, Any]:
    """Django's ``bulk_create`` of the same rows, model instances built from them included."""
    _setup()
    from django.db import transaction

    from creditbank.archive.models import Outcome

    started = time.perf_counter()
    objects = _outcome_objects(path, limit)
    with transaction.atomic():
        Outcome.objects.bulk_create(objects, batch_size=1000)
    return {"rows": len(objects), "seconds": time.perf_counter() - started}


def child_import_export(path: str, limit: int) -> dict[str, Any]:
    """django-import-export, configured as a Django team would: a ``ModelResource`` for
    ``Outcome`` keyed by its natural key (so a re-import updates rather than duplicates), fed a
    dataset with the foreign keys already resolved — less work than our import does."""
    _setup()
    import tablib
    from import_export import resources

    from creditbank.archive.models import Outcome

    class OutcomeResource(resources.ModelResource):  # type: ignore[misc]
        class Meta:
            model = Outcome
            import_id_fields = ("learner", "natural_key")
            fields = (
                "learner", "item", "item_code", "org", "org_path", "source", "status", "score", "achieved_on",
                "certificate_no", "hours", "credits", "natural_key",
            )  # fmt: skip

    headers = list(OutcomeResource.Meta.fields)
    dataset = tablib.Dataset(headers=headers)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            v = line.rstrip("\n").split("\t")
            dataset.append(
                [
                    v[2],
                    v[3],
                    v[4],
                    v[5],
                    v[6],
                    v[7],
                    v[8],
                    v[9],
                    v[10],
                    v[11],
                    "" if v[12] == "\\N" else v[12],
                    v[13],
                    v[14],
                ]
            )
    started = time.perf_counter()
    result = OutcomeResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    seconds = time.perf_counter() - started
    return {"rows": len(dataset), "seconds": seconds, "new": result.totals.get("new", 0)}


# --- PostgreSQL ---------------------------------------------------------------------------------


def _sql(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _count(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM archive_outcome").fetchone()[0])  # type: ignore[index]


def run_import(path: Path, env: dict[str, str]) -> tuple[dict[str, Any], float, float]:
    """``creditbank import-outcomes FILE --json``: its summary, wall seconds, peak RSS in MB."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [str(_cli()), "import-outcomes", str(path), "--json"], env=env, cwd=ROOT, stdout=out, stderr=out
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode(errors="replace")
    if process.returncode not in (0, 1):
        sys.stderr.write(text[-3000:])
        raise SystemExit(f"bench: import-outcomes exited with {process.returncode}")
    return json.loads(text.strip().splitlines()[-1]), wall, usage.ru_maxrss / 1024


def export_rows(url: str, target: Path) -> int:
    import psycopg

    query = f"COPY (SELECT {COLUMNS} FROM archive_outcome ORDER BY id) TO STDOUT"
    with psycopg.connect(url) as conn, conn.cursor() as cursor, target.open("wb") as handle, cursor.copy(query) as copy:
        for block in copy:
            handle.write(block)
    return _count(url)


def plain_copy(url: str, source: Path) -> float:
    """Truncate, checkpoint, and time COPY of the exported rows with its commit."""
    import psycopg

    _sql(url, "TRUNCATE archive_outcome CASCADE", "CHECKPOINT")
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY archive_outcome ({COLUMNS}) FROM STDIN") as copy,
            source.open("rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def bench_postgres(options: argparse.Namespace, work: Path, url: str) -> dict[str, Any]:
    recreate_database(url)
    var_dir = work / "pg-var"
    var_dir.mkdir()
    env = _env(url, var_dir)
    _checked([str(_cli()), "migrate", "--no-input", "-v0"], env)
    path = work / "outcomes-gbk.csv"
    prepared = _child("prepare", env, options.learners, options.rows, path, "gbk")
    print(
        f"  {prepared['learners']:,} learners loaded by COPY in {prepared['load_seconds']} s, {prepared['items']} published items; "
        f"{prepared['rows']:,} rows written to a GBK CSV of {path.stat().st_size / 1e6:.0f} MB"
    )
    exported = work / "outcomes.copy"
    imports, walls, memories, copies = [], [], [], []
    for run in range(options.runs):
        _sql(url, "TRUNCATE archive_outcome CASCADE", "CHECKPOINT")
        summary, wall, peak = run_import(path, env)
        _expect(summary["imported"] == options.rows and summary["errors"] == 0, f"import stored {summary}")
        stored = export_rows(url, exported)
        _expect(stored == options.rows, f"export found {stored} rows")
        copy_seconds = plain_copy(url, exported)
        imports.append(summary["seconds"])
        walls.append(wall)
        memories.append(peak)
        copies.append(copy_seconds)
        print(
            f"  run {run + 1}: import {summary['seconds']:.2f} s ({wall:.2f} s with process start), "
            f"peak {peak:.0f} MB; plain COPY {copy_seconds:.2f} s"
        )
    # The table now holds every row (from the COPY): importing the file again stores nothing.
    again, _, again_peak = run_import(path, env)
    _expect(again["imported"] == 0 and again["duplicates"] == options.rows, f"re-import did {again}")
    _sql(url, "TRUNCATE archive_outcome CASCADE", "CHECKPOINT")
    bulk = _child("bulk-create", env, exported, options.bulk_rows)
    _sql(url, "TRUNCATE archive_outcome CASCADE", "CHECKPOINT")
    export = _child("import-export", env, exported, options.import_export_rows)
    return {
        "import": statistics.median(imports),
        "wall": statistics.median(walls),
        "peak_mb": max(memories),
        "copy": statistics.median(copies),
        "ratio": statistics.median(copy / imported for imported, copy in zip(imports, copies, strict=True)),
        "reimport": again["seconds"],
        "reimport_peak_mb": again_peak,
        "bulk_rate": bulk["rows"] / bulk["seconds"],
        "bulk_rows": bulk["rows"],
        "import_export_rate": export["rows"] / export["seconds"],
        "import_export_rows": export["rows"],
    }


def bench_sqlite(options: argparse.Namespace, work: Path) -> dict[str, Any]:
    var_dir = work / "sqlite-var"
    var_dir.mkdir()
    env = _env(f"sqlite:///{var_dir / 'bench.sqlite3'}", var_dir)
    _checked([str(_cli()), "migrate", "--no-input", "-v0"], env)
    path = work / "outcomes-sqlite.csv"
    _child("prepare", env, options.learners, options.sqlite_rows, path, "utf-8")
    summary, wall, peak = run_import(path, env)
    _expect(summary["imported"] == options.sqlite_rows, f"SQLite import stored {summary}")
    return {"import": summary["seconds"], "wall": wall, "peak_mb": peak}


def _verdict(condition: bool) -> str:
    return "met" if condition else "NOT met"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--bulk-rows", type=int, default=100_000)
    parser.add_argument("--import-export-rows", type=int, default=20_000)
    parser.add_argument("--sqlite-rows", type=int, default=200_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args(argv)
    url = os.environ.get("BENCH_OUTCOMES_DATABASE_URL", DEFAULT_URL)
    work = Path(tempfile.mkdtemp(prefix="creditbank-bench-outcomes-"))
    summary: dict[str, Any] = {"rows": options.rows}
    print(f"bench: import-outcomes of {options.rows:,} rows for {options.learners:,} learners")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} (other work on the cores moves every figure)")
    try:
        try:
            recreate_database(url)
        except Exception as exc:
            print(f"PostgreSQL at {url.split('@')[-1]} is not reachable ({exc.__class__.__name__}); skipping it.")
        else:
            pg = bench_postgres(options, work, url)
            rate = options.rows / pg["import"]
            copy_rate = options.rows / pg["copy"]
            print(
                f"PostgreSQL import-outcomes: {pg['import']:.2f} s = {rate:,.0f} rows/s (median of {options.runs}; "
                f"target >= 50,000) [{_verdict(rate >= 50_000)}]; peak memory {pg['peak_mb']:.0f} MB "
                f"(target < 500) [{_verdict(pg['peak_mb'] < 500)}]"
            )
            print(f"PostgreSQL plain COPY of the same rows: {pg['copy']:.2f} s = {copy_rate:,.0f} rows/s")
            print(f"import / COPY: {pg['ratio']:.0%} (target >= 60%) [{_verdict(pg['ratio'] >= 0.6)}]")
            print(
                f"Django bulk_create ({pg['bulk_rows']:,} rows): {pg['bulk_rate']:,.0f} rows/s; import / bulk_create: "
                f"{rate / pg['bulk_rate']:.1f}x (target >= 4x) [{_verdict(rate >= 4 * pg['bulk_rate'])}]"
            )
            print(
                f"django-import-export ({pg['import_export_rows']:,} rows): {pg['import_export_rate']:,.0f} rows/s; "
                f"import is {rate / pg['import_export_rate']:.0f}x faster"
            )
            print(
                f"re-import of the same file (all duplicates): {pg['reimport']:.2f} s = "
                f"{options.rows / pg['reimport']:,.0f} rows/s, peak {pg['reimport_peak_mb']:.0f} MB"
            )
            summary.update(
                postgres_import_rows_per_s=round(rate),
                postgres_copy_rows_per_s=round(copy_rate),
                ratio=round(pg["ratio"], 3),
                peak_mb=round(pg["peak_mb"]),
                bulk_create_rows_per_s=round(pg["bulk_rate"]),
                import_export_rows_per_s=round(pg["import_export_rate"]),
                reimport_rows_per_s=round(options.rows / pg["reimport"]),
            )
        if not options.skip_sqlite:
            lite = bench_sqlite(options, work)
            print(
                f"SQLite import-outcomes ({options.sqlite_rows:,} rows): {lite['import']:.2f} s = "
                f"{options.sqlite_rows / lite['import']:,.0f} rows/s, peak {lite['peak_mb']:.0f} MB"
            )
            summary["sqlite_import_rows_per_s"] = round(options.sqlite_rows / lite["import"])
        summary["load_average_at_end"] = round(os.getloadavg()[0], 1)
        print(json.dumps(summary))
    finally:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return summary


CHILD_TASKS = {"prepare": child_prepare, "bulk-create": child_bulk_create, "import-export": child_import_export}


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, raw = sys.argv[2], sys.argv[3:]
        arguments: list[Any] = [int(value) if value.isdigit() else value for value in raw]
        print(json.dumps(CHILD_TASKS[task](*arguments)))
    else:
        main()
