"""``make bench``: bulk import of learners against a plain COPY of the same rows.

1. Generates 100,000 distinct, valid learners (GB 11643 check digits, distinct mobile numbers,
   Anhui region codes) as a GBK CSV file — what Chinese Excel writes — in a temporary directory.
2. PostgreSQL (``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/creditbank_bench``,
   dropped and created fresh, then migrated): times ``creditbank import-learners FILE --json``
   end to end (read, decode, validate, hash, encrypt, insert, commit), then exports the rows it
   stored, truncates the table, and times a plain ``COPY ... FROM STDIN`` of those same rows
   (already encrypted) into the same table, with its commit. Prints rows/s and the ratio.
3. SQLite (a fresh file database): times the same import.

Targets (issue 2): at least 30,000 rows/s on PostgreSQL, and at least 50% of the COPY rate.
Options: ``--rows N`` (default 100,000), ``--runs N`` (repeat and report the median, default 3),
``--skip-sqlite``, ``--keep`` (keep the temporary directory), ``--only learners|outcomes``.

Then the bulk deposit of outcomes (``bench/outcomes.py``, issue 4), unless ``--only learners``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
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

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench"
BENCH_PII_KEY = "bench-only-pii-key-not-a-secret"
COLUMNS = (
    "created_at", "updated_at", "account_no", "name", "id_type", "id_number", "id_number_hash", "phone",
    "phone_hash", "birth_date", "gender", "region_id", "org_id", "org_path", "status", "opened_via",
)  # fmt: skip
PHONE_SEGMENTS = ("139", "138", "137", "136", "135", "150", "151", "158", "186", "187", "188", "177", "180", "189")


def _cli() -> Path:
    return Path(sys.executable).parent / "creditbank"


def _env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CREDITBANK_VAR_DIR=str(var_dir),
        CREDITBANK_PII_KEY=BENCH_PII_KEY,
        SECRET_KEY="bench-only-secret-key",  # noqa: S106 - a throwaway database
        DJANGO_SETTINGS_MODULE="creditbank.settings",
        CREDITBANK_LOG_LEVEL="WARNING",
    )
    env.pop("CREDITBANK_TESTING", None)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench: {message}")


def _checked(args: list[str], env: dict[str, str]) -> str:
    result = _run(args, env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench: {' '.join(args[:3])} failed with exit code {result.returncode}")
    return result.stdout


# --- the data -----------------------------------------------------------------------------------


def write_learners(path: Path, rows: int, counties: list[str]) -> None:
    """``rows`` distinct learners: (county, birth date, sequence) never repeats, nor does a phone."""
    from creditbank.accounts.demo_data import GIVEN, SURNAMES, resident_id

    rng = random.Random(20261130)
    days = 365 * 40
    first_birth = dt.date(1960, 1, 1)
    phone_numbers = rng.sample(range(10**8), rows)
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "证件类型", "证件号码", "手机号码", "所属地区"])
        for index in range(rows):
            county = counties[index % len(counties)]
            birth = first_birth + dt.timedelta(days=(index // len(counties)) % days)
            sequence = index // (len(counties) * days)
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            phone = PHONE_SEGMENTS[index % len(PHONE_SEGMENTS)] + f"{phone_numbers[index]:08d}"
            writer.writerow([name, "居民身份证", resident_id(county, birth, sequence), phone, county])


# --- PostgreSQL ---------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare_database(env: dict[str, str]) -> list[str]:
    """Migrate, create the management centre, and return the current county codes."""
    _checked([str(_cli()), "migrate", "--no-input", "-v0"], env)
    script = (
        "import django, json; django.setup()\n"
        "from creditbank.orgs import services\n"
        "from creditbank.orgs.models import OrgUnit, Region\n"
        "if not OrgUnit.objects.filter(kind='management').exists():\n"
        "    services.create_org(actor=None, parent=None, kind='management', code='MC', name='管理中心', region='340000', category='')\n"
        "print(json.dumps(list(Region.objects.filter(is_current=True, level='county').values_list('code', flat=True))))\n"
    )
    return json.loads(_checked([sys.executable, "-c", script], env).strip().splitlines()[-1])


def import_once(path: Path, env: dict[str, str]) -> tuple[dict[str, float], float]:
    started = time.perf_counter()
    output = _run([str(_cli()), "import-learners", str(path), "--json"], env)
    wall = time.perf_counter() - started
    if output.returncode != 0:
        sys.stderr.write(output.stdout[-2000:] + output.stderr[-2000:])
        raise SystemExit(f"bench: import-learners exited with {output.returncode}")
    return json.loads(output.stdout.strip().splitlines()[-1]), wall


def postgres_copy_baseline(url: str) -> tuple[float, int]:
    """Export what the import stored, truncate, and time a plain COPY of the same rows back."""
    import psycopg

    columns = ", ".join(COLUMNS)
    with psycopg.connect(url) as conn:
        buffer = bytearray()
        with conn.cursor() as cursor:
            with cursor.copy(f"COPY (SELECT {columns} FROM accounts_learner ORDER BY id) TO STDOUT") as copy:
                for block in copy:
                    buffer += block
            rows = cursor.execute("SELECT count(*) FROM accounts_learner").fetchone()[0]  # type: ignore[index]
            cursor.execute("TRUNCATE accounts_learner CASCADE")
        conn.commit()
        conn.execute("CHECKPOINT")
        conn.commit()
        data = bytes(buffer)
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY accounts_learner ({columns}) FROM STDIN") as copy:
            for offset in range(0, len(data), 1 << 20):
                copy.write(data[offset : offset + (1 << 20)])
        conn.commit()
        seconds = time.perf_counter() - started
    return seconds, rows


def truncate_and_checkpoint(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE accounts_learner CASCADE")
        conn.execute("CHECKPOINT")


def bench_postgres(path: Path, url: str, var_dir: Path, runs: int, rows: int) -> dict[str, float]:
    recreate_database(url)
    env = _env(url, var_dir)
    prepare_database(env)
    imports: list[float] = []
    walls: list[float] = []
    copies: list[float] = []
    for run in range(runs):
        truncate_and_checkpoint(url)
        summary, wall = import_once(path, env)
        _expect(summary["imported"] == rows and summary["errors"] == 0, f"import stored {summary}")
        imports.append(summary["seconds"])
        walls.append(wall)
        copy_seconds, copied = postgres_copy_baseline(url)
        _expect(copied == rows, f"COPY baseline found {copied} rows")
        copies.append(copy_seconds)
        print(
            f"  run {run + 1}: import {summary['seconds']:.2f} s ({wall:.2f} s with process start), COPY {copy_seconds:.2f} s"
        )
    # Re-importing the same file stores nothing: every row is a duplicate.
    again, _ = import_once(path, env)
    _expect(again["imported"] == 0 and again["duplicates"] == rows, f"re-import did {again}")
    return {
        "import": statistics.median(imports),
        "wall": statistics.median(walls),
        "copy": statistics.median(copies),
        # Each run's import against the COPY right after it, so that load drifting on a shared
        # machine affects both sides of a ratio alike.
        "ratio": statistics.median(copy / imported for imported, copy in zip(imports, copies, strict=True)),
        "reimport": again["seconds"],
    }


def bench_sqlite(path: Path, var_dir: Path, rows: int) -> dict[str, float]:
    database = var_dir / "bench.sqlite3"
    url = f"sqlite:///{database}"
    env = _env(url, var_dir)
    prepare_database(env)
    summary, wall = import_once(path, env)
    _expect(summary["imported"] == rows and summary["errors"] == 0, f"import stored {summary}")
    return {"import": summary["seconds"], "wall": wall}


def county_codes() -> list[str]:
    """Current Anhui county-level codes, from the reference data the migrations load."""
    path = ROOT / "creditbank" / "orgs" / "data" / "anhui_divisions.csv"
    with path.open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle) if row["level"] == "county"]


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--only", choices=("learners", "outcomes"), help="run one benchmark")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if options.only != "outcomes":
        bench_learners(options)
    if options.only != "learners":
        import outcomes

        outcomes.main(["--skip-sqlite"] if options.skip_sqlite else [])


def bench_learners(options: argparse.Namespace) -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    work = Path(tempfile.mkdtemp(prefix="creditbank-bench-"))
    summary: dict[str, object] = {"rows": options.rows}
    try:
        path = work / "learners-gbk.csv"
        counties = county_codes()
        write_learners(path, options.rows, counties)
        print(
            f"bench: import-learners of {options.rows:,} rows, a GBK CSV of {path.stat().st_size / 1e6:.1f} MB ({len(counties)} county codes)"
        )
        print(f"machine: {machine()}")
        try:
            recreate_database(url)
        except Exception as exc:
            print(
                f"PostgreSQL at {url.split('@')[-1]} is not reachable ({exc.__class__.__name__}); set BENCH_DATABASE_URL. Skipping it."
            )
        else:
            print(f"PostgreSQL {postgres_version(url)} at {url.split('@')[-1]}")
            pg_var = work / "pg-var"
            pg_var.mkdir()
            pg = bench_postgres(path, url, pg_var, options.runs, options.rows)
            import_rate = options.rows / pg["import"]
            copy_rate = options.rows / pg["copy"]
            ratio = pg["ratio"]
            print(
                f"PostgreSQL import-learners: {pg['import']:.2f} s = {import_rate:,.0f} rows/s "
                f"(median of {options.runs}; target >= 30,000) [{'met' if import_rate >= 30_000 else 'NOT met'}]"
            )
            print(f"PostgreSQL plain COPY of the same rows: {pg['copy']:.2f} s = {copy_rate:,.0f} rows/s")
            print(
                f"import / COPY: {ratio:.0%} (median of the runs; target >= 50%) [{'met' if ratio >= 0.5 else 'NOT met'}]"
            )
            print(
                f"re-import of the same file (all duplicates): {pg['reimport']:.2f} s = {options.rows / pg['reimport']:,.0f} rows/s"
            )
            summary.update(
                postgres_import_rows_per_s=round(import_rate),
                postgres_copy_rows_per_s=round(copy_rate),
                ratio=round(ratio, 3),
            )
        if not options.skip_sqlite:
            sqlite_var = work / "sqlite-var"
            sqlite_var.mkdir()
            lite = bench_sqlite(path, sqlite_var, options.rows)
            print(f"SQLite import-learners: {lite['import']:.2f} s = {options.rows / lite['import']:,.0f} rows/s")
            summary["sqlite_import_rows_per_s"] = round(options.rows / lite["import"])
        print(json.dumps(summary))
    finally:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
