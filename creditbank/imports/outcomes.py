"""Bulk deposit of learning outcomes (学习成果批量存入), for ``creditbank import-outcomes``, the
console and the institution push alike.

The contract is the learner import's (DESIGN.md): every valid row is stored, every bad row is
reported with its line and reasons, a row whose outcome is already stored — or repeated earlier
in the file — is a duplicate (not an error), ``strict`` stores nothing when any row is bad, and
the whole deposit is one transaction, so that a failure or a cancel leaves no rows.

A row names its learner by ID number (found through the keyed hash, so that the number itself is
never compared or stored here) and name, which must match; its catalog item by code, which must be
the current published version. The natural key (``archive.models.natural_key``) decides duplicates.
Per batch of rows there is one query for the learners not seen yet, one for the item codes not seen
yet, and one duplicate probe for the rows of learners whose archive is not empty; never one per row.
"""

from __future__ import annotations

import datetime as dt
import gc
import operator
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.identity import IdentityData, validate_identity
from creditbank.accounts.numbering import reserve_account_numbers
from creditbank.archive.choices import OutcomeSource
from creditbank.archive.models import natural_key
from creditbank.audit import services as audit
from creditbank.catalog.choices import ItemStatus
from creditbank.core import pii, validators
from creditbank.core.errors import Forbidden, ValidationFailed
from creditbank.imports import outcome_writers, progress, reports, values
from creditbank.imports.errors import ImportErrorCode
from creditbank.imports.outcome_writers import ItemRef, LearnerRef, OutcomeRow, OutcomeWriter
from creditbank.imports.readers import Column, Source, Table, TableRow, cell_text, open_table
from creditbank.imports.services import (
    ImportCancelled,
    ImportOutcome,
    RowError,
    batches,
    row_error,
    run_once,
    source_name,
)
from creditbank.orgs import permissions
from creditbank.orgs.models import OrgUnit

OUTCOME_COLUMNS: tuple[Column, ...] = (
    Column("id_number", ("证件号码", "id_number", "身份证号码", "身份证号", "id number"), required=True),
    Column("name", ("姓名", "name", "真实姓名"), required=True),
    Column("item_code", ("成果编码", "item_code", "item code", "成果代码", "名录编码"), required=True),
    Column("score", ("成绩", "score"), required=True),
    Column("achieved_on", ("取得日期", "achieved_on", "achieved on", "获得日期", "取得时间"), required=True),
    Column("certificate_no", ("证书编号", "certificate_no", "certificate no", "证书号", "证书号码"), required=True),
    Column("hours", ("学时", "hours")),
    Column("credits", ("学分", "credits")),
    # Read only with --create-learners, to open the accounts of people not found.
    Column("id_type", ("证件类型", "id_type", "id type")),
    Column("phone", ("手机号码", "phone", "手机号", "手机", "mobile")),
)
OUTCOME_LABELS: Mapping[str, str] = {column.key: column.label for column in OUTCOME_COLUMNS}
_KEYS = tuple(column.key for column in OUTCOME_COLUMNS)

BATCH_ROWS = 5000  # rows per look-up and per COPY chunk; tests lower it to see several batches
LEARNER_CACHE_SIZE = 300_000  # learners remembered across batches (about 150 bytes each)
VALUE_CACHE_SIZE = 200_000  # distinct spellings of ID numbers, codes, scores and dates remembered
ERROR_SAMPLE_SIZE = 200
AUDIT_ACTION = "imports.outcomes"
IMPORT_ACTION = "archive.import"
EXAMPLE_CODE = "NM-04-1"  # 茶叶加工技术（基础班） in the demo catalog
CREATE_LEARNERS_ACTION = "accounts.import"


@dataclass
class OutcomeImportResult(ImportOutcome):
    """``ImportOutcome`` plus the accounts opened for people not found (``--create-learners``)."""

    learners_created: int = 0


