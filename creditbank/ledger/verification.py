"""``ledger verify``: recompute the ledger from the stored records and report every difference.

Two passes, both streamed in keyset pages (no query per row, memory bounded by one page and the
tree's right edge):

1. **The tree.** Every leaf in index order: indexes gapless, the stored leaf hash = SHA-256(0x00 ||
   data), the record type known. The tree is rebuilt from the recomputed leaf hashes and compared
   with every stored tile, the head (size, root) and every checkpoint: its signature under the
   deployment's key, its text against its columns, its root against the rebuilt tree at its size.
2. **The records.** Per record type, the records (``digests.stream``) merged with their leaves
   by key: a record whose newest leaf's digest or learner hash differs from the record as stored
   now was **altered**; a leaf whose record is gone means it was **deleted**; a record that
   should have a leaf and has none was **inserted** behind the ledger's back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from creditbank.core import signing
from creditbank.ledger import digests, events, notes, selectors, services, tiles
from creditbank.ledger.models import Checkpoint, LedgerLeaf, LedgerTile

PAGE = 5000

ALTERED = "altered"
DELETED = "deleted"
INSERTED = "inserted"
LEAF_ALTERED = "leaf_altered"
LEAF_MISSING = "leaf_missing"
TILE_ALTERED = "tile_altered"
HEAD_MISMATCH = "head_mismatch"
CHECKPOINT_INVALID = "checkpoint_invalid"
CHECKPOINT_MISMATCH = "checkpoint_mismatch"


@dataclass(frozen=True)
class Problem:
    kind: str
    detail: str
    record_type: str | None = None
    record_id: int | None = None
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "index": self.index,
            "detail": self.detail,
        }


@dataclass
class Report:
    size: int = 0
    leaves: int = 0
    records: dict[str, int] = field(default_factory=dict)
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    limit: int = 1000
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.counts

    def add(self, problem: Problem) -> None:
        self.counts[problem.kind] += 1
        if len(self.problems) < self.limit:
            self.problems.append(problem)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "leaves": self.leaves,
            "records": self.records,
            "checkpoints": self.checkpoints,
            "problem_counts": dict(sorted(self.counts.items())),
            "problems": [problem.as_dict() for problem in self.problems],
            "problems_listed": len(self.problems),
            "seconds": round(self.seconds, 3),
        }


def verify_ledger(*, limit: int = 1000) -> Report:
    """Check the whole ledger against itself and against the records (module docstring)."""
    started = time.perf_counter()
    report = Report(limit=limit)
    _check_tree(report)
    for record_type in digests.RECORD_TYPES.values():
        _check_records(record_type, report)
    report.seconds = time.perf_counter() - started
    return report


# --- pass 1: the tree -------------------------------------------------------------------------


class _StoredTiles:
    """The stored tiles of one level in index order, a page at a time."""

    def __init__(self, level: int) -> None:
        self.level = level
        self._rows = self._iterate()
        self._next: tuple[int, bytes] | None = next(self._rows, None)

    def _iterate(self) -> Iterator[tuple[int, bytes]]:
        last = -1
        while True:
            page = list(
                LedgerTile.objects.filter(level=self.level, index__gt=last)
                .order_by("index")
                .values_list("index", "hashes")[:PAGE]
            )
            if not page:
                return
            for index, hashes in page:
                yield index, bytes(hashes)
            last = page[-1][0]

    def take(self, index: int, report: Report) -> bytes | None:
        """The stored tile ``index``; stored tiles before it that the tree does not have are reported."""
        while self._next is not None and self._next[0] < index:
            report.add(Problem(TILE_ALTERED, f"tile {self.level}/{self._next[0]} is not part of the tree"))
            self._next = next(self._rows, None)
        if self._next is not None and self._next[0] == index:
            found = self._next[1]
            self._next = next(self._rows, None)
            return found
        return None

    def rest(self, report: Report) -> None:
        while self._next is not None:
            report.add(Problem(TILE_ALTERED, f"tile {self.level}/{self._next[0]} is not part of the tree"))
            self._next = next(self._rows, None)


class _TileCheck:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.levels: dict[int, _StoredTiles] = {}

    def compare(self, key: tiles.TileKey, computed: bytes) -> None:
        level, index = key
        stored_tiles = self.levels.get(level)
        if stored_tiles is None:
            stored_tiles = self.levels[level] = _StoredTiles(level)
        stored = stored_tiles.take(index, self.report)
        if stored != computed:
            what = "is missing" if stored is None else "differs from the leaves"
            self.report.add(Problem(TILE_ALTERED, f"tile {level}/{index} {what}"))

    def finish(self, builder: tiles.TileBuilder) -> None:
        for key in sorted(builder.changed):
            self.compare(key, builder.changed[key])
        builder.changed.clear()
        for stored_tiles in self.levels.values():
            stored_tiles.rest(self.report)
        top = max(self.levels, default=-1) + 1
        for level in LedgerTile.objects.filter(level__gte=top).values_list("level", flat=True).distinct():
            self.report.add(Problem(TILE_ALTERED, f"tile level {level} is not part of the tree"))


def _leaf_pages() -> Iterator[list[tuple[int, bytes, str, str]]]:
    last = -1
    while True:
        page = list(
            LedgerLeaf.objects.filter(index__gt=last)
            .order_by("index")
            .values_list("index", "leaf_hash", "record_type", "data")[:PAGE]
        )
        if not page:
            return
        yield [(index, bytes(value), record_type, data) for index, value, record_type, data in page]
        last = page[-1][0]


def _check_checkpoint(checkpoint: Checkpoint, verifier: notes.Verifier, report: Report) -> None:
    where = f"checkpoint {checkpoint.pk} (size {checkpoint.size})"
    try:
        text = notes.open_note(checkpoint.note, verifier)
        body = notes.parse_checkpoint(text)
    except notes.NoteError as exc:
        report.add(Problem(CHECKPOINT_INVALID, f"{where}: {exc}"))
        return
    if (body.origin, body.size, body.root_hash) != (checkpoint.origin, checkpoint.size, bytes(checkpoint.root_hash)):
        report.add(Problem(CHECKPOINT_INVALID, f"{where}: its columns differ from its signed note"))


def _check_tree(report: Report) -> None:
    head = selectors.get_head()
    report.size = head.size
    verifier = notes.Verifier(
        name=selectors.origin(),
        key_id=notes.key_id(selectors.origin(), signing.public_key_bytes()),
        public_key=signing.public_key_bytes(),
    )
    # Checkpoints by size: the tree's root is captured whenever the rebuild reaches one's size.
    checkpoints = list(Checkpoint.objects.order_by("size", "id"))
    report.checkpoints = len(checkpoints)
    for checkpoint in checkpoints:
        _check_checkpoint(checkpoint, verifier, report)
    wanted = sorted({checkpoint.size for checkpoint in checkpoints})
    roots: dict[int, bytes] = {}
    builder = tiles.TileBuilder(0, {})
    if 0 in wanted:
        roots[0] = builder.root()
    tile_check = _TileCheck(report)
    known = {event.record_type for event in events.EVENT_TYPES.values()}
    expected = 0
    sha = hashlib.sha256
    pending = list(reversed(wanted))
    while pending and pending[-1] == 0:
        pending.pop()
    for page in _leaf_pages():
        hashes = bytearray()
        for index, stored, record_type, data in page:
            if index != expected:
                # The tree is rebuilt without them: tiles, head and checkpoints after the gap differ too.
                report.add(Problem(LEAF_MISSING, f"leaves {expected} to {index - 1} are missing", index=expected))
            computed = sha(b"\x00" + data.encode()).digest()
            if computed != stored:
                report.add(Problem(LEAF_ALTERED, "the leaf hash is not the hash of its data", index=index))
            if record_type not in known:
                report.add(Problem(LEAF_ALTERED, f"unknown record type {record_type!r}", index=index))
            hashes += computed
            expected = index + 1
            report.leaves += 1
            if pending and expected == pending[-1]:
                builder.extend(bytes(hashes))
                hashes = bytearray()
                roots[expected] = builder.root()
                pending.pop()
        builder.extend(bytes(hashes))
        for key in sorted(key for key, value in builder.changed.items() if len(value) == tiles.TILE_BYTES):
            tile_check.compare(key, builder.changed.pop(key))
    tile_check.finish(builder)
    root = builder.root()
    if head.size != expected or bytes(head.root_hash) != root:
        report.add(
            Problem(
                HEAD_MISMATCH,
                f"the head says {head.size} leaves with root {bytes(head.root_hash).hex()}; "
                f"the leaves make {expected} with root {root.hex()}",
            )
        )
    for checkpoint in checkpoints:
        computed_root = roots.get(checkpoint.size)
        if computed_root is None:
            report.add(
                Problem(
                    CHECKPOINT_MISMATCH,
                    f"checkpoint {checkpoint.pk} signed {checkpoint.size} leaves; the ledger has only {expected}",
                )
            )
        elif computed_root != bytes(checkpoint.root_hash):
            report.add(
                Problem(
                    CHECKPOINT_MISMATCH,
                    f"checkpoint {checkpoint.pk} (size {checkpoint.size}) signed another root than the leaves make",
                )
            )


# --- pass 2: the records -------------------------------------------------------------------------


def _leaf_groups(record_type: str) -> Iterator[tuple[int, list[tuple[int, str, str]]]]:
    """The leaves of one record type grouped by record, in record-key order."""
    last: int | None = None
    base = LedgerLeaf.objects.filter(record_type=record_type)
    columns = ("record_id", "index", "event_type", "data")
    while True:
        rows = base if last is None else base.filter(record_id__gt=last)
        page = list(rows.order_by("record_id", "index").values_list(*columns)[:PAGE])
        if not page:
            return
        if len(page) == PAGE:
            cut = page[-1][0]
            complete = [row for row in page if row[0] != cut]
            if not complete:  # one record with a page of leaves or more
                complete = list(base.filter(record_id=cut).order_by("index").values_list(*columns))
            page = complete
        for record_id, group in itertools.groupby(page, key=lambda row: row[0]):
            yield record_id, [(index, event_type, data) for _record_id, index, event_type, data in group]
        last = page[-1][0]


_LEAF_KEYS = frozenset({"digest", "learner", "record_id", "record_type", "time", "type"})


def _rewritten(parsed: dict[str, Any]) -> str | None:
    """The data the ledger would have written for these values (its template), or None when they
    are not the values of a leaf; a leaf whose data differs was not written by the ledger."""
    if parsed.keys() != _LEAF_KEYS or type(parsed["record_id"]) is not int:
        return None
    learner = parsed["learner"]
    if learner is not None and type(learner) is not str:
        return None
    return services.leaf_data(
        event_type=str(parsed["type"]),
        record_type=str(parsed["record_type"]),
        record_id=parsed["record_id"],
        learner=learner,
        digest=str(parsed["digest"]),
        time=str(parsed["time"]),
    )


def _check_group(
    record_type: digests.RecordType,
    record_id: int,
    leaves: list[tuple[int, str, str]],
    learner_id: int | None,
    digest: str,
    report: Report,
) -> None:
    newest: dict[str, Any] = {}
    for index, event_type, data in leaves:
        try:
            parsed = json.loads(data)
        except ValueError:
            report.add(Problem(LEAF_ALTERED, "the leaf's data is not JSON", record_type.name, record_id, index))
            continue
        if (
            not isinstance(parsed, dict)
            or parsed.get("record_type") != record_type.name
            or parsed.get("record_id") != record_id
            or parsed.get("type") != event_type
            or _rewritten(parsed) != data
        ):
            report.add(
                Problem(LEAF_ALTERED, "the leaf's data does not match its columns", record_type.name, record_id, index)
            )
            continue
        newest = {**parsed, "index": index}
    if not newest:
        return
    if newest.get("digest") != digest:
        report.add(
            Problem(
                ALTERED,
                f"the record differs from what leaf {newest['index']} ({newest['type']}) recorded",
                record_type.name,
                record_id,
                newest["index"],
            )
        )
    elif not digests.learner_hash_matches(learner_id, newest.get("learner")):
        report.add(
            Problem(
                ALTERED,
                f"the record's learner differs from the one leaf {newest['index']} recorded",
                record_type.name,
                record_id,
                newest["index"],
            )
        )


def _check_records(record_type: digests.RecordType, report: Report) -> None:
    records = digests.stream(record_type, chunk=PAGE)
    groups = _leaf_groups(record_type.name)
    record = next(records, None)
    group = next(groups, None)
    count = 0
    while record is not None or group is not None:
        if record is not None and (group is None or record[0] < group[0]):
            count += 1
            pk, _learner, _digest, needs_leaf = record
            if needs_leaf:
                report.add(
                    Problem(INSERTED, "the record has no leaf: it was written behind the ledger", record_type.name, pk)
                )
            record = next(records, None)
        elif group is not None and (record is None or group[0] < record[0]):
            record_id, leaves = group
            report.add(
                Problem(
                    DELETED,
                    f"leaf {leaves[-1][0]} ({leaves[-1][1]}) speaks of a record that is gone",
                    record_type.name,
                    record_id,
                    leaves[-1][0],
                )
            )
            group = next(groups, None)
        elif record is not None and group is not None:
            count += 1
            pk, learner_id, digest, _needs_leaf = record
            _check_group(record_type, pk, group[1], learner_id, digest, report)
            record = next(records, None)
            group = next(groups, None)
    report.records[record_type.name] = count
