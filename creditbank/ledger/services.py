"""Writes of the ledger: appending leaves (one, or a batch), checkpoints, anchoring, the schedule.

An append runs inside the transaction that writes its record (the caller's), so that a record can
never exist without its leaf, nor a leaf without its record. Appends are serialised by a row lock
on the ledger head (``SELECT … FOR UPDATE``): leaf indexes are gapless, and the second of two
concurrent writers waits until the first commits or rolls back.

The leaf's data is the RFC 8785 canonical JSON ``{"digest", "learner", "record_id", "record_type",
"time", "type"}``: the hex SHA-256 of the record's content (``digests.py``), the keyed hash of the
learner (or null), the record's key and type, the event's time in UTC and the event type. Every
value is hex, a registered name, an integer or a timestamp, so the JSON is written from a template
and needs no escaping (tests compare it with the ``rfc8785`` package).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
import secrets
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from creditbank.core import signing
from creditbank.ledger import anchors, digests, events, notes, selectors, tiles
from creditbank.ledger.models import AnchorReceipt, Checkpoint, LedgerHead, LedgerLeaf, LedgerTile

logger = logging.getLogger(__name__)

_HEX_RUN = re.compile(r"[0-9a-f]*")
_ORM_BATCH = 500


class LedgerCorrupted(RuntimeError):
    """The stored tree does not agree with itself (a tile missing or changed): appends stop until
    an operator looks (docs/operations.md, "When verify reports a problem")."""


class LeafEvent(NamedTuple):
    """One event of a batch: its type, the record's key, the learner's key (or None), and the
    digest of the record's content (``digests``)."""

    event_type: str
    record_id: int
    learner_id: int | None
    digest: str


def leaf_data(*, event_type: str, record_type: str, record_id: int, learner: str | None, digest: str, time: str) -> str:
    """The canonical JSON of one event (keys in RFC 8785 order: digest, learner, record_id,
    record_type, time, type)."""
    learner_part = "null" if learner is None else f'"{learner}"'
    return (
        f'{{"digest":"{digest}","learner":{learner_part},"record_id":{record_id},'
        f'"record_type":"{record_type}","time":"{time}","type":"{event_type}"}}'
    )


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("ledger appends run inside the transaction that writes the record")


def _lock_head() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        LedgerHead.objects.bulk_create([LedgerHead(pk=1)], ignore_conflicts=True)
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


_LEAF_PREFIX = hashlib.sha256(b"\x00")  # RFC 9162 §2.1.1: leaf hash = SHA-256(0x00 || data), continued per leaf


class _Lines:
    """Prepared leaves: ``"<hex leaf hash>\t<event>\t<record type>\t<record id>\t<data>"`` lines (no
    index yet: it is known only under the head lock) and the leaf hashes, concatenated."""

    def __init__(self, time: str) -> None:
        self.time = time
        self.lines: list[str] = []
        self.hashes = bytearray()
        self._learners: dict[int, str] = {}
        self._types: dict[str, str] = {}

    def _record_type(self, event_type: str) -> str:
        record_type = self._types[event_type] = events.get(event_type).record_type
        return record_type

    def _learner(self, learner_id: int) -> str:
        if len(self._learners) > 200_000:
            self._learners.clear()
        value = self._learners[learner_id] = f'"{digests.learner_hash(learner_id)}"'
        return value

    def add(self, event_type: str, record_id: int, learner_id: int | None, digest: str) -> None:
        record_type = self._types.get(event_type) or self._record_type(event_type)
        learner = "null" if learner_id is None else (self._learners.get(learner_id) or self._learner(learner_id))
        # leaf_data(), inlined: this runs once per row of a bulk deposit.
        data = (
            f'{{"digest":"{digest}","learner":{learner},"record_id":{record_id},'
            f'"record_type":"{record_type}","time":"{self.time}","type":"{event_type}"}}'
        )
        state = _LEAF_PREFIX.copy()
        state.update(data.encode())
        value = state.digest()
        self.hashes += value
        self.lines.append(f"{value.hex()}\t{event_type}\t{record_type}\t{record_id}\t{data}")

    def take(self) -> tuple[list[str], bytes]:
        lines, hashes = self.lines, bytes(self.hashes)
        self.lines, self.hashes = [], bytearray()
        return lines, hashes


