"""Where checked outcome rows go, and the batch look-ups the check needs (learners by ID-number
hash, catalog items by code, natural keys already stored): COPY on PostgreSQL, ``bulk_create``
elsewhere, nothing at all in a dry run.

Every look-up is one query per batch, never one per row. On PostgreSQL, when the import owns its
transaction, the look-ups run on a second connection, so that one ``COPY ... FROM STDIN`` streams
from the first row to the last (psycopg's queued writer sends it from a thread while this thread
checks the next batch); the second connection sees committed rows only, which is exactly what is
needed: nobody else can insert an outcome while our ``SHARE ROW EXCLUSIVE`` lock is held, and this
file's own rows are tracked in memory by the pipeline (see ``writers.py`` for the same design).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from creditbank.accounts.identity import IdentityData
from creditbank.accounts.models import Learner
from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.models import Outcome
from creditbank.catalog.models import CatalogItem
from creditbank.imports import writers
from creditbank.ledger import digests as ledger_digests
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger_services
from creditbank.orgs.models import OrgUnit

_LOOKUP_CHUNK = 900  # bound parameters per query on SQLite


class LearnerRef(NamedTuple):
    """What the check needs of a stored learner: its key, its name, and whether any outcome is
    stored for it at all (when none is, its rows need no duplicate probe)."""

    id: int
    name: str
    status: str
    has_outcomes: bool


class ItemRef(NamedTuple):
    """The current version of a catalog code."""

    id: int
    code: str
    status: str
    credits: Decimal
    hours: int | None


class OutcomeRow(NamedTuple):
    """One checked row, ready to store (a tuple: a million of them are made per file)."""

    learner_id: int
    item: ItemRef
    score: str
    achieved_on: dt.date
    certificate_no: str
    hours: int | None
    credits: Decimal
    natural_key: str
    external_id: str | None = None


class OutcomeWriter:
    """Base and dry run: the look-ups through the ORM, and nothing stored."""

    def __init__(self, org: OrgUnit, *, source: str = OutcomeSource.BULK, import_job_id: int | None = None) -> None:
        self.org = org
        self.source = source
        self.import_job_id = import_job_id
        self.written = 0
        self._fake_ids = 0

    @property
    def stores(self) -> bool:
        return False

    def prepare(self, *, create_learners: bool = False) -> None:
        """Called once inside the transaction, before the first look-up."""

    def find_learners(self, id_hashes: Sequence[str]) -> dict[str, LearnerRef]:
        found: dict[str, LearnerRef] = {}
        has_outcomes = Exists(Outcome.objects.filter(learner_id=OuterRef("pk")))
        for start in range(0, len(id_hashes), _LOOKUP_CHUNK):
            rows = (
                Learner.objects.filter(id_number_hash__in=id_hashes[start : start + _LOOKUP_CHUNK])
                .annotate(has_outcomes=has_outcomes)
                .values_list("id_number_hash", "pk", "name", "status", "has_outcomes")
            )
            for id_hash, pk, name, status, stored in rows:
                found[id_hash] = LearnerRef(pk, name, status, bool(stored))
        return found

    def find_items(self, codes: Sequence[str]) -> dict[str, ItemRef]:
        rows = CatalogItem.objects.filter(code__in=list(codes), is_current=True).values_list(
            "pk", "code", "status", "credits", "learning_hours"
        )
        return {code: ItemRef(pk, code, status, credits, hours) for pk, code, status, credits, hours in rows}

    def existing_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (learner, natural key) pairs are stored already."""
        found: set[tuple[int, str]] = set()
        by_learner: dict[int, list[str]] = {}
        for learner_id, key in keys:
            by_learner.setdefault(learner_id, []).append(key)
        learner_ids = list(by_learner)
        for start in range(0, len(learner_ids), _LOOKUP_CHUNK):
            chunk = learner_ids[start : start + _LOOKUP_CHUNK]
            wanted = {key for learner_id in chunk for key in by_learner[learner_id]}
            rows = Outcome.objects.filter(learner_id__in=chunk, natural_key__in=wanted).values_list(
                "learner_id", "natural_key"
            )
            found.update(pair for pair in rows if pair[1] in by_learner[pair[0]])
        return found

    def own_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which pairs are stored, this import's own rows included (on the import's connection)."""
        return OutcomeWriter.existing_keys(self, keys)

    def existing_external_ids(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which (learner, idempotency key) pairs this org has pushed already (institution push)."""
        found: set[tuple[int, str]] = set()
        learner_ids = sorted({learner_id for learner_id, _ in keys})
        wanted = {key for _, key in keys}
        for start in range(0, len(learner_ids), _LOOKUP_CHUNK):
            rows = Outcome.objects.filter(
                learner_id__in=learner_ids[start : start + _LOOKUP_CHUNK], org=self.org, external_id__in=wanted
            ).values_list("learner_id", "external_id")
            found.update((learner_id, key) for learner_id, key in rows if key is not None)
        return found

    def phones_in_use(self, phone_hashes: Sequence[str]) -> set[str]:
        return writers.LearnerWriter(self.org).existing([], phone_hashes)[1]

    def create_learners(self, identities: Sequence[IdentityData], account_numbers: Sequence[str]) -> list[int]:
        """Open pending accounts for these people; returns their keys (made up in a dry run)."""
        start = self._fake_ids
        self._fake_ids += len(identities)
        return [-(start + offset + 1) for offset in range(len(identities))]

    def write(self, rows: Sequence[OutcomeRow]) -> None:
        """Store one batch of checked rows."""

    def finish(self) -> None:
        """Called once after the last batch, still inside the transaction."""

    def abort(self) -> None:
        """Called when the import stops early (error or cancel), before the rollback."""

    def _outcome(self, row: OutcomeRow, now: dt.datetime) -> Outcome:
        return Outcome(
            learner_id=row.learner_id,
            item_id=row.item.id,
            item_code=row.item.code,
            org=self.org,
            org_path=self.org.path,
            source=self.source,
            status=OutcomeStatus.STORED,
            score=row.score,
            achieved_on=row.achieved_on,
            certificate_no=row.certificate_no,
            hours=row.hours,
            credits=row.credits,
            natural_key=row.natural_key,
            import_job_id=self.import_job_id,
            external_id=row.external_id,
            created_at=now,
            updated_at=now,
        )