# --- checking one row -----------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """A row after its own cells are checked; the batch look-ups fill in the rest."""

    line: int
    source: TableRow
    errors: list[dict[str, str]] | None
    id_hash: str = ""
    id_number: str = ""
    name: str = ""  # as written; compared with the account's name through name_key
    code: str = ""
    score: str = ""
    achieved_on: dt.date | None = None
    certificate_no: str = ""
    hours: int | None = None
    credits: Any = None
    external_id: str | None = None


_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", ".": "·"})


def name_key(name: str) -> str:
    """Names compared as a person reads them: full-width folded, no spaces, any middle dot, any case."""
    if not name.isascii():
        name = unicodedata.normalize("NFKC", name)
    return "".join(name.split()).translate(_DOTS).casefold()


def _err(field_name: str, code: str, message: str) -> dict[str, str]:
    return row_error(field_name, code, message)


class _RowChecker:
    """Each cell of a row, on its own: what needs no database."""

    def __init__(
        self, index: Mapping[str, int], *, today: dt.date, external_ids: Mapping[int, str | None] | None = None
    ) -> None:
        self.today = today
        self.external_ids = external_ids
        self.positions = tuple(index.get(key) for key in _KEYS)
        present = [value for value in self.positions[:8] if value is not None]
        self.width = max(present) + 1 if present else 0
        # With the eight outcome columns present and the row long enough, one C call picks them.
        self.pick = operator.itemgetter(*self.positions[:8]) if len(present) == 8 else None
        self._ids: dict[str, tuple[str, str]] = {}
        self._codes: dict[str, str] = {}
        self._scores: dict[str, str] = {}
        self._dates: dict[str, dt.date] = {}

    def cells(self, cells: list[str]) -> tuple[str, ...]:
        if self.pick is not None and len(cells) >= self.width:
            return self.pick(cells)
        size = len(cells)
        return tuple(
            cells[position] if position is not None and position < size else "" for position in self.positions[:8]
        )

    def optional_cell(self, row: TableRow, key: str) -> str:
        position = self.positions[_KEYS.index(key)]
        return row.cells[position] if position is not None and position < len(row.cells) else ""

    def check(self, row: TableRow) -> _Row:
        id_raw, name_raw, code_raw, score_raw, date_raw, cert_raw, hours_raw, credits_raw = self.cells(row.cells)
        checked = _Row(row.line, row, None)
        if "=" in id_raw + name_raw + code_raw + score_raw + date_raw + cert_raw + hours_raw + credits_raw:
            formulas = self._formulas(
                (id_raw, name_raw, code_raw, score_raw, date_raw, cert_raw, hours_raw, credits_raw)
            )
            if formulas:
                checked.errors = formulas
                return checked
        errors: list[dict[str, str]] | None = None
        # Values repeat across a file (a learner's number, dates, grades, codes): each distinct
        # spelling is checked once. The caches are bounded; a bad value is never cached.
        identity = self._ids.get(id_raw)
        if identity is None:
            identity = self._identify(id_raw)
        if row.lossy and self.positions[0] in row.lossy:
            errors = [
                _err(
                    "id_number",
                    ImportErrorCode.ID_NUMBER_LOST_DIGITS,
                    _(
                        "The ID number was stored as a number, so Excel dropped its last digits (and any X); format the column as text and type it again."
                    ),
                )
            ]
        elif not identity[0]:
            errors = [_err("id_number", "id_number_required", _("ID number is required."))]
        else:
            checked.id_number, checked.id_hash = identity
        if not name_raw or name_raw.isspace():
            errors = (errors or []) + [_err("name", "name_required", _("Name is required."))]
        checked.name = name_raw
        code = self._codes.get(code_raw)
        if code is None:
            code = self._remember(self._codes, code_raw, values.normalize_code(code_raw))
        if not code:
            errors = (errors or []) + [
                _err("item_code", ImportErrorCode.ITEM_REQUIRED, _("The item code is required."))
            ]
        checked.code = code
        score = self._scores.get(score_raw)
        if score is None:
            try:
                score = self._remember(self._scores, score_raw, values.parse_score(score_raw))
            except values.CellError as exc:
                errors = (errors or []) + [_err("score", exc.code, exc.message)]
        checked.score = score or ""
        day = self._dates.get(date_raw)
        if day is None:
            try:
                day = self._remember(self._dates, date_raw, values.parse_date(date_raw, today=self.today))
            except values.CellError as exc:
                errors = (errors or []) + [_err("achieved_on", exc.code, exc.message)]
        checked.achieved_on = day
        if cert_raw:
            certificate_no = values.normalize_certificate_no(cert_raw)
            if len(certificate_no) > 64:
                errors = (errors or []) + [
                    _err(
                        "certificate_no",
                        ImportErrorCode.CERTIFICATE_NO_TOO_LONG,
                        _("A certificate number has at most 64 characters."),
                    )
                ]
            checked.certificate_no = certificate_no
        if hours_raw:
            try:
                checked.hours = values.parse_hours(hours_raw)
            except values.CellError as exc:
                errors = (errors or []) + [_err("hours", exc.code, exc.message)]
        if credits_raw:
            try:
                checked.credits = values.parse_credits(credits_raw)
            except values.CellError as exc:
                errors = (errors or []) + [_err("credits", exc.code, exc.message)]
        if self.external_ids is not None:
            checked.external_id = self.external_ids.get(row.line)
        checked.errors = errors
        return checked

    def _identify(self, id_raw: str) -> tuple[str, str]:
        """The number as the accounts store it (validators.compact, capitals) and its lookup hash."""
        number = id_raw if len(id_raw) == 18 and id_raw.isascii() and id_raw.isalnum() else validators.compact(id_raw)
        number = number.upper()
        if not number:
            return "", ""
        return self._remember(self._ids, id_raw, (number, pii.lookup_hash(number)))

    @staticmethod
    def _remember(cache: dict[str, Any], raw: str, value: Any) -> Any:
        if len(cache) >= VALUE_CACHE_SIZE:
            cache.clear()
        cache[raw] = value
        return value

    def _formulas(self, cells: Sequence[str]) -> list[dict[str, str]]:
        # A formula is never evaluated: what a CSV holds is the formula's text, not its value.
        return [
            _err(key, ImportErrorCode.FORMULA_CELL, _("This cell holds a formula; type the value itself."))
            for key, cell in zip(_KEYS, cells, strict=False)
            if validators.normalize_text(cell).startswith("=")
        ]


