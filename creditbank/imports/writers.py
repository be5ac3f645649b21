"""Where checked learner rows go: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Both writers work inside the caller's transaction and never hold more than one batch.

On PostgreSQL the table is locked against concurrent inserts (``SHARE ROW EXCLUSIVE``: readers go
on, other writers wait) so that the duplicate check of each batch stays true until commit. Each
import is one ``COPY ... FROM STDIN`` fed by psycopg's queued writer: a thread sends the data
while this thread goes on checking the next batch, so the server's index work and our validation
and encryption run on two cores at once. The duplicate check of each batch runs on a second
connection, so the COPY never stops (see ``CopyWriter.prepare`` for when it cannot).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from creditbank.accounts.choices import LearnerStatus, OpeningChannel
from creditbank.accounts.identity import IdentityData
from creditbank.accounts.models import Learner
from creditbank.core import pii
from creditbank.ledger import digests as ledger_digests
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger_services
from creditbank.orgs.models import OrgUnit

# SQLite allows 32,766 bound parameters per statement; stay well below for the duplicate check.
_LOOKUP_CHUNK = 900


class LearnerWriter:
    """Base: the duplicate lookup that every writer (and the dry run) shares."""

    def __init__(self, org: OrgUnit) -> None:
        self.org = org
        self.written = 0

    def prepare(self) -> None:
        """Called once inside the transaction, before the first lookup."""

    def existing(self, id_hashes: Sequence[str], phone_hashes: Sequence[str]) -> tuple[set[str], set[str]]:
        """Which of these ID-number and phone hashes are already stored: one query per batch on
        PostgreSQL, a few on SQLite — never one per row."""
        found_ids: set[str] = set()
        found_phones: set[str] = set()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                return probe_hashes(cursor, id_hashes, phone_hashes)
        for start in range(0, len(id_hashes), _LOOKUP_CHUNK):
            found_ids.update(
                Learner.objects.filter(id_number_hash__in=id_hashes[start : start + _LOOKUP_CHUNK]).values_list(
                    "id_number_hash", flat=True
                )
            )
        for start in range(0, len(phone_hashes), _LOOKUP_CHUNK):
            found_phones.update(
                hash_
                for hash_ in Learner.objects.filter(
                    phone_hash__in=phone_hashes[start : start + _LOOKUP_CHUNK]
                ).values_list("phone_hash", flat=True)
                if hash_
            )
        return found_ids, found_phones

    def write(self, rows: Sequence[IdentityData], account_numbers: Sequence[str]) -> Any:
        """Store one batch of checked rows, each with the next reserved account number."""

    def finish(self) -> None:
        """Called once after the last batch, still inside the transaction."""

    def abort(self) -> None:
        """Called when the import stops early (error or cancel), before the rollback."""


class DryRunWriter(LearnerWriter):
    """Checks against the database and stores nothing (preview, ``--dry-run``)."""


class OrmWriter(LearnerWriter):
    """``bulk_create`` in batches (SQLite and any other backend); the model field encrypts. Each
    account opened gets its ``account.opened`` ledger leaf in the same transaction."""

    def write(self, rows: Sequence[IdentityData], account_numbers: Sequence[str]) -> list[Learner]:
        """Returns the new learners, with their keys (both databases return them from the insert)."""
        org = self.org
        learners = [
            Learner(
                account_no=account_no,
                name=row.name,
                id_type=row.id_type,
                id_number=row.id_number,
                id_number_hash=row.id_number_hash,
                phone=row.phone,
                phone_hash=row.phone_hash,
                birth_date=row.birth_date,
                gender=row.gender,
                region_id=row.region_code,
                org=org,
                org_path=org.path,
                status=LearnerStatus.PENDING,
                opened_via=OpeningChannel.IMPORT,
            )
            for row, account_no in zip(rows, account_numbers, strict=True)
        ]
        Learner.objects.bulk_create(learners, batch_size=500)
        ledger_services.append_many(
            ledger_services.LeafEvent(
                ledger_events.ACCOUNT_OPENED, learner.pk, learner.pk, _opened_digest(learner.account_no, row)
            )
            for learner, row in zip(learners, rows, strict=True)
        )
        self.written += len(learners)
        return learners


def _opened_digest(account_no: str, row: IdentityData) -> str:
    return ledger_digests.imported_learner_digest(
        account_no=account_no, id_number_hash=row.id_number_hash, id_type=row.id_type, opened_via=OpeningChannel.IMPORT
    )


def reserve_ids(cursor: Any, table: str, count: int) -> range:
    """Keys for ``count`` rows that a COPY will insert, taken from the table's own sequence
    (PostgreSQL) as one block: known before the rows are sent, so that their ledger leaves can name
    them. One ``setval(nextval() + count - 1)`` instead of ``count`` calls of ``nextval`` (which cost
    8 µs a key, a tenth of the whole row): safe because only this import can take keys meanwhile —
    the writers hold ``SHARE ROW EXCLUSIVE`` on the table, and every other insert waits for that lock
    before its default draws from the sequence. Values are never handed out twice, committed or not."""
    cursor.execute(
        "SELECT setval(seq, nextval(seq) + %s - 1) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) AS s",
        [count, table],
    )
    last = int(cursor.fetchone()[0])
    return range(last - count + 1, last + 1)


class CopyStream:
    """One ``COPY ... FROM STDIN`` kept open across batches, fed by psycopg's queued writer (a
    thread sends while the caller checks the next batch), and the second connection for the
    look-ups of each batch. Shared by the learner and the outcome writers."""

    QUEUE_BLOCKS = 64  # ~5 MB in flight; psycopg's default 1,024 blocks held ~100 MB when the server is slower

    def __init__(self, statement: str) -> None:
        self.statement = statement
        self.cursor: Any = None
        self.probe_cursor: Any = None
        self._copy: AbstractContextManager[Any] | None = None
        self._stream: Any = None
        self._probe_connection: Any = None

    def start(self, *lock_tables: str) -> None:
        self.cursor = connection.cursor()
        # Other writers of these tables wait until we commit; readers (and the console) go on.
        for table in lock_tables:
            self.cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} IN SHARE ROW EXCLUSIVE MODE")
        # Foreign keys checked at the end of each COPY, while the next batch is being validated,
        # rather than all at commit, when nothing else can run.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # When the import's transaction is the outermost one, the look-ups run on a second
        # connection: it sees every committed row (nobody can add one while our lock is held), the
        # file's own rows are tracked in memory, and so one COPY streams from start to end without
        # stopping for each batch's query. Inside an enclosing transaction (tests), the look-ups
        # must see uncommitted rows, so they share the connection and the COPY stops for them.
        if len(connection.atomic_blocks) == 1:
            self._probe_connection = connections.create_connection(DEFAULT_DB_ALIAS)
            self.probe_cursor = self._probe_connection.cursor()

    def send(self, chunks: Iterable[str]) -> None:
        if self._copy is None:
            raw = self.cursor.cursor  # the psycopg cursor under Django's wrapper
            manager = raw.copy(self.statement, writer=_queued_writer(raw))
            self._stream = manager.__enter__()
            self._copy = manager
        for text in chunks:
            self._stream.write(text)

    def close_copy(self) -> None:
        manager, self._copy = self._copy, None
        if manager is not None:
            manager.__exit__(None, None, None)

    def _close_probes(self) -> None:
        probe, self._probe_connection, self.probe_cursor = self._probe_connection, None, None
        if probe is not None:
            probe.close()

    def finish(self) -> None:
        self._close_probes()
        self.close_copy()

    def abort(self) -> None:
        self._close_probes()
        manager, self._copy = self._copy, None
        if manager is not None:
            error = RuntimeError("import stopped")
            with contextlib.suppress(Exception):  # the COPY fails on purpose; the transaction rolls back next
                manager.__exit__(type(error), error, None)


def chunked(lines: Iterable[str], size: int) -> Iterator[str]:
    """COPY text lines joined ``size`` at a time: what the queued writer sends in one go."""
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) == size:
            yield "".join(buffer)
            buffer.clear()
    if buffer:
        yield "".join(buffer)


def _queued_writer(cursor: Any) -> Any:
    from psycopg.copy import QueuedLibpqWriter

    writer = QueuedLibpqWriter(cursor)
    try:  # psycopg's own interruptible queue class (psycopg 3.2), shorter
        from psycopg._acompat import Queue
    except ImportError:  # pragma: no cover - another psycopg 3 release: its default length
        return writer
    writer._queue = Queue(maxsize=CopyStream.QUEUE_BLOCKS)
    return writer


class CopyWriter(LearnerWriter):
    """``COPY ... FROM STDIN`` straight into the learner table, values encrypted here. Keys come
    from the table's sequence before each batch (``reserve_ids``); the ``account.opened`` leaves
    are prepared with each batch and appended by ``finish``, once the COPY is closed."""

    COLUMNS = (
        "id", "created_at", "updated_at", "account_no", "name", "id_type", "id_number", "id_number_hash",
        "phone", "phone_hash", "birth_date", "gender", "region", "org", "org_path", "status", "opened_via",
    )  # fmt: skip

    def __init__(self, org: OrgUnit) -> None:
        super().__init__(org)
        meta = Learner._meta
        columns = ", ".join(connection.ops.quote_name(_column(meta.get_field(name))) for name in self.COLUMNS)
        self.stream = CopyStream(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN")
        now = timezone.now().isoformat()
        self.prefix = f"{now}\t{now}\t"
        self.suffix = (
            f"\t{org.pk}\t{copy_escape(org.path)}\t{LearnerStatus.PENDING.value}\t{OpeningChannel.IMPORT.value}\n"
        )
        self.ledger = ledger_services.LeafBuffer()

    def prepare(self) -> None:
        self.stream.start(Learner._meta.db_table)

    def existing(self, id_hashes: Sequence[str], phone_hashes: Sequence[str]) -> tuple[set[str], set[str]]:
        if self.stream.probe_cursor is not None:
            return probe_hashes(self.stream.probe_cursor, id_hashes, phone_hashes)
        self.stream.close_copy()
        return super().existing(id_hashes, phone_hashes)

    def write(self, rows: Sequence[IdentityData], account_numbers: Sequence[str]) -> None:
        if self.stream.probe_cursor is not None:
            ids = reserve_ids(self.stream.probe_cursor, Learner._meta.db_table, len(rows))
        else:
            self.stream.close_copy()
            with connection.cursor() as cursor:
                ids = reserve_ids(cursor, Learner._meta.db_table, len(rows))
        self.stream.send(chunked(self._lines(rows, account_numbers, ids), 400))  # ~130 KB a chunk
        add, opened = self.ledger.add, ledger_events.ACCOUNT_OPENED
        for row, account_no, pk in zip(rows, account_numbers, ids, strict=True):
            add(opened, pk, pk, _opened_digest(account_no, row))
        self.written += len(rows)

    def _lines(self, rows: Sequence[IdentityData], account_numbers: Sequence[str], ids: Sequence[int]) -> Iterator[str]:
        encrypt = pii.encrypt
        prefix, suffix = self.prefix, self.suffix
        for row, account_no, pk in zip(rows, account_numbers, ids, strict=True):
            name = row.name if "\\" not in row.name else copy_escape(row.name)
            yield (
                f"{pk}\t{prefix}{account_no}\t{name}\t{row.id_type}\t{encrypt(row.id_number)}\t{row.id_number_hash}\t"
                f"{encrypt(row.phone) if row.phone else ''}\t{row.phone_hash or _NULL}\t"
                f"{row.birth_date.isoformat() if row.birth_date else _NULL}\t{row.gender}\t{row.region_code or _NULL}{suffix}"
            )

    def finish(self) -> None:
        self.stream.finish()
        self.ledger.commit()  # the leaves, now that the COPY is closed

    def abort(self) -> None:
        self.stream.abort()
        self.ledger.discard()


_EXISTING_SQL = f"""
SELECT found.id_number_hash, found.phone_hash FROM unnest(%s::varchar[]) AS wanted(hash)
CROSS JOIN LATERAL (SELECT id_number_hash, phone_hash FROM {Learner._meta.db_table} WHERE id_number_hash = wanted.hash LIMIT 1) AS found
UNION ALL
SELECT found.id_number_hash, found.phone_hash FROM unnest(%s::varchar[]) AS wanted(hash)
CROSS JOIN LATERAL (SELECT id_number_hash, phone_hash FROM {Learner._meta.db_table} WHERE phone_hash = wanted.hash LIMIT 1) AS found
"""  # noqa: S608 - the table name comes from the model
_NULL = "\\N"


def probe_hashes(cursor: Any, id_hashes: Sequence[str], phone_hashes: Sequence[str]) -> tuple[set[str], set[str]]:
    """Hex digests need no quoting: an array literal is far cheaper to send than 10,000 parameters.
    One index probe per hash, in key order (LATERAL ... LIMIT 1 keeps the planner from a sequential
    scan when the table's statistics are stale, as they are mid-import)."""
    found_ids: set[str] = set()
    found_phones: set[str] = set()
    cursor.execute(_EXISTING_SQL, [hex_array(sorted(id_hashes)), hex_array(sorted(phone_hashes))])
    for id_hash, phone_hash in cursor.fetchall():
        found_ids.add(id_hash)
        if phone_hash:
            found_phones.add(phone_hash)
    return found_ids, found_phones


def hex_array(values: Sequence[str]) -> str:
    # The values are our own HMAC hex digests (pii.lookup_hash): nothing in them needs quoting.
    return "{" + ",".join(values) + "}"


def _column(field: Any) -> str:
    return str(field.column)


def copy_escape(value: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return are escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def writer_for(org: OrgUnit, *, dry_run: bool) -> LearnerWriter:
    if dry_run:
        return DryRunWriter(org)
    if connection.vendor == "postgresql":
        return CopyWriter(org)
    return OrmWriter(org)
