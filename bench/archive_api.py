"""``make bench`` (part): the archive API under load — ``GET /api/v1/me/outcomes`` with 32 connections.

1. A fresh PostgreSQL database (``BENCH_ARCHIVE_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_archive``: dropped, created, migrated),
   the demo catalog, 100,000 learners COPYed in and 1,000,000 outcomes stored by
   ``creditbank import-outcomes`` (the generators of ``bench/outcomes.py``, imported), then
   ``--tokens`` (default 3,000) random learners given a user and a bearer token with a known
   secret (``ApiToken`` rows inserted directly).
2. The server (``--server``, default granian: 2 WSGI workers, one per core) serves
   ``creditbank.wsgi:application`` with the settings of ``bench/archive_api_site.py``: the
   product's, DEBUG off, plus one baseline view. The load generator is ``wrk`` (Debian's C tool,
   installed with apt when missing) with a Lua script that gives every request a random
   learner's token: 32 keep-alive connections, 2 threads, ``--warmup`` seconds (default 5)
   discarded, then ``--duration`` (default 20) measured. Load generator, server and PostgreSQL
   share the machine's two cores, as the issue asks.
3. Three measurements in the same run, same server setup:
   - ``baseline``: the issue's minimal Django JSON view doing one indexed query (``/bench/minimal``);
   - ``django``: the archive endpoint through Django and ninja (``CREDITBANK_FASTLANE=0``);
   - ``product``: the archive endpoint as deployed (``creditbank/wsgi.py``: its fast lane).
   And the raw database loop (the same page query, one connection, as fast as it goes).
4. Checks: no errors or non-200 answers during the runs; then for ``--check`` (default 300)
   random tokens the answer is compared with the database (the learner's outcome ids newest
   first, the count) and, between ``django`` and ``product``, byte for byte after JSON parsing.

Target (issue 4): at least 1,500 requests/s with p99 under 50 ms. Options: ``--learners``,
``--rows``, ``--tokens``, ``--duration``, ``--warmup``, ``--connections``, ``--server``,
``--only baseline,django,product``, ``--keep-db`` (reuse a filled database).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# bench.outcomes is imported as part of the package, and imports its neighbour ``run`` by name.
for _path in (ROOT, ROOT / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench import outcomes as outcome_bench  # noqa: E402 - needs ROOT on sys.path first

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_archive"
ENDPOINT = "/api/v1/me/outcomes"
TARGET_RPS = 1500
TARGET_P99_MS = 50.0

# wrk's Lua side: a random token per request, and the summary as one JSON line.
WRK_SCRIPT = r"""
local items = {}
local mode = "token"
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
init = function(args)
  mode = args[1]
  for line in io.lines(args[2]) do items[#items + 1] = line end
  math.randomseed(os.time() * 100 + seed)
end
request = function()
  local item = items[math.random(#items)]
  if mode == "token" then
    return wrk.format("GET", "/api/v1/me/outcomes", {["Authorization"] = "Bearer " .. item})
  end
  return wrk.format("GET", "/bench/minimal?learner=" .. item)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def _env(url: str, var_dir: Path, *, fastlane: bool = True) -> dict[str, str]:
    env = outcome_bench._env(url, var_dir)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.archive_api_site",
        CREDITBANK_DEBUG="0",  # as deployed: no query log, no debug pages
        CONN_MAX_AGE="600",
        CREDITBANK_FASTLANE="1" if fastlane else "0",
    )
    return env


# --- child steps (inside Django) --------------------------------------------------------------


def child_tokens(count: int, path: str) -> dict[str, Any]:
    """``count`` random learners get a user and one bearer token each, inserted directly; the
    secrets go to ``path``, one ``secret<TAB>learner_id`` per line."""
    import django

    django.setup()
    import datetime as dt
    import hashlib
    import secrets

    from django.db import connection, transaction
    from django.utils import timezone

    from creditbank.accounts.models import ApiToken, Learner, User

    rng = random.Random(4)
    ids = list(Learner.objects.values_list("pk", "account_no"))
    chosen = rng.sample(ids, min(count, len(ids)))
    now = timezone.now()
    with transaction.atomic():
        unusable = "!bench"  # an unusable password: these users sign in by token only
        users = User.objects.bulk_create(
            [User(username=account_no, kind="learner", password=unusable, is_active=True) for _, account_no in chosen],
            batch_size=2000,
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE accounts_learner SET user_id = %s WHERE id = %s",
                [(user.pk, learner_id) for user, (learner_id, _) in zip(users, chosen, strict=True)],
            )
        lines, tokens = [], []
        for user, (learner_id, _) in zip(users, chosen, strict=True):
            secret = "cb_" + secrets.token_urlsafe(32)
            tokens.append(
                ApiToken(
                    user=user,
                    name="bench",
                    key_hash=hashlib.sha256(secret.encode()).hexdigest(),
                    prefix=secret[:8],
                    expires_at=now + dt.timedelta(days=1),
                    last_used_at=now,
                )
            )
            lines.append(f"{secret}\t{learner_id}\n")
        ApiToken.objects.bulk_create(tokens, batch_size=2000)
    Path(path).write_text("".join(lines))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"tokens": len(tokens)}


def _child(task: str, env: dict[str, str], *args: object) -> Any:
    output = outcome_bench._checked(
        [sys.executable, str(Path(__file__).resolve()), "--child", task, *map(str, args)], env
    )
    return json.loads(output.strip().splitlines()[-1])


# --- preparing ----------------------------------------------------------------------------------


def prepare(options: argparse.Namespace, url: str, work: Path) -> None:
    started = time.perf_counter()
    outcome_bench.recreate_database(url)
    env = _env(url, work / "var")
    outcome_bench._checked([str(outcome_bench._cli()), "migrate", "--no-input", "-v0"], env)
    csv_path = work / "outcomes.csv"
    outcome_bench._child("prepare", env, options.learners, options.rows, csv_path, "utf-8")
    summary, _, _ = outcome_bench.run_import(csv_path, env)
    outcome_bench._expect(summary["imported"] == options.rows, f"import stored {summary}")
    csv_path.unlink()
    _child("tokens", env, options.tokens, work / "tokens.tsv")
    print(
        f"  {options.learners:,} learners, {options.rows:,} outcomes (import-outcomes: {summary['seconds']:.1f} s), "
        f"{options.tokens:,} tokens; ready in {time.perf_counter() - started:.0f} s"
    )


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("  installing wrk (Debian package) ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    outcome_bench._expect(found is not None, "wrk could not be installed (apt-get install wrk)")
    return str(found)


# --- the server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(kind: str, port: int, threads: int) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if kind == "granian":
        return [
            str(bin_dir / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2", "--blocking-threads", str(threads), "--log-level", "warning", "--no-ws",
            "creditbank.wsgi:application",
        ]  # fmt: skip
    gunicorn = [str(bin_dir / "gunicorn"), "creditbank.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"]
    if kind == "gunicorn-sync":
        return [*gunicorn, "-k", "sync", "--log-level", "warning"]
    if kind == "gunicorn-gthread":
        return [*gunicorn, "-k", "gthread", "--threads", str(threads), "--log-level", "warning"]
    raise SystemExit(f"bench: unknown server {kind}")


@contextlib.contextmanager
def serving(kind: str, threads: int, env: dict[str, str]) -> Any:
    port = _free_port()
    server = subprocess.Popen(server_command(kind, port, threads), env=env, cwd=ROOT)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its descendants so far (``/proc``), in seconds."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def database_cpu_seconds(url: str) -> float:
    """CPU used so far by the PostgreSQL backends serving the benchmark database (not ours)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(tree_cpu_seconds(int(pid)) for (pid,) in rows)


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        response = conn.getresponse()
        return response.status, response.read(), {key.lower(): value for key, value in response.getheaders()}
    finally:
        conn.close()


def load(wrk: str, port: int, mode: str, items: Path, seconds: int, connections: int, work: Path) -> dict[str, Any]:
    script = work / "rotate.lua"
    script.write_text(WRK_SCRIPT)
    args = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script)]
    result = subprocess.run(
        [*args, f"http://127.0.0.1:{port}", "--", mode, str(items)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit("bench: wrk failed")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
    return figures


# --- correctness ----------------------------------------------------------------------------------


def expected_pages(url: str, learners: list[int]) -> dict[int, tuple[list[int], int]]:
    import psycopg

    pages = {}
    with psycopg.connect(url) as conn:
        for learner in learners:
            rows = conn.execute(
                "SELECT id FROM archive_outcome WHERE learner_id = %s ORDER BY achieved_on DESC, id DESC LIMIT 50",
                (learner,),
            ).fetchall()
            count = conn.execute("SELECT count(*) FROM archive_outcome WHERE learner_id = %s", (learner,)).fetchone()
            pages[learner] = ([row[0] for row in rows], int(count[0]))  # type: ignore[index]
    return pages


def check_sample(port: int, sample: list[tuple[str, int]], expected: dict[int, tuple[list[int], int]]) -> list[Any]:
    bodies = []
    for token, learner in sample:
        status, body, headers = _get(port, ENDPOINT, token)
        outcome_bench._expect(status == 200, f"{ENDPOINT} answered {status}: {body[:200]!r}")
        for header in ("x-content-type-options", "x-frame-options", "referrer-policy"):
            outcome_bench._expect(header in headers, f"{ENDPOINT} answered without {header}")
        page = json.loads(body)
        ids, count = expected[learner]
        outcome_bench._expect(
            [item["id"] for item in page["items"]] == ids and page["count"] == count,
            f"learner {learner}: got ids {[item['id'] for item in page['items']]} count {page['count']}, "
            f"expected {ids} count {count}",
        )
        bodies.append(page)
    status, _, _ = _get(port, ENDPOINT, "cb_not-a-token")
    outcome_bench._expect(status == 401, f"a wrong token answered {status}")
    return bodies


def raw_loop(url: str, learners: list[int], seconds: float) -> float:
    """The page's query alone, one connection, back to back: the database's own ceiling."""
    import psycopg

    query = (
        "SELECT o.id, o.item_code, o.achieved_on FROM archive_outcome o WHERE o.learner_id = %s "
        "ORDER BY o.achieved_on DESC, o.id DESC LIMIT 50"
    )
    rng = random.Random(7)
    done = 0
    with psycopg.connect(url, prepare_threshold=0) as conn:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            conn.execute(query, (rng.choice(learners),)).fetchall()
            done += 1
        return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tokens", type=int, default=3_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--check", type=int, default=300)
    parser.add_argument("--server", default="granian", choices=("granian", "gunicorn-gthread", "gunicorn-sync"))
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (granian, gunicorn-gthread)")
    parser.add_argument("--only", default="baseline,django,product")
    parser.add_argument("--keep-db", action="store_true", help="reuse the database and tokens of an earlier run")
    options = parser.parse_args()
    url = os.environ.get("BENCH_ARCHIVE_DATABASE_URL", DEFAULT_URL)
    work = ROOT / "var" / "bench-archive"
    print(f"bench: archive API, {options.rows:,} outcomes, {options.connections} connections, {options.server}")
    print(f"machine: {outcome_bench.machine()}")
    wrk = _ensure_wrk()
    if not options.keep_db or not (work / "tokens.tsv").exists():
        shutil.rmtree(work, ignore_errors=True)
        (work / "var").mkdir(parents=True)
        prepare(options, url, work)
    pairs = [line.split("\t") for line in (work / "tokens.tsv").read_text().splitlines()]
    tokens = [(secret, int(learner)) for secret, learner in pairs]
    secrets_file = work / "secrets.txt"
    secrets_file.write_text("".join(f"{secret}\n" for secret, _ in tokens))
    learners_file = work / "learners.txt"
    learners_file.write_text("".join(f"{learner}\n" for _, learner in tokens))
    sample = random.Random(11).sample(tokens, min(options.check, len(tokens)))
    expected = expected_pages(url, [learner for _, learner in sample])
    raw = raw_loop(url, [learner for _, learner in tokens], 5)
    print(f"  raw database loop (the page query, one connection): {raw:,.0f} queries/s")

    runs = [name for name in ("baseline", "django", "product") if name in options.only.split(",")]
    results: dict[str, dict[str, Any]] = {}
    bodies: dict[str, list[Any]] = {}
    for name in runs:
        env = _env(url, work / "var", fastlane=name != "django")
        mode, items = ("learner", learners_file) if name == "baseline" else ("token", secrets_file)
        with serving(options.server, options.threads, env) as (port, pid):
            if name != "baseline":
                bodies[name] = check_sample(port, sample, expected)
            load(wrk, port, mode, items, options.warmup, options.connections, work)
            load_before, cpu_before, db_before = os.getloadavg()[0], tree_cpu_seconds(pid), database_cpu_seconds(url)
            figures = load(wrk, port, mode, items, options.duration, options.connections, work)
            requests = max(1, figures["requests"])
            figures["server_cpu_ms"] = (tree_cpu_seconds(pid) - cpu_before) * 1000 / requests
            figures["database_cpu_ms"] = (database_cpu_seconds(url) - db_before) * 1000 / requests
            figures["loadavg"] = load_before
            if name != "baseline":
                check_sample(port, sample[:20], expected)  # still right after the load
        results[name] = figures
        print(
            f"  {name:<9} {figures['rps']:7,.0f} requests/s   p50 {figures['p50_us'] / 1000:5.1f} ms   "
            f"p95 {figures['p95_us'] / 1000:5.1f} ms   p99 {figures['p99_us'] / 1000:5.1f} ms   "
            f"max {figures['max_us'] / 1000:6.1f} ms   errors {figures['errors']} ({figures['requests']:,} requests; "
            f"CPU per request: server {figures['server_cpu_ms']:.2f} ms, PostgreSQL {figures['database_cpu_ms']:.2f} ms; "
            f"load average before {figures['loadavg']:.1f})"
        )
        outcome_bench._expect(figures["errors"] == 0, f"{name}: {figures['errors']} errors or non-2xx answers")
    if "django" in bodies and "product" in bodies:
        outcome_bench._expect(bodies["django"] == bodies["product"], "the fast lane and ninja answered differently")
        print(f"  {len(sample)} sampled answers: right learner, ids and count; fast lane == ninja")
    elif bodies:
        print(f"  {len(sample)} sampled answers: right learner, ids and count")
    if "product" in results:
        product = results["product"]
        met = product["rps"] >= TARGET_RPS and product["p99_us"] / 1000 < TARGET_P99_MS
        print(
            f"archive API: {product['rps']:,.0f} requests/s, p99 {product['p99_us'] / 1000:.1f} ms "
            f"(target >= {TARGET_RPS:,} requests/s, p99 < {TARGET_P99_MS:.0f} ms): {'met' if met else 'NOT MET'}"
        )
    summary = {name: {key: round(value, 1) for key, value in figures.items()} for name, figures in results.items()}
    print(json.dumps({"server": options.server, "raw_queries_per_s": round(raw), **summary}))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, raw_args = sys.argv[2], sys.argv[3:]
        arguments: list[Any] = [int(value) if value.isdigit() else value for value in raw_args]
        print(json.dumps({"tokens": child_tokens}[task](*arguments)))
    else:
        main()