# --- the pipeline ---------------------------------------------------------------------------


class _Deposit:
    """Runs rows through the checks, the batch look-ups and the writer; counts into ``result``."""

    def __init__(
        self,
        writer: OutcomeWriter,
        result: OutcomeImportResult,
        checker: _RowChecker,
        *,
        org: OrgUnit,
        strict: bool,
        create_learners: bool,
        on_row_error: Callable[[RowError], None] | None,
        on_row_done: Callable[[int, str, tuple[int, str] | None], None] | None = None,
    ) -> None:
        self.writer = writer
        self.result = result
        self.checker = checker
        self.org = org
        self.strict = strict
        self.create_learners = create_learners
        self.on_row_error = on_row_error
        self.on_row_done = on_row_done
        self.learners: dict[str, LearnerRef | None] = {}
        # Accounts this import opened: the look-up connection cannot see them until the commit.
        self.created: dict[str, LearnerRef] = {}
        self.items: dict[str, ItemRef | None] = {}
        # What this file has stored so far, so that a repeat is a duplicate: when rows are being
        # stored, a 64-bit fingerprint of each (learner, natural key), about 60 bytes a row (the
        # pairs themselves took about 190 MB for a million rows) - a fingerprint seen before is
        # then checked exactly against the rows stored (_own_repeats). A dry run, or a strict
        # import that may stop storing, keeps the pairs.
        self.exact = not writer.stores or strict
        self.seen: set[Any] = set()
        self.seen_external: set[tuple[int, str]] = set()
        self.new_phones: set[str] = set()
        self.storing = True

    def run(self, rows: Iterable[TableRow], *, job_id: int | None, phase: str, total: int) -> None:
        writer = self.writer
        writer.prepare(create_learners=self.create_learners)
        # The rows make no reference cycles, but a million small tuples make the cyclic collector
        # walk an ever larger heap; it runs once at the end instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for batch in batches(iter(rows), BATCH_ROWS):
                self.batch(batch)
                if job_id is not None:
                    progress.publish(job_id, phase=phase, processed=min(self.result.rows, total), total=total)
                    if progress.cancel_requested(job_id):
                        raise ImportCancelled()
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        finally:
            if collecting:
                gc.enable()

    def batch(self, batch: list[TableRow]) -> None:
        check = self.checker.check
        checked = [check(row) for row in batch]
        self._load_learners(checked)
        self._load_items(checked)
        if self.create_learners:
            self._open_accounts(checked)
        candidates: list[tuple[_Row, LearnerRef, ItemRef, str, dt.date]] = []
        learners, items = self.learners, self.items
        closed, published = LearnerStatus.CLOSED, ItemStatus.PUBLISHED
        for item in checked:
            learner = learners.get(item.id_hash) if item.id_hash else None
            catalog_item = items.get(item.code) if item.code else None
            day = item.achieved_on
            if (
                item.errors is None
                and learner is not None
                and catalog_item is not None
                and day is not None
                and learner.name == item.name  # the common case first; _problems says the rest
                and learner.status != closed
                and catalog_item.status == published
            ):
                certificate_no = item.certificate_no  # normalised, capitals: archive.models.natural_key
                key = f"{catalog_item.code}|c:{certificate_no}" if certificate_no else f"{catalog_item.code}|d:{day}"
                candidates.append((item, learner, catalog_item, key, day))
                continue
            problems = self._problems(item, learner, catalog_item)
            if problems or learner is None or catalog_item is None or day is None:
                item.errors = problems
                continue
            key = natural_key(catalog_item.code, certificate_no=item.certificate_no, achieved_on=day)
            candidates.append((item, learner, catalog_item, key, day))
        probe = [(learner.id, key) for _, learner, _, key, _ in candidates if learner.has_outcomes]
        stored = self.writer.existing_keys(probe) if probe else set()
        external = self._external_ids_stored(candidates)
        own = self._own_repeats(candidates)
        valid: list[OutcomeRow] = []
        result = self.result
        done = self.on_row_done
        seen, exact = self.seen, self.exact
        in_batch: set[tuple[int, str]] = set()
        position = 0
        for item in checked:
            if item.errors:
                self._report(item)
                if done is not None:
                    done(item.line, "error", None)
                continue
            row, learner, item_ref, key, achieved_on = candidates[position]
            position += 1
            pair = (learner.id, key)
            if (
                (pair in seen if exact else (pair in in_batch or pair in own))
                or pair in stored
                or (row.external_id is not None and self._external_repeat(pair[0], row.external_id, external))
            ):
                result.duplicates += 1
                if done is not None:
                    done(row.line, "duplicate", pair)
                continue
            if exact:
                seen.add(pair)
            else:
                seen.add(hash(pair))
                in_batch.add(pair)
            valid.append(
                OutcomeRow(
                    learner.id,
                    item_ref,
                    row.score,
                    achieved_on,
                    row.certificate_no,
                    item_ref.hours if row.hours is None else row.hours,
                    item_ref.credits if row.credits is None else row.credits,
                    key,
                    row.external_id,
                )
            )
            if done is not None:
                done(row.line, "stored", pair)
        result.rows += len(checked)
        result.valid += len(valid)
        if self.strict and result.errors:
            self.storing = False  # nothing will be kept: stop writing, go on reporting
        if self.storing and valid:
            self.writer.write(valid)
            result.imported += len(valid)

    def _own_repeats(self, candidates: list[tuple[_Row, LearnerRef, ItemRef, str, dt.date]]) -> set[tuple[int, str]]:
        """Of the pairs whose fingerprint an earlier batch stored, those really stored (the rest
        are fingerprint collisions, one in 10**7 for a million rows): one query, rarely."""
        if self.exact:
            return set()
        fingerprints = self.seen
        suspects = [
            (learner.id, key) for _, learner, _, key, _ in candidates if hash((learner.id, key)) in fingerprints
        ]
        return self.writer.own_keys(suspects) if suspects else set()

    # --- look-ups ---------------------------------------------------------------------------

    def _load_learners(self, checked: list[_Row]) -> None:
        learners = self.learners
        wanted = {item.id_hash for item in checked if item.id_hash and item.id_hash not in learners}
        if not wanted:
            return
        if len(learners) + len(wanted) > LEARNER_CACHE_SIZE:
            learners.clear()
            learners.update(self.created)
            wanted = {item.id_hash for item in checked if item.id_hash and item.id_hash not in learners}
        found = self.writer.find_learners(sorted(wanted))
        for id_hash in wanted:
            learners[id_hash] = found.get(id_hash)

    def _load_items(self, checked: list[_Row]) -> None:
        items = self.items
        wanted = {item.code for item in checked if item.code and item.code not in items}
        if not wanted:
            return
        found = self.writer.find_items(sorted(wanted))
        for code in wanted:
            items[code] = found.get(code)

    def _problems(self, row: _Row, learner: LearnerRef | None, item: ItemRef | None) -> list[dict[str, str]]:
        """Every problem of a row at once: its cells', its learner's and its item's (a field
        whose cell is already wrong is not blamed twice)."""
        problems = list(row.errors or [])
        extra = self._learner_problems(row, learner) if row.id_hash else []
        if row.code:
            extra += self._item_problems(row, item)
        fields = {problem["field"] for problem in problems}
        return problems + [problem for problem in extra if problem["field"] not in fields]

    def _learner_problems(self, row: _Row, learner: LearnerRef | None) -> list[dict[str, str]]:
        if learner is None:
            return [self._not_found(row)]
        if learner.status == LearnerStatus.CLOSED:
            return [_err("id_number", ImportErrorCode.LEARNER_NOT_FOUND, _("The account of this learner is closed."))]
        if learner.name != row.name and name_key(learner.name) != name_key(row.name):
            return [
                _err(
                    "name",
                    ImportErrorCode.NAME_MISMATCH,
                    _("The name does not match the account with this ID number."),
                )
            ]
        return []

    def _not_found(self, row: _Row) -> dict[str, str]:
        # A number that is not even valid gets the validator's reason, which says what to fix.
        if len(row.id_number) == 18:
            try:
                validators.validate_resident_id(row.id_number)
            except ValidationFailed as exc:
                return dict(exc.details[0])
        return _err(
            "id_number",
            ImportErrorCode.LEARNER_NOT_FOUND,
            _("No learner has an account with this ID number; open the account first."),
        )

    @staticmethod
    def _item_problems(row: _Row, item: ItemRef | None) -> list[dict[str, str]]:
        if item is None:
            return [
                _err(
                    "item_code",
                    ImportErrorCode.ITEM_UNKNOWN,
                    _("Unknown catalog item {code}.").format(code=row.code),
                )
            ]
        if item.status == ItemStatus.RETIRED:
            return [
                _err(
                    "item_code",
                    ImportErrorCode.ITEM_RETIRED,
                    _("The catalog item {code} is retired.").format(code=row.code),
                )
            ]
        if item.status != ItemStatus.PUBLISHED:
            return [
                _err(
                    "item_code",
                    ImportErrorCode.ITEM_NOT_PUBLISHED,
                    _("The catalog item {code} is not published yet.").format(code=row.code),
                )
            ]
        return []

    def _external_ids_stored(
        self, candidates: list[tuple[_Row, LearnerRef, ItemRef, str, dt.date]]
    ) -> set[tuple[int, str]]:
        keys = [(learner.id, row.external_id) for row, learner, *_ in candidates if row.external_id is not None]
        return self.writer.existing_external_ids(keys) if keys else set()

    def _external_repeat(self, learner_id: int, external_id: str | None, stored: set[tuple[int, str]]) -> bool:
        if external_id is None:
            return False
        pair = (learner_id, external_id)
        if pair in stored or pair in self.seen_external:
            return True
        self.seen_external.add(pair)
        return False

    # --- opening accounts (--create-learners) ----------------------------------------------

    def _open_accounts(self, checked: list[_Row]) -> None:
        """People not found get a pending account at the import's org, from the row's name, ID
        number and (optional) ID type and phone, checked by the one identity validator."""
        learners = self.learners
        new: dict[str, tuple[_Row, IdentityData]] = {}
        for item in checked:
            if item.errors or not item.id_hash or learners.get(item.id_hash) is not None:
                continue
            if item.id_hash in new:
                continue
            source = item.source
            try:
                identity = validate_identity(
                    name=item.name,
                    id_number=item.id_number,
                    id_type=self.checker.optional_cell(source, "id_type"),
                    phone=self.checker.optional_cell(source, "phone"),
                    phone_required=False,
                )
            except ValidationFailed as exc:
                item.errors = list(exc.details)
                continue
            new[item.id_hash] = (item, identity)
        if not new:
            return
        phones = [identity.phone_hash for _, identity in new.values() if identity.phone_hash]
        in_use = self.writer.phones_in_use(phones) if phones else set()
        accepted: list[IdentityData] = []
        for item, identity in new.values():
            if identity.phone_hash and (identity.phone_hash in in_use or identity.phone_hash in self.new_phones):
                item.errors = [
                    _err(
                        "phone",
                        ImportErrorCode.PHONE_IN_USE,
                        _("This mobile number is already used by another learner."),
                    )
                ]
                continue
            if identity.phone_hash:
                self.new_phones.add(identity.phone_hash)
            accepted.append(identity)
        if not accepted:
            return
        numbers = reserve_account_numbers(len(accepted)) if self.writer.stores else [""] * len(accepted)
        keys = self.writer.create_learners(accepted, numbers)
        self.result.learners_created += len(accepted)
        for identity, key in zip(accepted, keys, strict=True):
            created = LearnerRef(key, identity.name, LearnerStatus.PENDING, False)
            learners[identity.id_number_hash] = created
            self.created[identity.id_number_hash] = created

    def _report(self, item: _Row) -> None:
        self.result.errors += 1
        error = RowError(
            line=item.line, cells=tuple(item.source.cells), errors=tuple(item.errors or ()), labels=OUTCOME_LABELS
        )
        if len(self.result.error_sample) < ERROR_SAMPLE_SIZE:
            self.result.error_sample.append(error.as_dict())
        if self.on_row_error is not None:
            self.on_row_error(error)


