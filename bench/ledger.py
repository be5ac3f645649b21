"""``make bench``: the tamper-evident ledger on PostgreSQL — appending in batch, and proofs at ten million leaves.

1. **Append.** ``BENCH_LEDGER_DATABASE_URL`` (default
   ``postgres://postgres@127.0.0.1:5432/creditbank_bench_ledger``; dropped, created, migrated).
   ``ledger.services.append_many`` of 1,000,000 ``outcome.stored`` events (content digests and
   learner keys prepared before the clock starts, 100,000 distinct learners) in one transaction,
   commit included: leaf JSON, leaf hashes, the learner's keyed hash, the COPY of the leaves, the
   tiles and the head. Twice: into the empty tree, then on top of it. The tree is then checked
   (root from the tiles = root of the leaf hashes, sampled proofs verify). Then single appends,
   each its own transaction (what certifying one deposit costs the ledger).
2. **Proofs at 10,000,000 leaves.** The tiles of a 10,000,000-leaf tree are built directly
   (leaf hashes SHA-256(0x00 || decimal i), the tile builder the append path uses, COPY of the
   666,667 tiles; no leaf rows, which no proof reads), the head set, a checkpoint signed. Then
   ``ledger.selectors.inclusion_proof(index, 10_000_000)`` — the code path of the API — for 20,000
   random leaves, timed one by one (p50/p99/max); a sample verified with ``merkle.verify_inclusion``
   against the signed root; the same through Django's test client on
   ``GET /api/v1/ledger/proof/inclusion`` (the whole request, in process); consistency proofs.

Targets (issue 6): appending ≥ 100,000 leaves/s; an inclusion proof at 10,000,000 leaves, p99 < 5 ms.
Options: ``--leaves``, ``--runs``, ``--tree``, ``--proofs``, ``--skip-append``, ``--skip-proofs``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import _env as base_env
from run import machine, postgres_version, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/creditbank_bench_ledger"


def _env(url: str, var_dir: Path) -> dict[str, str]:
    env = base_env(url, var_dir)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    env["CREDITBANK_LEDGER_RATE_LIMIT"] = "100000000"  # the API timing sends 2,000 requests a minute from one address
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


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {
        "p50_ms": round(at(0.50) * 1000, 3),
        "p90_ms": round(at(0.90) * 1000, 3),
        "p99_ms": round(at(0.99) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def _load() -> float:
    return os.getloadavg()[0]


# --- child steps (inside Django) --------------------------------------------------------------


def _setup() -> None:
    import django

    django.setup()


def _truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE ledger_ledgerleaf, ledger_ledgertile, ledger_ledgerhead, ledger_anchorreceipt, ledger_checkpoint"
        )
        cursor.execute("CHECKPOINT")


def child_append(leaves: int, runs: int) -> dict[str, Any]:
    _setup()
    import hashlib

    from django.db import transaction

    from creditbank.ledger import events, merkle, selectors, services
    from creditbank.ledger.models import LedgerHead

    _truncate()
    results = []
    for run in range(runs):
        first = run * leaves
        batch = [
            services.LeafEvent(
                events.OUTCOME_STORED,
                first + n + 1,
                (first + n) // 10 % 100_000 + 1,
                hashlib.sha256(b"%d" % (first + n)).hexdigest(),
            )
            for n in range(leaves)
        ]
        load = _load()
        started = time.perf_counter()
        with transaction.atomic():
            appended = services.append_many(batch)
        seconds = time.perf_counter() - started
        del batch
        results.append(
            {"leaves": len(appended), "seconds": round(seconds, 3), "per_s": round(leaves / seconds), "load": load}
        )
    head = LedgerHead.objects.get()
    size = head.size
    # The tree is right: the root from the stored tiles is the head's; sampled proofs verify.
    if selectors.root_at(size) != bytes(head.root_hash):
        raise SystemExit("bench: the root from the tiles differs from the head")
    rng = random.Random(6)
    for index in rng.sample(range(size), 200):
        proof = selectors.inclusion_proof(index, size)
        merkle.verify_inclusion(index, size, proof.leaf_hash, proof.proof, bytes(head.root_hash))
    # Single appends, each in its own transaction.
    singles = []
    for n in range(300):
        event = services.LeafEvent(events.OUTCOME_CERTIFIED, n + 1, n + 1, hashlib.sha256(b"s%d" % n).hexdigest())
        started = time.perf_counter()
        with transaction.atomic():
            services.append_many([event])
        singles.append(time.perf_counter() - started)
    return {"runs": results, "tree_size": size + 300, "single": _percentiles(singles[20:])}


def child_proofs(tree: int, proofs: int) -> dict[str, Any]:
    _setup()
    import hashlib

    from django.db import connection, transaction
    from django.test import Client

    from creditbank.ledger import merkle, selectors, services, tiles
    from creditbank.ledger.models import LedgerHead, LedgerTile

    _truncate()
    # The tiles of the tree, built with the append path's tile builder and written by COPY.
    started = time.perf_counter()
    builder = tiles.TileBuilder(0, {})
    sha = hashlib.sha256
    chunk = 500_000
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, tree, chunk):
            builder.extend(b"".join(sha(b"\x00%d" % n).digest() for n in range(start, min(tree, start + chunk))))
            full = {key: value for key, value in builder.changed.items() if len(value) == tiles.TILE_BYTES}
            for key in full:
                del builder.changed[key]
            with cursor.cursor.copy("COPY ledger_ledgertile (level, index, hashes) FROM STDIN") as copy:
                copy.write("".join(f"{level}\t{index}\t\\\\x{value.hex()}\n" for (level, index), value in full.items()))
            written += len(full)
        with cursor.cursor.copy("COPY ledger_ledgertile (level, index, hashes) FROM STDIN") as copy:
            copy.write(
                "".join(f"{level}\t{index}\t\\\\x{value.hex()}\n" for (level, index), value in builder.changed.items())
            )
        written += len(builder.changed)
        cursor.execute("ANALYZE ledger_ledgertile")
    root = builder.root()
    LedgerHead.objects.update_or_create(pk=1, defaults={"size": tree, "root_hash": root})
    with transaction.atomic():
        checkpoint = services.make_checkpoint()
    setup_seconds = time.perf_counter() - started
    rng = random.Random(10)
    # Warm-up (the tiles' pages into shared buffers, the code paths), then timed one by one.
    for index in rng.sample(range(tree), 500):
        selectors.inclusion_proof(index, tree)
    load = _load()
    samples = []
    chosen = [rng.randrange(tree) for _ in range(proofs)]
    for index in chosen:
        begin = time.perf_counter()
        selectors.inclusion_proof(index, tree)
        samples.append(time.perf_counter() - begin)
    # Correctness: a sample verified against the signed root, with leaf hashes computed here.
    for index in chosen[:1000]:
        proof = selectors.inclusion_proof(index, tree)
        merkle.verify_inclusion(index, tree, sha(b"\x00%d" % index).digest(), proof.proof, bytes(checkpoint.root_hash))
    # The API, in process (middleware, ninja, rate limit, JSON).
    client = Client()
    api = []
    for index in chosen[:2000]:
        begin = time.perf_counter()
        response = client.get("/api/v1/ledger/proof/inclusion", {"index": index, "size": tree})
        api.append(time.perf_counter() - begin)
        if response.status_code != 200:
            raise SystemExit(f"bench: the API answered {response.status_code}")
    consistency = []
    for first in [rng.randrange(1, tree) for _ in range(3000)]:
        begin = time.perf_counter()
        selectors.consistency_proof(first, tree)
        consistency.append(time.perf_counter() - begin)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('ledger_ledgertile')")
        tile_bytes = cursor.fetchone()[0]
    return {
        "tree": tree,
        "tiles": LedgerTile.objects.count(),
        "tile_table_mb": round(tile_bytes / 2**20, 1),
        "setup_seconds": round(setup_seconds, 1),
        "load": load,
        "inclusion": {**_percentiles(samples), "per_s": round(len(samples) / sum(samples))},
        "api_inclusion": _percentiles(api),
        "consistency": _percentiles(consistency),
        "root": root.hex(),
    }


# --- parent ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tree", type=int, default=10_000_000)
    parser.add_argument("--proofs", type=int, default=20_000)
    parser.add_argument("--skip-append", action="store_true")
    parser.add_argument("--skip-proofs", action="store_true")
    options = parser.parse_args(argv)
    url = os.environ.get("BENCH_LEDGER_DATABASE_URL", DEFAULT_URL)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="creditbank-bench-ledger-") as work:
        env = _env(url, Path(work))
        print(f"bench: ledger on PostgreSQL {postgres_version(url.rsplit('/', 1)[0] + '/postgres')}")
        print(f"machine: {machine()}; load average {_load():.1f} (other work on the cores moves every figure)")
        recreate_database(url)
        _checked([str(Path(sys.executable).parent / "creditbank"), "migrate", "--no-input", "-v0"], env)
        if not options.skip_append:
            append = _child("append", env, options.leaves, options.runs)
            for number, run in enumerate(append["runs"], start=1):
                print(
                    f"  append run {number}: {run['leaves']:,} leaves in {run['seconds']:.2f} s = {run['per_s']:,} leaves/s "
                    f"(load {run['load']:.1f})"
                )
            median = statistics.median(run["per_s"] for run in append["runs"])
            verdict = "met" if median >= 100_000 else "NOT met"
            print(
                f"append_many, {options.leaves:,} leaves in batch: {median:,.0f} leaves/s (median; target >= 100,000) [{verdict}]"
            )
            single = append["single"]
            print(f"single append, own transaction: p50 {single['p50_ms']} ms, p99 {single['p99_ms']} ms")
            figures["append"] = {**append, "median_per_s": median}
        if not options.skip_proofs:
            proofs = _child("proofs", env, options.tree, options.proofs)
            inclusion = proofs["inclusion"]
            verdict = "met" if inclusion["p99_ms"] < 5 else "NOT met"
            print(
                f"  tree of {proofs['tree']:,} leaves: {proofs['tiles']:,} tiles ({proofs['tile_table_mb']} MB), "
                f"built in {proofs['setup_seconds']} s; load {proofs['load']:.1f}"
            )
            print(
                f"inclusion proof at {proofs['tree']:,} leaves ({options.proofs:,} random leaves): p50 {inclusion['p50_ms']} ms, "
                f"p99 {inclusion['p99_ms']} ms, max {inclusion['max_ms']} ms, {inclusion['per_s']:,}/s "
                f"(target p99 < 5 ms) [{verdict}]"
            )
            api = proofs["api_inclusion"]
            print(
                f"  the same through GET /api/v1/ledger/proof/inclusion (in process): p50 {api['p50_ms']} ms, p99 {api['p99_ms']} ms"
            )
            consistency = proofs["consistency"]
            print(
                f"  consistency proof to {proofs['tree']:,}: p50 {consistency['p50_ms']} ms, p99 {consistency['p99_ms']} ms"
            )
            figures["proofs"] = proofs
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        task, args = sys.argv[2], [int(value) for value in sys.argv[3:]]
        result = {"append": child_append, "proofs": child_proofs}[task](*args)
        print(json.dumps(result))
    else:
        main()
