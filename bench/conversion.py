"""``make bench`` (part): the conversion engine — one degree audit against a programme with 100
rules, and a batch audit of 100,000 learners, on PostgreSQL.

1. A fresh PostgreSQL database (``BENCH_CONVERSION_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_conversion``), migrated: 80 published
   catalog items; one university centre's bachelor programme (160 credits, cap 30 %, outcomes
   at most 8 years old) with 120 courses in four requirement groups; 100 published rules drawn at
   random (seeded) and kept when they pass the publishing checks — single items, all-of pairs,
   any-n-of-m, tiers, minimum scores and grades, framework levels, "within n years" — so that
   popular items feed several rules and courses are claimed from several sources.
2. 100,000 learners COPYed in, with about 8 outcomes each (800,000 rows: items of the rules and
   others, numeric and grade scores, dates over ten years), and one "heavy" learner with 40
   outcomes of 40 different items, which many rules compete for.
3. One audit of the heavy learner: the engine alone (``engine.audit`` on the loaded programme:
   every rule checked, the optimal choice, the explanation with a forced re-optimisation per
   passed-over rule, the degree audit), the same on a compiled programme, the batch path's
   ``engine.choose``, and end to end (``selectors.audit_learner`` + ``report.audit_report``): with
   the compiled programme cached (one statement to check it is current, one for the outcomes and
   earlier conversions, both compiled once and bound on the server: ``core/compiled_sql.py``), and
   cold (the programme loaded in five queries, its item levels in one, compiled). Medians and
   p95 of ``--runs``. Target (issue 7): under 10 ms.
4. The batch audit of all 100,000 learners (``selectors.audit_learners``: the programme loaded and
   compiled once, outcomes streamed for chunks of 2,000 learners, one query per chunk): total
   time and learners/s, and how much of it the database took.

Options: ``--learners N``, ``--runs N``, ``--keep-db`` (reuse a filled database).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from run import _cli, machine, postgres_version, recreate_database  # the learner benchmark's helpers
from run import _env as learner_env

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_conversion"
SCORES = (
    "95",
    "90",
    "86",
    "82",
    "78",
    "72",
    "65",
    "60",
    "优秀",
    "良好",
    "中等",
    "合格",
    "一等奖",
    "二等奖",
    "三等奖",
    "",
)
PROGRAMME = "CS-BK-BENCH"


def _env(url: str) -> dict[str, str]:
    env = learner_env(url, ROOT / "var" / "bench-conversion")
    env["CREDITBANK_DEBUG"] = "0"  # as production runs: no query log (DEBUG keeps every query's SQL)
    env["PYTHONPATH"] = str(ROOT / "bench") + os.pathsep + str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    return env


def _checked(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"bench: {' '.join(args[:4])} failed with exit code {result.returncode}")
    return result.stdout


def _child(task: str, env: dict[str, str], *args: object) -> Any:
    output = _checked([sys.executable, str(Path(__file__).resolve()), "--child", task, *map(str, args)], env)
    return json.loads(output.strip().splitlines()[-1])


# --- child steps (inside Django) ------------------------------------------------------------------


def _setup() -> None:
    import django

    django.setup()


def child_prepare(learners: int) -> dict[str, Any]:
    _setup()
    import datetime as dt
    import random
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from creditbank.catalog import services as catalog_services
    from creditbank.catalog.models import CatalogItem
    from creditbank.conversion import services
    from creditbank.conversion.models import ConversionRule
    from creditbank.core import pii
    from creditbank.core.errors import ApplicationError
    from creditbank.orgs import services as org_services
    from creditbank.orgs.models import OrgUnit

    rng = random.Random(20270107)
    started = time.perf_counter()
    mc = OrgUnit.objects.filter(kind="management").first() or org_services.create_org(
        actor=None, parent=None, kind="management", code="MC", name="管理中心", region="340000", category=""
    )
    university = OrgUnit.objects.filter(code="AHNU").first() or org_services.create_org(
        actor=None,
        parent=mc,
        kind="centre",
        code="AHNU",
        name="安徽师范大学认证中心",
        region="340200",
        category="university",
    )
    types = ("one_plus_x", "skill_level_certificate", "degree_course", "self_study_exam", "competition_award")
    for number in range(80):
        code = f"BI{number:03d}"
        if not CatalogItem.objects.filter(code=code).exists():
            catalog_services.create_item(
                catalog_services.ItemData(
                    code=code,
                    name=f"基准成果{number}",
                    type=types[number % len(types)],
                    issuer_code="BENCH",
                    issuer_name="基准颁发机构",
                    level=3 + number % 6,
                    credits=Decimal(2 + number % 4),
                ),
                actor=None,
                publish=True,
            )
    groups = (
        ("公共必修", 10, None),
        ("专业必修", 30, None),
        ("专业选修", 60, Decimal("24")),
        ("实践环节", 20, Decimal("8")),
    )
    programme, _state = services.save_programme(
        services.ProgrammeValues(
            code=PROGRAMME,
            name="计算机科学与技术（专升本）",
            level="bachelor",
            org=university,
            total_credits=Decimal("160"),
            conversion_cap=Decimal("0.3"),
            max_outcome_age_years=8,
        ),
        actor=None,
    )
    course_number = 0
    for name, count, minimum in groups:
        group, _ = services.save_group(programme, name=name, min_credits=minimum, actor=None)
        for _index in range(count):
            services.save_course(
                programme,
                code=f"K{course_number:03d}",
                name=f"{name}课程{course_number}",
                credits=Decimal(rng.choice((1, 2, 2, 3, 3, 4, 5))),
                group=group,
                actor=None,
            )
            course_number += 1
    # 60 items feed rules; the first 15 are popular (a 1+X certificate many rules take).
    weights = [6 if index < 15 else 1 for index in range(60)]
    attempts = 0
    while ConversionRule.objects.filter(programme=programme, status="published").count() < 100 and attempts < 5000:
        attempts += 1
        size = rng.choice((1, 1, 1, 2, 2, 3))
        sources = sorted({f"BI{index:03d}" for index in rng.choices(range(60), weights=weights, k=size)})
        targets = sorted({f"K{rng.randrange(120):03d}" for _ in range(rng.choice((1, 1, 2, 2, 3)))})
        any_of = len(sources) > 1 and rng.random() < 0.35
        data = services.RuleData(
            programme_code=PROGRAMME,
            number=f"R{attempts:04d}",
            sources=("|" if any_of else "+").join(sources),
            targets="+".join(targets),
            mode=rng.choice(("免修免考", "学分认定")),
            min_score=rng.choice(("", "", "", "60", "75", "良好", "85", "二等奖")),
            within_years=rng.choice(("", "", "3", "5")),
            min_level=rng.choice(("", "", "", "4", "6")),
            source_count=str(rng.randint(1, len(sources) - 1)) if any_of and len(sources) > 2 else "",
        )
        try:
            services.create_rule(data, actor=None, publish=True)
        except ApplicationError:
            continue
    rules = ConversionRule.objects.filter(programme=programme, status="published").count()
    # Learners and outcomes, by COPY.
    items = {code: (pk, credits) for pk, code, credits in CatalogItem.objects.values_list("pk", "code", "credits")}
    codes = sorted(items)
    now = timezone.now()
    today = timezone.localdate()
    secret = pii.encrypt("340104199001011234")  # one valid ciphertext for every bench learner
    existing = connection.cursor()
    existing.execute("SELECT count(*) FROM accounts_learner")
    have = existing.fetchone()[0]
    if have < learners + 1:
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(
                "COPY accounts_learner (created_at, updated_at, account_no, name, id_type, id_number, id_number_hash, "
                "phone, phone_hash, birth_date, gender, region_id, org_id, org_path, status, opened_via) FROM STDIN"
            ) as copy:
                for index in range(have, learners + 1):
                    copy.write(
                        f"{now.isoformat()}\t{now.isoformat()}\tC{index:011d}\t学员{index}\tresident_id\t{secret}\t"
                        f"{index:064x}\t\t\\N\t\\N\t\t\\N\t{university.pk}\t{university.path}\tpending\timport\n"
                    )
            cursor.execute("SELECT id FROM accounts_learner ORDER BY id")
            learner_ids = [row[0] for row in cursor.fetchall()]
            heavy = learner_ids[0]
            with cursor.cursor.copy(
                "COPY archive_outcome (created_at, updated_at, learner_id, item_id, item_code, org_id, org_path, source, "
                "status, score, achieved_on, certificate_no, hours, credits, natural_key, import_job_id, external_id, note) "
                "FROM STDIN"
            ) as copy:
                for learner_id in learner_ids:
                    if learner_id == heavy:
                        chosen = [f"BI{index:03d}" for index in range(40)]
                    else:
                        count = rng.choice((3, 5, 6, 8, 8, 9, 10, 12))
                        chosen = sorted(
                            {rng.choice(codes[:60]) if rng.random() < 0.8 else rng.choice(codes) for _ in range(count)}
                        )
                    lines = []
                    for code in chosen:
                        day = today - dt.timedelta(days=rng.randrange(30, 3650))
                        item_id, credits = items[code]
                        lines.append(
                            f"{now.isoformat()}\t{now.isoformat()}\t{learner_id}\t{item_id}\t{code}\t{university.pk}\t"
                            f"{university.path}\tbulk\tcertified\t{rng.choice(SCORES)}\t{day.isoformat()}\t\t\\N\t"
                            f"{credits}\t{code}|d:{day.isoformat()}\t\\N\t\\N\t\n"
                        )
                    copy.write("".join(lines))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE accounts_learner")
            cursor.execute("ANALYZE archive_outcome")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM archive_outcome")
        outcomes = cursor.fetchone()[0]
    return {
        "rules": rules,
        "rule_attempts": attempts,
        "courses": course_number,
        "learners": learners + 1,
        "outcomes": outcomes,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "min_ms": round(ordered[0] * 1000, 3),
    }


def child_single(runs: int) -> dict[str, Any]:
    _setup()
    from django.utils import timezone

    from creditbank.accounts.models import Learner
    from creditbank.conversion import engine, report, selectors
    from creditbank.conversion.models import Programme

    programme = Programme.objects.select_related("org").get(code=PROGRAMME)
    learner = Learner.objects.order_by("pk").first()
    assert learner is not None
    as_of = timezone.localdate()
    spec = selectors.programme_spec(programme)
    outcomes = selectors.learner_outcomes(learner.pk, selectors.source_codes(spec))
    compiled = engine.compile_programme(spec, as_of=as_of)
    result = engine.audit(spec, outcomes, as_of=as_of)

    def cold(learner: Any, programme: Any, as_of: Any) -> Any:
        selectors._COMPILED.clear()  # as the first audit after a change: load and compile again
        return report.audit_report(selectors.audit_learner(learner, programme, as_of=as_of))

    def timed(function: Any) -> list[float]:
        function()  # warm up
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            function()
            samples.append(time.perf_counter() - started)
        return samples

    figures = {
        "engine_audit": _percentiles(timed(lambda: engine.audit(spec, outcomes, as_of=as_of))),
        "engine_audit_compiled": _percentiles(timed(lambda: engine.audit(compiled, outcomes))),
        "engine_choose_compiled": _percentiles(timed(lambda: engine.choose(compiled, outcomes))),
        "report": _percentiles(timed(lambda: report.audit_report(result))),
        "end_to_end": _percentiles(
            timed(lambda: report.audit_report(selectors.audit_learner(learner, programme, as_of=as_of)))
        ),
        "end_to_end_cold": _percentiles(timed(lambda: cold(learner, programme, as_of))),
    }
    applicable = sum(1 for check in result.checks if check.applicable)
    return {
        **figures,
        "rules": len(spec.rules),
        "outcomes": len(outcomes),
        "applicable": applicable,
        "chosen": len(result.selection.chosen),
        "passed_over": len(result.alternatives),
        "recognised": str(result.recognised_credits),
        "cap": str(result.cap_credits),
    }


def child_batch() -> dict[str, Any]:
    _setup()
    from decimal import Decimal

    from creditbank.accounts.models import Learner
    from creditbank.conversion import engine, selectors
    from creditbank.conversion.models import Programme

    programme = Programme.objects.select_related("org").get(code=PROGRAMME)
    ids = list(Learner.objects.order_by("pk").values_list("pk", flat=True))
    # Time the engine apart from the loading: the rest is the queries and building the facts.
    choose = engine.choose
    spent = [0.0]

    def timed_choose(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return choose(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    engine.choose = timed_choose  # type: ignore[assignment]
    started = time.perf_counter()
    total = Decimal(0)
    converted = 0
    for _learner_id, selection in selectors.audit_learners(programme, ids):
        total += selection.credits
        converted += 1 if selection.chosen else 0
    seconds = time.perf_counter() - started
    engine.choose = choose  # type: ignore[assignment]
    return {
        "learners": len(ids),
        "seconds": round(seconds, 2),
        "learners_per_s": round(len(ids) / seconds),
        "chunks": -(-len(ids) // selectors.BATCH_CHUNK),
        "engine_seconds": round(spent[0], 2),
        "with_credits": converted,
        "mean_credits": str((total / len(ids)).quantize(Decimal("0.01"))),
    }


# --- the parent -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--child", nargs="+")
    options = parser.parse_args(argv)
    if options.child:
        task, *args = options.child
        if task == "prepare":
            result = child_prepare(int(args[0]))
        elif task == "single":
            result = child_single(int(args[0]))
        else:
            result = child_batch()
        print(json.dumps(result, ensure_ascii=False))
        return result
    url = os.environ.get("BENCH_CONVERSION_DATABASE_URL", DEFAULT_URL)
    env = _env(url)
    print(f"bench: conversion — one audit against 100 rules, and a batch of {options.learners:,} learners")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    try:
        if not options.keep_db:
            recreate_database(url)
    except Exception as exc:
        print(f"PostgreSQL at {url.split('@')[-1]} is not reachable ({exc.__class__.__name__}); skipping.")
        return {}
    print(f"PostgreSQL {postgres_version(url)}")
    _checked([str(_cli()), "migrate", "--no-input", "-v0"], env)
    prepared = _child("prepare", env, options.learners)
    drawn = f"of {prepared['rule_attempts']} drawn" if prepared["rule_attempts"] else "kept"
    print(
        f"prepared: {prepared['rules']} rules ({drawn}), {prepared['courses']} courses, "
        f"{prepared['learners']:,} learners, {prepared['outcomes']:,} outcomes ({prepared['seconds']} s)"
    )
    single = _child("single", env, options.runs)
    print(
        f"heavy learner: {single['outcomes']} outcomes, {single['applicable']} of {single['rules']} rules apply, "
        f"{single['chosen']} chosen, {single['passed_over']} passed over; {single['recognised']} of {single['cap']} credits"
    )
    for key, label in (
        ("engine_audit", "engine.audit (compile + check + choose + explain + groups)"),
        ("engine_audit_compiled", "engine.audit on a compiled programme"),
        ("engine_choose_compiled", "engine.choose (the batch path)"),
        ("report", "report.audit_report (the API's shape)"),
        ("end_to_end", "selectors.audit_learner + report, programme cached (2 statements)"),
        ("end_to_end_cold", "the same, programme loaded and compiled again (8 statements)"),
    ):
        figure = single[key]
        verdict = "met" if figure["median_ms"] < 10 else "NOT met"
        print(
            f"  {label}: median {figure['median_ms']:.2f} ms, p95 {figure['p95_ms']:.2f} ms (target < 10 ms: {verdict})"
        )
    batch = _child("batch", env)
    print(
        f"batch audit of {batch['learners']:,} learners: {batch['seconds']:.1f} s = {batch['learners_per_s']:,} learners/s; "
        f"{batch['chunks']} chunks (one query each); engine {batch['engine_seconds']:.1f} s, loading the rest; "
        f"{batch['with_credits']:,} learners with credits, {batch['mean_credits']} credits on average"
    )
    return {"prepared": prepared, "single": single, "batch": batch}


if __name__ == "__main__":
    main()