def _check_permission(actor: Any, org: OrgUnit, *, create_learners: bool) -> None:
    if actor is None:
        return
    if not permissions.can(actor, IMPORT_ACTION, org.path):
        raise Forbidden(code="role_cannot_archive_import")
    if create_learners and not permissions.can(actor, CREATE_LEARNERS_ACTION, org.path):
        raise Forbidden(code="role_cannot_accounts_import")


def run_outcome_import(
    source: Source,
    *,
    org: OrgUnit,
    filename: str | None = None,
    actor: Any = None,
    strict: bool = False,
    dry_run: bool = False,
    create_learners: bool = False,
    job_id: int | None = None,
    on_row_error: Callable[[RowError], None] | None = None,
    table: Table | None = None,
) -> OutcomeImportResult:
    """Deposit the outcomes of a CSV or XLSX file, on behalf of ``org`` (the depositing org).

    ``actor`` None means the command line (a system operator); otherwise the actor needs
    ``archive.import`` on ``org`` (and ``accounts.import`` with ``create_learners``). Learners may
    live anywhere in the network: a university deposits for students whose accounts are elsewhere.
    With ``dry_run`` nothing is written; with ``strict`` nothing is stored when any row is bad; with
    ``job_id`` progress is published and a cancel honoured after every batch. Raises
    ``FileRefused`` for a file that cannot be read, ``ImportCancelled`` when cancelled; either way
    nothing is stored.
    """
    started = time.perf_counter()
    _check_permission(actor, org, create_learners=create_learners)
    name = source_name(source, filename)
    opened = table or open_table(source, filename=name, columns=OUTCOME_COLUMNS)
    result = OutcomeImportResult(dry_run=dry_run, strict=strict, encoding=opened.encoding)
    writer = outcome_writers.writer_for(org, dry_run=dry_run, import_job_id=job_id)
    deposit = _Deposit(
        writer,
        result,
        _RowChecker(opened.index, today=timezone.localdate()),
        org=org,
        strict=strict,
        create_learners=create_learners,
        on_row_error=on_row_error,
    )
    total = max(opened.row_estimate, 1)
    phase = "preview" if dry_run else "import"
    with opened:
        run_once(
            lambda: deposit.run(opened.rows(), job_id=job_id, phase=phase, total=total),
            result,
            dry_run=dry_run,
            strict=strict,
            record=lambda: _audit(
                actor, org, result, name=name, job_id=job_id, strict=strict, create_learners=create_learners
            ),
        )
    if job_id is not None:
        progress.publish(job_id, phase=phase, processed=total, total=total)
    _final_counts(result, dry_run=dry_run, strict=strict)
    result.seconds = time.perf_counter() - started
    return result