class OrmOutcomeWriter(OutcomeWriter):
    """``bulk_create`` in batches (SQLite and any other backend). Every stored outcome gets its
    ``outcome.stored`` ledger leaf, prepared with its batch and appended by ``finish`` in the same
    transaction (``ledger.services.LeafBuffer``)."""

    def __init__(self, org: OrgUnit, *, source: str = OutcomeSource.BULK, import_job_id: int | None = None) -> None:
        super().__init__(org, source=source, import_job_id=import_job_id)
        self.ledger = ledger_services.LeafBuffer()
        self.digest = ledger_digests.StoredOutcomeDigester(org_id=org.pk, source=source)

    @property
    def stores(self) -> bool:
        return True

    def create_learners(self, identities: Sequence[IdentityData], account_numbers: Sequence[str]) -> list[int]:
        learners = writers.OrmWriter(self.org).write(identities, account_numbers)
        return [learner.pk for learner in learners]

    def write(self, rows: Sequence[OutcomeRow]) -> None:
        now = timezone.now()
        outcomes = [self._outcome(row, now) for row in rows]
        Outcome.objects.bulk_create(outcomes, batch_size=500)
        self._add_leaves(rows, [outcome.pk for outcome in outcomes])
        self.written += len(rows)

    def _add_leaves(self, rows: Sequence[OutcomeRow], ids: Sequence[int]) -> None:
        add, digest, event_type = self.ledger.add, self.digest, ledger_events.OUTCOME_STORED
        for row, pk in zip(rows, ids, strict=True):
            item = row.item
            learner_id = row.learner_id
            value = digest(
                learner_id,
                item.id,
                item.code,
                row.score,
                row.achieved_on,
                row.certificate_no,
                row.hours,
                row.credits,
                row.natural_key,
                row.external_id,
            )
            add(event_type, pk, learner_id, value)

    def finish(self) -> None:
        self.ledger.commit()

    def abort(self) -> None:
        self.ledger.discard()