class LeafBuffer:
    """Events of one batch, kept compactly as they come (48 bytes each: the event's type code,
    record and learner keys, the binary digest) and appended in one go by ``commit``, once the
    bulk writer's own COPY is closed. The leaf JSON and hashes are made by ``commit`` while the
    server stores the previous chunk, so that work runs beside the leaves' COPY rather than before
    it. The head is locked only by ``commit``."""

    def __init__(self, *, at: dt.datetime | None = None) -> None:
        self.at = at or timezone.now()
        self._types: list[str] = []
        self._codes: dict[str, int] = {}
        self._type_of = array("B")
        self._records = array("q")
        self._learners = array("q")
        self._digests = bytearray()

    def __len__(self) -> int:
        return len(self._records)

    @property
    def count(self) -> int:
        return len(self._records)

    def add(self, event_type: str, record_id: int, learner_id: int | None, digest: str) -> None:
        code = self._codes.get(event_type)
        if code is None:
            events.get(event_type)  # an unknown type is refused now, not at commit
            code = self._codes[event_type] = len(self._types)
            self._types.append(event_type)
        if len(digest) != 64:
            raise ValueError("a content digest is 64 hex digits")
        self._type_of.append(code)
        self._records.append(record_id)
        self._learners.append(-1 if learner_id is None else learner_id)
        self._digests += bytes.fromhex(digest)

    def extend(self, batch: Iterable[LeafEvent]) -> None:
        add = self.add
        for event in batch:
            add(event.event_type, event.record_id, event.learner_id, event.digest)

    def commit(self) -> range:
        """Append everything added, under the head lock; the indexes the leaves got."""
        count = len(self._records)
        if not count:
            return range(0)
        _require_transaction()
        time_text = digests.utc_text(self.at)
        # Per type, the parts of the leaf JSON that do not change (the JSON of _Lines.add, inlined:
        # this loop runs once per outcome of a bulk deposit, beside the leaves' COPY).
        heads = [events.get(event_type).record_type for event_type in self._types]
        tails = [
            (f'","time":"{time_text}","type":"{event_type}"}}', f"\t{event_type}\t{record_type}\t")
            for event_type, record_type in zip(self._types, heads, strict=True)
        ]
        codes, records, learners, digest_view = self._type_of, self._records, self._learners, memoryview(self._digests)
        hashed: dict[int, str] = {}
        prefix = _LEAF_PREFIX
        appender = _Appender(self.at, bulk=count >= _COPY_FROM)
        try:
            for start in range(0, count, _CHUNK):
                lines: list[str] = []
                hashes = bytearray()
                for position in range(start, min(count, start + _CHUNK)):
                    code = codes[position]
                    learner_id = learners[position]
                    if learner_id < 0:
                        learner = "null"
                    else:
                        learner = hashed.get(learner_id) or ""
                        if not learner:
                            if len(hashed) > 200_000:
                                hashed.clear()
                            learner = hashed[learner_id] = f'"{digests.learner_hash(learner_id)}"'
                    record_id = records[position]
                    tail, columns = tails[code]
                    data = (
                        f'{{"digest":"{digest_view[position * 32 : position * 32 + 32].hex()}","learner":{learner},'
                        f'"record_id":{record_id},"record_type":"{heads[code]}{tail}'
                    )
                    state = prefix.copy()
                    state.update(data.encode())
                    value = state.digest()
                    hashes += value
                    lines.append(f"{value.hex()}{columns}{record_id}\t{data}")
                appender.write(lines, bytes(hashes))
            return appender.finish()
        except BaseException:
            appender.abort()
            raise
        finally:
            self.discard()

    def discard(self) -> None:
        self._type_of = array("B")
        self._records = array("q")
        self._learners = array("q")
        self._digests = bytearray()


_CHUNK = 2000  # leaves prepared, sent and hashed into the tree at a time
_COPY_FROM = 100  # on PostgreSQL, a batch of at least this many leaves goes by COPY
_LEAF_COLUMNS = ("index", "leaf_hash", "event_type", "record_type", "record_id", "data", "created_at")
_QUEUE_BLOCKS = 64  # psycopg's queued COPY writer: ~5 MB in flight (imports.writers.CopyStream does the same)


