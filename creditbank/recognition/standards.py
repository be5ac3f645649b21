"""Importing mutual-recognition standards and their mapping tables (互认标准及成果对照表) from CSV
or XLSX, for ``creditbank import-recognition-standard``.

The contract of every import (DESIGN.md): every valid row is stored, every bad row reported with
its line and reasons, a row whose mapping is already stored as it is, or repeated in the file, is
a duplicate; ``strict`` stores nothing when any row is bad; one transaction. A file holds one or
several standards (rows grouped by 标准编号). A mapping to an unknown, unpublished or retired
catalog item is a row error. Mapping tables are small (hundreds of rows): the file is read whole,
then checked with one query for the standards, one for the mappings and one for the items.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from creditbank.audit import services as audit
from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.models import CatalogItem
from creditbank.core import validators
from creditbank.core.errors import ValidationFailed
from creditbank.imports import values
from creditbank.imports.readers import Column, Source, TableRow, open_table
from creditbank.imports.services import ImportOutcome, RowError, row_error, run_once, source_name
from creditbank.orgs.models import Region
from creditbank.recognition.choices import StandardStatus
from creditbank.recognition.errors import RecognitionErrorCode as Code
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard

STANDARD_COLUMNS: tuple[Column, ...] = (
    Column("standard_code", ("标准编号", "standard_code", "standard code", "standard"), required=True),
    Column("standard_name", ("标准名称", "standard_name", "standard name"), required=True),
    Column("region", ("对方地区", "partner_region", "region", "对方地区代码"), required=True),
    Column("partner", ("对方机构", "partner", "partner_name", "对方学分银行"), required=True),
    Column("partner_code", ("对方成果编码", "partner_code", "partner code"), required=True),
    Column("partner_name", ("对方成果名称", "partner_outcome_name", "partner outcome name"), required=True),
    Column("item_code", ("本方成果编码", "item_code", "item code", "本方名录编码"), required=True),
    Column("note", ("备注", "note")),
    Column("credit_factor", ("学分系数", "credit_factor", "credit factor")),
    Column("fixed_credits", ("认定学分", "fixed_credits", "fixed credits")),
)
STANDARD_LABELS: Mapping[str, str] = {column.key: column.label for column in STANDARD_COLUMNS}
AUDIT_ACTION = "recognition.import_standard"
MAX_FACTOR = Decimal("10")


@dataclass
class StandardImportResult(ImportOutcome):
    """``ImportOutcome`` plus mappings changed in place (``updated``) and the standards touched."""

    updated: int = 0
    standards: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "updated": self.updated, "standards": self.standards}


@dataclass
class _Mapping:
    line: int
    cells: list[str]
    standard_code: str
    standard_name: str
    region: str
    partner: str
    partner_code: str
    partner_name: str
    item_code: str
    note: str
    credit_factor: Decimal | None
    fixed_credits: Decimal | None
    errors: list[dict[str, str]]

    def values(self) -> tuple[Any, ...]:
        return (self.partner_name, self.item_code, self.credit_factor, self.fixed_credits, self.note)


def normalize_partner_code(value: str) -> str:
    """Partner codes compared as the catalog compares its own: full-width folded, no spaces, capitals."""
    return values.normalize_code(value)


def _factor(text: str) -> Decimal | None:
    text = validators.normalize_text(text)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("-1")
    if not number.is_finite() or number < 0 or number > MAX_FACTOR or number != number.quantize(Decimal("0.01")):
        raise values.CellError(
            Code.CREDITS_FORMAT, _("A credit factor is a number from 0 to 10 with at most two decimals.")
        )
    return number.quantize(Decimal("0.01"))


def _read(table: Any, row: TableRow) -> _Mapping:
    def cell(key: str) -> str:
        return validators.normalize_text(table.cell(row, key))

    errors: list[dict[str, str]] = []
    standard_code = values.normalize_code(cell("standard_code"))
    if not standard_code:
        errors.append(row_error("standard_code", Code.STANDARD_REQUIRED, _("The standard number is required.")))
    elif len(standard_code) > 64:
        errors.append(
            row_error("standard_code", Code.STANDARD_REQUIRED, _("A standard number has at most 64 characters."))
        )
    region = ""
    try:
        region = validators.validate_region_code(cell("region"))
    except ValidationFailed as exc:
        errors.append(row_error("region", exc.code, exc.message))
    partner_code = normalize_partner_code(cell("partner_code"))
    if not partner_code:
        errors.append(
            row_error("partner_code", Code.PARTNER_CODE_REQUIRED, _("The partner's outcome code is required."))
        )
    elif len(partner_code) > 64:
        errors.append(
            row_error("partner_code", Code.PARTNER_CODE_REQUIRED, _("An outcome code has at most 64 characters."))
        )
    partner_name = cell("partner_name")
    if not partner_name:
        errors.append(
            row_error("partner_name", Code.PARTNER_NAME_REQUIRED, _("The partner's outcome name is required."))
        )
    item_code = values.normalize_code(cell("item_code"))
    if not item_code:
        errors.append(row_error("item_code", Code.ITEM_REQUIRED, _("Our catalog item code is required.")))
    factor = fixed = None
    try:
        factor = _factor(table.cell(row, "credit_factor"))
    except values.CellError as exc:
        errors.append(row_error("credit_factor", exc.code, exc.message))
    try:
        fixed = values.parse_credits(table.cell(row, "fixed_credits"))
    except values.CellError as exc:
        errors.append(row_error("fixed_credits", exc.code, exc.message))
    return _Mapping(
        line=row.line,
        cells=list(row.cells),
        standard_code=standard_code,
        standard_name=cell("standard_name")[:200],
        region=region,
        partner=cell("partner")[:200],
        partner_code=partner_code,
        partner_name=partner_name[:200],
        item_code=item_code,
        note=cell("note")[:2000],
        credit_factor=factor,
        fixed_credits=fixed,
        errors=errors,
    )


def _item_problem(code: str, status: str | None) -> dict[str, str] | None:
    if status is None:
        return row_error("item_code", Code.ITEM_UNKNOWN, _("Unknown catalog item {code}.").format(code=code))
    if status == ItemStatus.RETIRED:
        return row_error("item_code", Code.ITEM_RETIRED, _("The catalog item {code} is retired.").format(code=code))
    if status != ItemStatus.PUBLISHED:
        return row_error(
            "item_code", Code.ITEM_NOT_PUBLISHED, _("The catalog item {code} is not published yet.").format(code=code)
        )
    return None


def run_standard_import(
    source: Source,
    *,
    filename: str | None = None,
    actor: Any = None,
    dry_run: bool = False,
    strict: bool = False,
    draft: bool = False,
    on_row_error: Callable[[RowError], None] | None = None,
) -> StandardImportResult:
    """Create or update the standards of a file and their mapping tables. New standards are
    published (today) unless ``draft``. A standard's partner region never changes: a row that
    names another region for a stored standard is a row error (``standard_conflict``)."""
    started = time.perf_counter()
    name = source_name(source, filename)
    result = StandardImportResult(dry_run=dry_run, strict=strict)
    with open_table(source, filename=name, columns=STANDARD_COLUMNS) as table:
        result.encoding = table.encoding
        rows = [_read(table, row) for row in table.rows()]
    codes = {row.standard_code for row in rows if row.standard_code}
    regions = {row.region for row in rows if row.region}
    known_regions = set(Region.objects.filter(code__in=regions).values_list("code", flat=True))
    standards = {standard.code: standard for standard in RecognitionStandard.objects.filter(code__in=codes)}
    stored: dict[tuple[str, str], RecognitionMapping] = {
        (mapping.standard.code, mapping.partner_code): mapping
        for mapping in RecognitionMapping.objects.filter(standard__code__in=codes).select_related("standard")
    }
    items = dict(
        CatalogItem.objects.filter(code__in={row.item_code for row in rows if row.item_code}, is_current=True)
        .values_list("code", "status")
        .iterator()
    )
    firsts: dict[str, _Mapping] = {}
    seen: dict[tuple[str, str], _Mapping] = {}
    new: list[_Mapping] = []
    changed: list[_Mapping] = []
    for row in rows:
        result.rows += 1
        if row.region and row.region not in known_regions:
            row.errors.append(row_error("region", Code.REGION_UNKNOWN, _("Unknown region code.")))
        if row.item_code:
            problem = _item_problem(row.item_code, items.get(row.item_code))
            if problem is not None:
                row.errors.append(problem)
        if row.standard_code and row.region:
            existing = standards.get(row.standard_code)
            first = firsts.setdefault(row.standard_code, row)
            region_of_standard = existing.region_code if existing is not None else first.region
            if row.region != region_of_standard:
                row.errors.append(
                    row_error(
                        "region",
                        Code.STANDARD_CONFLICT,
                        _("Standard {code} belongs to region {region}; a new region needs a new standard.").format(
                            code=row.standard_code, region=region_of_standard
                        ),
                    )
                )
            if existing is None and (not row.standard_name or not row.partner):
                field_name = "standard_name" if not row.standard_name else "partner"
                row.errors.append(
                    row_error(field_name, "required", _("A new standard needs its name and the partner institution."))
                )
        key = (row.standard_code, row.partner_code)
        if not row.errors and key in seen:
            if seen[key].values() == row.values():
                result.duplicates += 1
                continue
            row.errors.append(
                row_error(
                    "partner_code",
                    Code.PARTNER_CODE_REPEATED,
                    _("The partner code {code} is mapped differently on line {line}.").format(
                        code=row.partner_code, line=seen[key].line
                    ),
                )
            )
        if row.errors:
            _report(result, row, on_row_error)
            continue
        seen[key] = row
        before = stored.get(key)
        if before is None:
            new.append(row)
        elif (
            before.partner_name,
            before.item_code,
            before.credit_factor,
            before.fixed_credits,
            before.note,
        ) == row.values():
            result.duplicates += 1
        else:
            changed.append(row)
    result.valid = len(new) + len(changed)
    result.standards = sorted({row.standard_code for row in (*new, *changed)} | (set(firsts) - set(standards)))

    def write() -> None:
        _write(new, changed, firsts, standards, stored, draft=draft)

    run_once(
        write,
        result,
        dry_run=dry_run,
        strict=strict,
        record=_logged(
            lambda: audit.record(
                actor=actor,
                action=AUDIT_ACTION,
                object_type="recognition.standard",
                object_id=",".join(result.standards)[:64],
                object_repr=Path(name).name[:200],
                after={**result.as_json(), "strict": strict, "draft": draft},
            )
        ),
    )
    if not (strict and result.errors):
        result.imported = len(new)
        result.updated = len(changed)
    result.seconds = time.perf_counter() - started
    return result


def _report(result: StandardImportResult, row: _Mapping, on_row_error: Callable[[RowError], None] | None) -> None:
    result.errors += 1
    error = RowError(line=row.line, cells=tuple(row.cells), errors=tuple(row.errors), labels=STANDARD_LABELS)
    if len(result.error_sample) < 200:
        result.error_sample.append(error.as_dict())
    if on_row_error is not None:
        on_row_error(error)


def _write(
    new: list[_Mapping],
    changed: list[_Mapping],
    firsts: dict[str, _Mapping],
    standards: dict[str, RecognitionStandard],
    stored: dict[tuple[str, str], RecognitionMapping],
    *,
    draft: bool,
) -> None:
    today = timezone.localdate()
    touched = {row.standard_code for row in (*new, *changed)}
    for code, first in firsts.items():
        if first.errors and code not in touched:
            continue
        standard = standards.get(code)
        if standard is None:
            standard = RecognitionStandard.objects.create(
                code=code,
                name=first.standard_name,
                partner_region_id=first.region,
                partner_name=first.partner,
                status=StandardStatus.DRAFT if draft else StandardStatus.PUBLISHED,
                published_on=None if draft else today,
            )
            standards[code] = standard
        elif code in touched:
            standard.name = first.standard_name or standard.name
            standard.partner_name = first.partner or standard.partner_name
            standard.version += 1
            standard.save(update_fields=["name", "partner_name", "version", "updated_at"])
    RecognitionMapping.objects.bulk_create(
        [
            RecognitionMapping(
                standard=standards[row.standard_code],
                partner_code=row.partner_code,
                partner_name=row.partner_name,
                item_code=row.item_code,
                credit_factor=row.credit_factor,
                fixed_credits=row.fixed_credits,
                note=row.note,
            )
            for row in new
        ],
        batch_size=500,
    )
    updates = []
    for row in changed:
        mapping = stored[(row.standard_code, row.partner_code)]
        mapping.partner_name, mapping.item_code, mapping.credit_factor, mapping.fixed_credits, mapping.note = (
            row.values()
        )
        mapping.updated_at = timezone.now()
        updates.append(mapping)
    RecognitionMapping.objects.bulk_update(
        updates, ["partner_name", "item_code", "credit_factor", "fixed_credits", "note", "updated_at"], batch_size=500
    )


def _logged(write: Callable[[], Any]) -> Callable[[], None]:
    """``run_once`` wants a callable that returns nothing; the audit service returns its row."""

    def record() -> None:
        write()

    return record