class CopyOutcomeWriter(OrmOutcomeWriter):
    """``COPY ... FROM STDIN`` straight into the outcome table, look-ups on a second connection.
    The keys are taken from the table's sequence before each batch is sent (on the look-up
    connection), so that the ledger leaves can name them; the leaves are appended by ``finish``,
    once the outcome COPY is closed."""

    COLUMNS = (
        "id", "created_at", "updated_at", "learner", "item", "item_code", "org", "org_path", "source", "status",
        "score", "achieved_on", "certificate_no", "hours", "credits", "natural_key", "import_job", "external_id",
        "note",
    )  # fmt: skip

    def __init__(self, org: OrgUnit, *, source: str = OutcomeSource.BULK, import_job_id: int | None = None) -> None:
        super().__init__(org, source=source, import_job_id=import_job_id)
        meta = Outcome._meta
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(getattr(meta.get_field(name), "column", name))) for name in self.COLUMNS)
        self.stream = writers.CopyStream(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN")
        now = timezone.now().isoformat()
        self.prefix = f"{now}\t{now}\t"
        self.org_part = f"\t{org.pk}\t{_escape(org.path)}\t{source}\t{OutcomeStatus.STORED.value}\t"
        self.job_part = str(import_job_id) if import_job_id is not None else _NULL

    def prepare(self, *, create_learners: bool = False) -> None:
        # With accounts to open, the learner table is locked as the learner import locks it.
        tables = (Outcome._meta.db_table, Learner._meta.db_table) if create_learners else (Outcome._meta.db_table,)
        self.stream.start(*tables)

    # --- look-ups ---------------------------------------------------------------------------

    def _lookup_cursor(self) -> Any:
        if self.stream.probe_cursor is not None:
            return self.stream.probe_cursor
        self.stream.close_copy()  # inside an enclosing transaction the look-ups must see our own rows
        return None

    def own_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        self.stream.close_copy()  # the rows sent so far become visible to this connection
        return super().own_keys(keys)

    def find_learners(self, id_hashes: Sequence[str]) -> dict[str, LearnerRef]:
        cursor = self._lookup_cursor()
        if cursor is None:
            return super().find_learners(id_hashes)
        cursor.execute(_LEARNERS_SQL, [_hex_array(sorted(id_hashes))])
        rows = cursor.fetchall()
        return {id_hash: LearnerRef(pk, name, status, stored) for id_hash, pk, name, status, stored in rows}

    def find_items(self, codes: Sequence[str]) -> dict[str, ItemRef]:
        cursor = self._lookup_cursor()
        if cursor is None:
            return super().find_items(codes)
        cursor.execute(_ITEMS_SQL, [list(codes)])
        rows = cursor.fetchall()
        return {code: ItemRef(pk, code, status, credits, hours) for pk, code, status, credits, hours in rows}

    def existing_keys(self, keys: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
        if not keys:
            return set()
        cursor = self._lookup_cursor()
        if cursor is None:
            return super().existing_keys(keys)
        ordered = sorted(keys)
        cursor.execute(
            _EXISTING_SQL,
            ["{" + ",".join(str(learner_id) for learner_id, _ in ordered) + "}", _text_array(k for _, k in ordered)],
        )
        return {(learner_id, key) for learner_id, key in cursor.fetchall()}

    def phones_in_use(self, phone_hashes: Sequence[str]) -> set[str]:
        cursor = self._lookup_cursor()
        if cursor is None:
            return super().phones_in_use(phone_hashes)
        return writers.probe_hashes(cursor, [], phone_hashes)[1]

    # --- writing ----------------------------------------------------------------------------

    def create_learners(self, identities: Sequence[IdentityData], account_numbers: Sequence[str]) -> list[int]:
        self.stream.close_copy()  # the accounts are inserted on this connection, before their outcomes
        return super().create_learners(identities, account_numbers)

    def write(self, rows: Sequence[OutcomeRow]) -> None:
        ids = self._reserve_ids(len(rows))
        self.stream.send(writers.chunked(self._lines(rows, ids), 500))
        self._add_leaves(rows, ids)
        self.written += len(rows)

    def _reserve_ids(self, count: int) -> range:
        cursor = self._lookup_cursor()
        if cursor is not None:
            return writers.reserve_ids(cursor, _OUTCOME_TABLE, count)
        with connection.cursor() as own:
            return writers.reserve_ids(own, _OUTCOME_TABLE, count)

    def _lines(self, rows: Sequence[OutcomeRow], ids: Sequence[int]) -> Iterator[str]:
        prefix, org_part, job_part = self.prefix, self.org_part, self.job_part
        for row, pk in zip(rows, ids, strict=True):
            item = row.item
            certificate_no, key = row.certificate_no, row.natural_key
            if "\\" in key:  # the only free text in a row; COPY text format escapes backslashes
                certificate_no, key = _escape(certificate_no), _escape(key)
            yield (
                f"{pk}\t{prefix}{row.learner_id}\t{item.id}\t{item.code}{org_part}{row.score}\t{row.achieved_on.isoformat()}\t"
                f"{certificate_no}\t{_NULL if row.hours is None else row.hours}\t{row.credits}\t{key}\t{job_part}\t"
                f"{_NULL if row.external_id is None else _escape(row.external_id)}\t\n"
            )

    def finish(self) -> None:
        self.stream.finish()
        super().finish()  # the ledger leaves, now that the COPY is closed

    def abort(self) -> None:
        self.stream.abort()
        super().abort()


_LEARNER_TABLE = Learner._meta.db_table
_OUTCOME_TABLE = Outcome._meta.db_table
# One index probe per distinct hash (LATERAL ... LIMIT 1 keeps the planner from a sequential scan
# when statistics are stale mid-import); "has any outcome" is one more probe per learner, which
# spares the per-row duplicate probe for every learner with an empty archive.
_LEARNERS_SQL = f"""
SELECT found.id_number_hash, found.id, found.name, found.status,
       EXISTS (SELECT 1 FROM {_OUTCOME_TABLE} o WHERE o.learner_id = found.id)
FROM unnest(%s::varchar[]) AS wanted(hash)
CROSS JOIN LATERAL (SELECT id, id_number_hash, name, status FROM {_LEARNER_TABLE} WHERE id_number_hash = wanted.hash LIMIT 1) AS found
"""  # noqa: S608 - table names come from the models
_ITEMS_SQL = f"""
SELECT id, code, status, credits, learning_hours FROM {CatalogItem._meta.db_table}
WHERE code = ANY(%s) AND is_current
"""  # noqa: S608
_EXISTING_SQL = f"""
SELECT found.learner_id, found.natural_key
FROM unnest(%s::bigint[], %s::varchar[]) AS wanted(learner_id, natural_key)
CROSS JOIN LATERAL (
    SELECT learner_id, natural_key FROM {_OUTCOME_TABLE} o
    WHERE o.learner_id = wanted.learner_id AND o.natural_key = wanted.natural_key LIMIT 1
) AS found
"""  # noqa: S608
_NULL = "\\N"
_escape = writers.copy_escape
_hex_array = writers.hex_array


def _text_array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal of arbitrary text: every element double-quoted, with ``"`` and
    ``\\`` escaped (sending it as one string is far cheaper than binding 5,000 parameters)."""
    return "{" + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values) + "}"


def writer_for(
    org: OrgUnit, *, dry_run: bool, source: str = OutcomeSource.BULK, import_job_id: int | None = None
) -> OutcomeWriter:
    if dry_run:
        return OutcomeWriter(org, source=source, import_job_id=import_job_id)
    if connection.vendor == "postgresql":
        return CopyOutcomeWriter(org, source=source, import_job_id=import_job_id)
    return OrmOutcomeWriter(org, source=source, import_job_id=import_job_id)