class _Appender:
    """One append under the head lock: leaves sent as they come (a COPY fed by psycopg's queued
    writer thread on PostgreSQL, so the server stores one chunk while the next is prepared;
    ``bulk_create`` elsewhere), the tree extended chunk by chunk, then the changed tiles and the
    head written."""

    def __init__(self, at: dt.datetime, *, bulk: bool) -> None:
        head = _lock_head()
        self.start = self.next = head.size
        self.builder = tiles.TileBuilder(self.start, _load_partials(self.start))
        self.created = at
        self.created_text = at.isoformat()
        self._copy: Any = None
        self._copy_manager: Any = None
        self._cursor: Any = None
        self._use_copy = bulk and connection.vendor == "postgresql"

    def write(self, lines: list[str], hashes: bytes) -> None:
        if self._use_copy:
            self._send(lines)
        else:
            self._insert(lines)
        self.builder.extend(hashes)
        self.next += len(lines)

    def _send(self, lines: list[str]) -> None:
        if self._copy is None:
            from psycopg.copy import QueuedLibpqWriter

            quote = connection.ops.quote_name
            columns = ", ".join(quote(name) for name in _LEAF_COLUMNS)
            self._cursor = connection.cursor()
            raw = self._cursor.cursor
            writer = QueuedLibpqWriter(raw)
            try:  # psycopg 3.2's own queue, shorter (as imports.writers does)
                from psycopg._acompat import Queue

                writer._queue = Queue(maxsize=_QUEUE_BLOCKS)
            except ImportError:  # pragma: no cover - another psycopg 3 release: its default length
                pass
            self._copy_manager = raw.copy(
                f"COPY {quote(LedgerLeaf._meta.db_table)} ({columns}) FROM STDIN", writer=writer
            )
            self._copy = self._copy_manager.__enter__()
        index, created = self.next, self.created_text
        # Only the index, the bytea escape and the time are added: nothing in a line needs COPY escaping.
        parts = []
        for line in lines:
            parts.append(f"{index}\t\\\\x{line}\t{created}\n")
            index += 1
        self._copy.write("".join(parts))

    def _insert(self, lines: list[str]) -> None:
        batch = []
        for offset, line in enumerate(lines):
            value, event_type, record_type, record_id, data = line.split("\t", 4)
            batch.append(
                LedgerLeaf(
                    index=self.next + offset,
                    leaf_hash=bytes.fromhex(value),
                    event_type=event_type,
                    record_type=record_type,
                    record_id=int(record_id),
                    data=data,
                    created_at=self.created,
                )
            )
        LedgerLeaf.objects.bulk_create(batch, batch_size=_ORM_BATCH)

    def abort(self) -> None:
        """Stop a COPY under way (the transaction then rolls back)."""
        manager, self._copy_manager, self._copy = self._copy_manager, None, None
        if manager is not None:
            error = RuntimeError("ledger append stopped")
            with contextlib.suppress(Exception):
                manager.__exit__(type(error), error, None)
            self._cursor.close()

    def finish(self) -> range:
        manager, self._copy_manager, self._copy = self._copy_manager, None, None
        if manager is not None:
            manager.__exit__(None, None, None)
            self._cursor.close()
        _write_tiles(self.builder, existing={(level, index) for level, index, _ in tiles.partial_tiles(self.start)})
        LedgerHead.objects.filter(pk=1).update(
            size=self.builder.size, root_hash=self.builder.root(), updated_at=timezone.now()
        )
        return range(self.start, self.next)


def _load_partials(size: int) -> dict[int, bytes]:
    wanted = tiles.partial_tiles(size)
    if not wanted:
        return {}
    condition = models.Q()
    for level, index, _width in wanted:
        condition |= models.Q(level=level, index=index)
    found = {
        (level, index): bytes(hashes)
        for level, index, hashes in LedgerTile.objects.filter(condition).values_list("level", "index", "hashes")
    }
    partials = {}
    for level, index, width in wanted:
        value = found.get((level, index), b"")
        if len(value) != width * 32:
            raise LedgerCorrupted(f"ledger tile {level}/{index} holds {len(value) // 32} hashes, expected {width}")
        partials[level] = value
    return partials


def _write_tiles(builder: tiles.TileBuilder, *, existing: set[tiles.TileKey]) -> None:
    """The tiles this append changed: the (at most one per level) partial tiles it started from
    are updated, new ones inserted — by COPY on PostgreSQL when there are many (a million leaves
    make 66,667), without building a model instance for each."""
    changed, builder.changed = builder.changed, {}
    new = []
    for (level, index), hashes in changed.items():
        if (level, index) in existing:
            LedgerTile.objects.filter(level=level, index=index).update(hashes=hashes)
        else:
            new.append((level, index, hashes))
    if connection.vendor == "postgresql" and len(new) >= _COPY_FROM:
        quote = connection.ops.quote_name
        statement = f"COPY {quote(LedgerTile._meta.db_table)} ({quote('level')}, {quote('index')}, {quote('hashes')}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for start in range(0, len(new), _CHUNK):
                copy.write(
                    "".join(
                        f"{level}\t{index}\t\\\\x{hashes.hex()}\n"
                        for level, index, hashes in new[start : start + _CHUNK]
                    )
                )
        return
    for start in range(0, len(new), _ORM_BATCH):
        LedgerTile.objects.bulk_create(
            [
                LedgerTile(level=level, index=index, hashes=hashes)
                for level, index, hashes in new[start : start + _ORM_BATCH]
            ]
        )