def _final_counts(result: OutcomeImportResult, *, dry_run: bool, strict: bool) -> None:
    if strict and result.errors:
        result.imported = 0
        result.learners_created = 0
    elif dry_run:
        result.imported = result.valid


def _audit(
    actor: Any,
    org: OrgUnit,
    result: OutcomeImportResult,
    *,
    name: str,
    job_id: int | None,
    strict: bool,
    create_learners: bool,
) -> None:
    audit.record(
        actor=actor,
        action=AUDIT_ACTION,
        object_type="imports.outcomes",
        object_id=str(job_id or ""),
        object_repr=Path(name).name[:200],
        org_path=org.path,
        after={
            **result.as_json(),
            "org": org.code,
            "strict": strict,
            "create_learners": create_learners,
            "learners_created": result.learners_created,
        },
    )


# --- records (the institution push) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What became of one pushed record: ``stored`` (with the new outcome's id), ``duplicate``
    (already stored, or repeated in the call), ``error`` (with the reasons), or ``skipped`` (valid,
    but nothing was stored because another record was bad and ``strict`` was asked)."""

    index: int
    status: str
    outcome_id: int | None = None
    errors: tuple[dict[str, str], ...] = ()


RECORD_FIELDS = (*_KEYS[:8], "external_id")


@dataclass
class DepositResult:
    summary: OutcomeImportResult
    records: list[RecordResult] = field(default_factory=list)


def deposit_outcome_records(
    records: Sequence[Mapping[str, Any]],
    *,
    org: OrgUnit,
    actor: Any,
    source: str = OutcomeSource.INSTITUTION,
    strict: bool = False,
) -> DepositResult:
    """Validate and store a list of records (``id_number``, ``name``, ``item_code``, ``score``,
    ``achieved_on``, ``certificate_no``, optional ``hours``, ``credits`` and ``external_id``, the
    idempotency key) with exactly the rules of a file, in one transaction; one result per record,
    in order. A record whose ``external_id`` this org has already pushed for the same learner is a
    duplicate. For ``POST /api/v1/outcomes:batch``; the caller checks the record count."""
    started = time.perf_counter()
    _check_permission(actor, org, create_learners=False)
    index = {key: position for position, key in enumerate(_KEYS[:8])}
    rows = [_record_row(position, record) for position, record in enumerate(records)]
    result = OutcomeImportResult(strict=strict, encoding="records")
    outcomes: dict[int, RecordResult] = {}
    keys: dict[int, tuple[int, str]] = {}

    def on_error(error: RowError) -> None:
        outcomes[error.line] = RecordResult(error.line, "error", None, error.errors)

    def on_done(line: int, status: str, key: tuple[int, str] | None) -> None:
        if key is not None:
            keys[line] = key
            outcomes[line] = RecordResult(line, status)

    externals = {position: _external_id(record) for position, record in enumerate(records)}
    writer = outcome_writers.OrmOutcomeWriter(org, source=source)
    deposit = _Deposit(
        writer,
        result,
        _RowChecker(index, today=timezone.localdate(), external_ids=externals),
        org=org,
        strict=strict,
        create_learners=False,
        on_row_error=on_error,
        on_row_done=on_done,
    )
    with transaction.atomic():
        deposit.run(rows, job_id=None, phase="import", total=len(rows))
        if strict and result.errors:
            transaction.set_rollback(True)
        else:
            _audit(actor, org, result, name=f"{source}:{len(rows)}", job_id=None, strict=strict, create_learners=False)
        ids = _outcome_ids(list(keys.values())) if keys and not (strict and result.errors) else {}
    rolled_back = strict and result.errors > 0
    _final_counts(result, dry_run=False, strict=strict)
    result.seconds = time.perf_counter() - started
    answer = [
        RecordResult(
            line,
            "skipped" if rolled_back and found.status == "stored" else found.status,
            ids.get(keys[line]) if line in keys else None,
            found.errors,
        )
        for line, found in sorted(outcomes.items())
    ]
    return DepositResult(summary=result, records=answer)


def _cell(value: Any) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return cell_text(value)[0]


def _record_row(position: int, record: Mapping[str, Any]) -> TableRow:
    return TableRow(position, [_cell(record.get(key)) for key in _KEYS[:8]])


def _external_id(record: Mapping[str, Any]) -> str | None:
    value = validators.normalize_text(record.get("external_id"))
    return value[:64] or None


def _outcome_ids(keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    from creditbank.archive.models import Outcome

    found: dict[tuple[int, str], int] = {}
    learner_ids = sorted({learner_id for learner_id, _ in keys})
    wanted = {key for _, key in keys}
    for start in range(0, len(learner_ids), 900):
        rows = Outcome.objects.filter(
            learner_id__in=learner_ids[start : start + 900], natural_key__in=wanted
        ).values_list("learner_id", "natural_key", "pk")
        found.update({(learner_id, key): pk for learner_id, key, pk in rows})
    return found


# --- the template ---------------------------------------------------------------------------


def outcome_template() -> bytes:
    """The Excel template: the header row, one example row and a sheet of instructions."""
    from creditbank.accounts.demo_data import resident_id

    example = [resident_id("340104", dt.date(1990, 5, 17), 123), "张三", EXAMPLE_CODE, "优秀", "2024-05-17", "", "", ""]
    instructions = [
        _("How to fill in this template"),
        _("One outcome per row; keep the header row as it is. Columns marked required must be filled."),
        _("证件号码 and 姓名 (required): the learner's ID number and name; the learner must have an account."),
        _("成果编码 (required): the code of a published item of the learning-outcome catalog."),
        _("成绩: a score from 0 to 100, or a grade such as 优秀, 良好, 中等, 及格, 合格 or A; may be empty."),
        _("取得日期 (required): the date the outcome was achieved, such as 2024-05-17, 2024/5/17 or 2024年5月17日."),
        _("证书编号: the certificate number, if there is one."),
        _("学时 and 学分 (optional): when empty, the catalog item's hours and credits are used."),
        _(
            "An outcome already stored (the same item with the same certificate number, or on the same date) is skipped as a duplicate, not reported as an error."
        ),
        _("You may also upload CSV files in UTF-8 or GBK with the same header row."),
    ]
    return reports.template_workbook(OUTCOME_COLUMNS[:8], example, instructions, title=_("Outcomes"))
