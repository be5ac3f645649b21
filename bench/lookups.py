"""``make bench`` (part): the learner-facing conversion lookups and mutual recognition, on PostgreSQL.

1. A fresh PostgreSQL database (``BENCH_LOOKUPS_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_lookups``), migrated, with the demo
   (``creditbank demo``: its organisations, learners, catalog, the four demo programmes with their
   published rules and the five conversion stories) and the catalog filled up to ``--items``
   (default 50,000) current items the way ``bench/catalog.py`` fills it.
2. "What is this worth here?" (``conversion.worth.lookup``, what ``/worth/`` and
   ``GET /api/v1/conversion/worth`` run): a mix of catalog codes, exact names, names in other
   wording, full pinyin, pinyin initials and a name that matches nothing, ``--runs`` times each;
   median and p95, and the queries of one lookup.
3. The learning map (``conversion.learning_map.learning_map``) of each story's learner for their
   programme, ``--runs`` times each; median and p95, and its queries.
4. Mutual recognition of a partner's bulk file: ``--learners`` learners imported, then a partner
   CSV of one row per learner in Shanghai's layout (codes of the demo standard CSJ-HR-SH-2025)
   through ``creditbank import-recognised``; rows/s, and the same file again (all duplicates).

Options: ``--items N``, ``--runs N``, ``--learners N``, ``--keep-db`` (reuse a filled database).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from run import _cli, machine, postgres_version, recreate_database, write_learners  # the learner benchmark's
from run import _env as base_env

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_lookups"
QUERIES = (
    ("code", "ZK-02331"),
    ("code", "1x-102-2"),
    ("exact name", "电工职业技能等级证书（四级/中级工）"),
    ("other wording", "电工中级证"),
    ("other wording", "职工技能大赛二等奖"),
    ("other wording", "水稻栽培提高班"),
    ("full pinyin", "shu ju jie gou"),
    ("initials", "sjjg"),
    ("nothing", "潜水教练资格"),
)


def _env(url: str) -> dict[str, str]:
    env = base_env(url, ROOT / "var" / "bench-lookups")
    env["PYTHONPATH"] = os.pathsep.join((str(ROOT / "bench"), str(ROOT), env.get("PYTHONPATH", "")))
    env["CONN_MAX_AGE"] = "600"
    return env


def _checked(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):  # an import exits 1 when some rows were bad
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"bench: {' '.join(args[:3])} failed with exit code {result.returncode}")
    return result.stdout


def _child(task: str, env: dict[str, str], *args: object) -> Any:
    output = _checked([sys.executable, str(Path(__file__).resolve()), "--child", task, *map(str, args)], env)
    return json.loads(output.strip().splitlines()[-1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values) * 1000, "p95_ms": _percentile(values, 0.95) * 1000}


# --- child steps (inside Django) ------------------------------------------------------------------


def child_fill(items: int) -> dict[str, Any]:
    from catalog import _generate  # bench/catalog.py: the same catalog as the search benchmark

    _generate(items)
    from creditbank.catalog.models import CatalogItem

    return {"items": CatalogItem.objects.filter(is_current=True).count()}


def child_measure(runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from creditbank.conversion import demo_data, learning_map, selectors, worth

    results: dict[str, Any] = {"worth": {}, "map": {}}
    timings: list[float] = []
    for kind, query in QUERIES:
        worth.lookup(query)  # warm: pinyin tables, the programme caches
        with CaptureQueriesContext(connection) as queries:
            answer = worth.lookup(query)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            worth.lookup(query)
            times.append(time.perf_counter() - started)
        timings.extend(times)
        results["worth"][query] = {
            "kind": kind,
            "queries": len(queries.captured_queries),
            "items": [item.code for item in answer.items][:3],
            "match": len(answer.matches),
            "maybe": len(answer.maybes),
            **_summary(times),
        }
    results["worth_all"] = _summary(timings)
    map_times: list[float] = []
    for scenario, learner in demo_data.load_scenarios(password="bench-unused").learners:  # noqa: S106 - finds them
        programme = selectors.get_open_programme(scenario.programme_code)
        learning_map.learning_map(learner, programme)
        with CaptureQueriesContext(connection) as queries:
            learning_map.learning_map(learner, programme)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            learning_map.learning_map(learner, programme)
            times.append(time.perf_counter() - started)
        map_times.extend(times)
        results["map"][scenario.key] = {"queries": len(queries.captured_queries), **_summary(times)}
    results["map_all"] = _summary(map_times)
    return results


def child_partner(learners_csv: str, target: str) -> dict[str, Any]:
    import django

    django.setup()
    return {"rows": write_partner_file(Path(learners_csv), Path(target))}


def write_partner_file(learners_csv: Path, target: Path) -> int:
    """One row per learner of ``learners_csv``: a Shanghai outcome of the demo standard."""
    from creditbank.recognition.demo_data import DEMO_MAPPINGS

    rows = 0
    with learners_csv.open(encoding="gbk", newline="") as source, target.open("w", encoding="utf-8", newline="") as out:
        reader = csv.reader(source)
        next(reader)
        writer = csv.writer(out)
        writer.writerow(["证件号码", "姓名", "成果编码", "成果名称", "成绩", "取得日期", "证书编号"])
        for index, (name, _type, id_number, _phone, _region) in enumerate(reader):
            code, partner_name, _item, _note = DEMO_MAPPINGS[index % len(DEMO_MAPPINGS)]
            day = f"2024-{1 + index % 12:02d}-{1 + index % 28:02d}"
            writer.writerow([id_number, name, code, partner_name, str(60 + index % 40), day, f"SH{index:08d}"])
            rows += 1
    return rows


def bench_recognition(env: dict[str, str], learners: int) -> dict[str, Any]:
    var = ROOT / "var" / "bench-lookups"
    var.mkdir(parents=True, exist_ok=True)
    learners_csv = var / "learners.csv"
    counties = json.loads(
        _checked(
            [
                sys.executable,
                "-c",
                "import django, json; django.setup()\n"
                "from creditbank.orgs.models import Region\n"
                "print(json.dumps(list(Region.objects.filter(is_current=True, level='county')"
                ".values_list('code', flat=True))))",
            ],
            env,
        )
        .strip()
        .splitlines()[-1]
    )
    write_learners(learners_csv, learners, counties)
    _checked([str(_cli()), "import-learners", str(learners_csv), "--json"], env)
    partner = var / "partner.csv"
    rows = _child("partner", env, learners_csv, partner)["rows"]
    command = [str(_cli()), "import-recognised", str(partner), "--standard", "CSJ-HR-SH-2025", "--json"]
    started = time.perf_counter()
    first = json.loads(_checked(command, env).strip().splitlines()[-1])
    first_wall = time.perf_counter() - started
    started = time.perf_counter()
    second = json.loads(_checked(command, env).strip().splitlines()[-1])
    second_wall = time.perf_counter() - started
    return {
        "rows": rows,
        "first": first,
        "first_wall_s": first_wall,
        "second": second,
        "second_wall_s": second_wall,
        "rows_per_s": rows / first["seconds"] if first.get("seconds") else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--learners", type=int, default=20_000)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        task, *args = options.child
        tasks: dict[str, Any] = {"fill": child_fill, "measure": child_measure, "partner": child_partner}
        values = [int(arg) if arg.isdigit() else arg for arg in args]
        print(json.dumps(tasks[task](*values), ensure_ascii=False, default=str))
        return
    url = os.environ.get("BENCH_LOOKUPS_DATABASE_URL", DEFAULT_URL)
    env = _env(url)
    if not options.keep_db:
        recreate_database(url)
    print(f"machine: {machine()}; PostgreSQL {postgres_version(url)}")
    if not options.keep_db:
        started = time.perf_counter()
        _checked([str(_cli()), "migrate", "--no-input", "-v0"], env)
        _checked([str(_cli()), "demo"], env)
        filled = _child("fill", env, options.items)
        print(f"demo + catalog of {filled['items']:,} current items in {time.perf_counter() - started:.1f} s")
    measured = _child("measure", env, options.runs)
    print(f"\nwhat is this worth here? ({options.runs} runs each)")
    for query, row in measured["worth"].items():
        print(
            f"  {row['kind']:<14} {query:<28} {row['median_ms']:7.2f} ms median {row['p95_ms']:7.2f} ms p95 "
            f"{row['queries']} queries; items {row['items']}; match {row['match']}, maybe {row['maybe']}"
        )
    print(f"  all: {measured['worth_all']['median_ms']:.2f} ms median, {measured['worth_all']['p95_ms']:.2f} ms p95")
    print(f"\nlearning map ({options.runs} runs each)")
    for key, row in measured["map"].items():
        print(f"  {key:<12} {row['median_ms']:7.2f} ms median {row['p95_ms']:7.2f} ms p95 {row['queries']} queries")
    print(f"  all: {measured['map_all']['median_ms']:.2f} ms median, {measured['map_all']['p95_ms']:.2f} ms p95")
    if not options.keep_db:
        recognition = bench_recognition(env, options.learners)
        first, second = recognition["first"], recognition["second"]
        print(f"\nmutual recognition: partner file of {recognition['rows']:,} rows")
        print(
            f"  first import: imported {first['imported']:,}, errors {first['errors']}, {first['seconds']:.2f} s "
            f"({recognition['rows_per_s']:,.0f} rows/s; {recognition['first_wall_s']:.1f} s with the process)"
        )
        print(f"  again: imported {second['imported']}, duplicates {second['duplicates']:,}, {second['seconds']:.2f} s")


if __name__ == "__main__":
    main()