def append(
    event_type: str,
    *,
    record: models.Model,
    learner: Any,
    content: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> LedgerLeaf:
    """Append one event about ``record`` (a saved row), inside the caller's transaction.

    ``learner`` is the learner the event concerns (a ``Learner``, its key, or None). ``content`` is
    the record's content object as ``digests`` defines it; by default it is read back from the
    database (one query), so that the leaf commits to exactly what is stored."""
    _require_transaction()
    event = events.get(event_type)
    record_type = digests.record_type_of(record)
    if record_type.name != event.record_type:
        raise ValueError(f"{event_type} is about a {event.record_type}, not a {record_type.name}")
    if record.pk is None:
        raise ValueError("append the event after the record is saved")
    if content is not None:
        digest = digests.digest(content)
    else:
        found = digests.current(record_type, record.pk)
        if found is None:
            raise ValueError("the record is not in the database")
        digest = found[0]
    learner_id = learner if isinstance(learner, int) or learner is None else learner.pk
    at = at or timezone.now()
    prepared = _Lines(digests.utc_text(at))
    prepared.add(event_type, int(record.pk), learner_id, digest)
    lines, hashes = prepared.take()
    appender = _Appender(at, bulk=False)
    appender.write(lines, hashes)
    index = appender.finish().start
    return LedgerLeaf(
        index=index,
        leaf_hash=hashes,
        event_type=event_type,
        record_type=record_type.name,
        record_id=int(record.pk),
        data=lines[0].split("\t", 4)[4],
        created_at=at,
    )


def _check_digests(given: list[str]) -> None:
    """Digests go into the leaf JSON unescaped: each must be 64 lower-case hex digits (checked a
    chunk at a time, which costs a tenth of a check per event)."""
    if set(map(len, given)) != {64} or not _HEX_RUN.fullmatch("".join(given)):
        raise ValueError("a content digest is 64 lower-case hex digits")
    given.clear()


def append_many(batch: Iterable[LeafEvent], *, at: dt.datetime | None = None) -> range:
    """Append a batch of events (bulk imports), inside the caller's transaction: the head locked
    first, the leaves streamed as they are prepared (COPY on PostgreSQL, ``bulk_create``
    elsewhere), each tile written once. Returns the indexes of the new leaves, in the order given."""
    _require_transaction()
    at = at or timezone.now()
    prepared = _Lines(digests.utc_text(at))
    appender: _Appender | None = None
    add = prepared.add
    given: list[str] = []
    try:
        for event_type, record_id, learner_id, digest in batch:
            add(event_type, int(record_id), learner_id, digest)
            given.append(digest)
            if len(given) == _CHUNK:
                _check_digests(given)
                appender = appender or _Appender(at, bulk=True)
                appender.write(*prepared.take())
        if given:
            # A handful of leaves (a push of a few records) goes by INSERT: a COPY costs more to set up.
            bulk = len(given) >= _COPY_FROM
            _check_digests(given)
            appender = appender or _Appender(at, bulk=bulk)
            appender.write(*prepared.take())
    except BaseException:
        if appender is not None:
            appender.abort()
        raise
    return appender.finish() if appender is not None else range(0)


# --- checkpoints ------------------------------------------------------------------------------


@transaction.atomic
def make_checkpoint(*, force: bool = False) -> Checkpoint:
    """Sign the tree as it stands (C2SP checkpoint, the deployment's Ed25519 key). When the tree
    has not grown since the latest checkpoint, that one is returned (``force`` signs anew)."""
    head = selectors.get_head()
    latest = Checkpoint.objects.order_by("-id").first()
    if latest is not None and latest.size == head.size and not force:
        return latest
    root_hash = bytes(head.root_hash)
    if selectors.root_at(head.size) != root_hash:
        raise LedgerCorrupted("the ledger head's root differs from the stored tree; not signing it")
    origin = selectors.origin()
    body = notes.CheckpointBody(origin=origin, size=head.size, root_hash=root_hash)
    note = notes.sign_note(body.text(), name=origin, private_key=signing.private_key())
    return Checkpoint.objects.create(origin=origin, size=head.size, root_hash=root_hash, note=note)


def publish_checkpoint(checkpoint: Checkpoint) -> list[AnchorReceipt]:
    """Hand the checkpoint to every configured anchor that has not taken it yet (after the
    checkpoint's transaction: a failing anchor never undoes a checkpoint, and is tried again with
    the next run). One receipt per anchor tried."""
    done = set(checkpoint.receipts.filter(is_success=True).values_list("anchor", flat=True))
    receipts = []
    for anchor in anchors.configured():
        if anchor.name in done:
            continue
        try:
            detail = anchor.publish(checkpoint)
            success = True
        except anchors.AnchorError as exc:
            detail, success = str(exc), False
            logger.warning("ledger anchor %s refused checkpoint %s: %s", anchor.name, checkpoint.size, exc)
        receipts.append(
            AnchorReceipt.objects.create(checkpoint=checkpoint, anchor=anchor.name, is_success=success, detail=detail)
        )
    return receipts


def schedule_checkpoints(*, every: int) -> str:
    """Start (or restart) the worker's periodic checkpoint: a task that signs a checkpoint and
    enqueues itself again ``every`` seconds later. A new schedule stops the old chain (its token
    no longer matches). Returns the token."""
    if every < 60:
        raise ValueError("checkpoints are made at most once a minute")
    token = secrets.token_hex(8)
    with transaction.atomic():
        head = _lock_head()
        head.schedule_token = token
        head.save(update_fields=["schedule_token", "updated_at"])
        transaction.on_commit(lambda: _enqueue_checkpoint(token, every, delay=0))
    return token


def _enqueue_checkpoint(token: str, every: int, *, delay: int) -> None:
    from creditbank.ledger.tasks import make_checkpoint_task

    task: Any = make_checkpoint_task
    if delay and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay))
    elif delay:
        logger.warning("the task backend cannot defer tasks; the ledger checkpoint schedule stops here")
        return
    task.enqueue(token, every)


def run_scheduled_checkpoint(*, token: str, every: int) -> str:
    """One turn of the schedule: checkpoint, publish, enqueue the next turn."""
    head = selectors.get_head()
    if token and head.schedule_token != token:
        return "superseded"
    checkpoint = make_checkpoint()
    publish_checkpoint(checkpoint)
    if token and every:
        transaction.on_commit(lambda: _enqueue_checkpoint(token, every, delay=every))
    return f"checkpoint {checkpoint.size}"


# --- backfill -----------------------------------------------------------------------------------


def _missing(record_type: digests.RecordType, *, chunk: int) -> Iterator[list[tuple[Any, ...]]]:
    model = record_type.model_class()
    has_leaf = models.Exists(LedgerLeaf.objects.filter(record_type=record_type.name, record_id=models.OuterRef("pk")))
    last = 0
    while True:
        page = list(
            model._default_manager.filter(record_type.needs_leaf(), pk__gt=last)
            .exclude(has_leaf)
            .order_by("pk")
            .values_list("pk", record_type.learner, *record_type.columns)[:chunk]
        )
        if not page:
            return
        yield page
        last = page[-1][0]


BACKFILL_EVENTS = {digests.OUTCOME.name: events.OUTCOME_STORED, digests.LEARNER.name: events.ACCOUNT_OPENED}


def backfill(*, actor: Any = None, chunk: int = 5000) -> dict[str, int]:
    """Leaves for records stored before the ledger existed (an upgrade): each record that should
    have a leaf and has none gets its opening event (``outcome.stored``, ``account.opened``) with
    its current content. One transaction; audited. Run once, right after upgrading — later, a record
    without a leaf is one written behind the ledger's back (``ledger verify``)."""
    from creditbank.audit import services as audit

    counts: dict[str, int] = {}
    with transaction.atomic(durable=True):
        for name, event_type in BACKFILL_EVENTS.items():
            record_type = digests.get(name)
            buffer = LeafBuffer()
            for page in _missing(record_type, chunk=chunk):
                for pk, learner_id, *values in page:
                    buffer.add(event_type, pk, learner_id, digests.row_digest(record_type, values))
            counts[name] = buffer.count
            buffer.commit()
        audit.record(
            actor=actor,
            action="ledger.backfill",
            object_type="ledger",
            object_id="",
            object_repr="ledger",
            after=counts,
        )
    return counts


def anchor_names() -> list[str]:
    return [anchor.name for anchor in anchors.configured()]


def checkpoint_interval() -> int:
    return int(getattr(settings, "CREDITBANK_LEDGER_CHECKPOINT_SECONDS", 600))
