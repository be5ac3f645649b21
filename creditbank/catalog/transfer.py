"""Import and export of the catalog as CSV (UTF-8 with BOM) and XLSX.

An import row whose code is new creates a published item (a draft with ``draft``); a row whose
code exists with the same content is a duplicate; with changed content it makes a new version
(``updated``). An unknown issuer code creates the issuer. Export writes the current published
items in the same columns, so that exporting and importing again changes nothing.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from creditbank.audit import services as audit
from creditbank.catalog import services
from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.errors import CatalogErrorCode
from creditbank.catalog.models import CatalogItem
from creditbank.core.errors import ApplicationError, Conflict
from creditbank.imports.readers import Column, Source, Table, TableRow, open_table

CATALOG_COLUMNS = (
    Column("code", ("成果编码", "code"), required=True),
    Column("name", ("成果名称", "name"), required=True),
    Column("type", ("成果类型", "type"), required=True),
    Column("issuer_code", ("颁发机构编码", "issuer_code"), required=True),
    Column("issuer_name", ("颁发机构名称", "issuer_name")),
    Column("level", ("等级", "level")),
    Column("credits", ("学分", "credits")),
    Column("hours", ("学时", "hours")),
    Column("validity_years", ("有效期(年)", "validity_years")),
)
_FIELD_COLUMNS = {
    "code": "成果编码",
    "name": "成果名称",
    "type": "成果类型",
    "issuer_code": "颁发机构编码",
    "issuer_name": "颁发机构名称",
    "level": "等级",
    "credits": "学分",
    "hours": "学时",
    "validity_years": "有效期(年)",
}
_FORMULA_START = "=+-@"
AUDIT_ACTION = "catalog.import"


@dataclass(frozen=True)
class RowError:
    line: int
    errors: tuple[dict[str, str], ...]

    @property
    def reasons(self) -> list[str]:
        return [
            f"{_FIELD_COLUMNS[item['field']]}：{item['message']}"
            if item.get("field") in _FIELD_COLUMNS
            else item["message"]
            for item in self.errors
        ]


@dataclass
class ImportOutcome:
    """``rows == imported + updated + duplicates + errors`` (counts that would be, in a dry run)."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    errors: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    strict: bool = False
    error_sample: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


class _Rollback(Exception):
    """Leave the import's transaction without storing anything (dry run, strict with errors)."""


def _unquote(value: str) -> str:
    # Export writes "'=..." for a cell a spreadsheet would run as a formula; read it back as written.
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


def _data(table: Table, row: TableRow) -> services.ItemData:
    return services.ItemData(
        code=table.cell(row, "code"),
        name=_unquote(table.cell(row, "name")),
        type=table.cell(row, "type"),
        issuer_code=table.cell(row, "issuer_code"),
        issuer_name=_unquote(table.cell(row, "issuer_name")),
        level=table.cell(row, "level") or None,
        credits=table.cell(row, "credits") or None,
        hours=table.cell(row, "hours") or None,
        validity_years=table.cell(row, "validity_years") or None,
    )


def _import_row(
    data: services.ItemData,
    current: dict[str, CatalogItem],
    lookups: services.Lookups,
    outcome: ImportOutcome,
    *,
    draft: bool,
    actor: Any,
) -> None:
    resolved = services.resolve(data, lookups)
    existing = current.get(resolved.code)
    if existing is None:
        item = services.create_item(data, actor=actor, publish=not draft, lookups=lookups)
        current[item.code] = item
        outcome.imported += 1
        return
    if existing.status == ItemStatus.DRAFT and actor is not None and not services.may_edit_draft(actor, existing):
        # Another centre's draft: answer as for any taken code, without comparing its content.
        message = _("The code {code} is already in the catalog.").format(code=existing.code)
        raise Conflict(
            message,
            code=CatalogErrorCode.DUPLICATE_CODE,
            details=[{"field": "code", "code": CatalogErrorCode.DUPLICATE_CODE, "message": str(message)}],
        )
    if existing.status == ItemStatus.RETIRED:
        raise Conflict(
            _("This catalog item is retired."),
            code=CatalogErrorCode.ITEM_RETIRED,
            details=[
                {
                    "field": "code",
                    "code": CatalogErrorCode.ITEM_RETIRED,
                    "message": str(_("This catalog item is retired.")),
                }
            ],
        )
    if resolved.issuer is not None and resolved.content() == services.content_of(existing):
        outcome.duplicates += 1
        return
    item = services.update_item(existing, data, actor=actor, lookups=lookups, carry_over=True)
    if item.status == ItemStatus.DRAFT and not draft:
        item = services.publish_item(item, actor=actor)
    current[item.code] = item
    outcome.updated += 1


def run_catalog_import(
    source: Source,
    *,
    filename: str | None = None,
    draft: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    on_row_error: Callable[[RowError], None] | None = None,
    actor: Any = None,
) -> ImportOutcome:
    """Import a catalog file. ``actor`` None is the command line (a system operator); a console
    user needs the management centre's ``catalog.publish`` to publish, ``catalog.propose`` for
    drafts. ``FileRefused`` for a file that cannot be read as a whole; with ``dry_run`` or
    ``strict`` and a bad row nothing is stored."""
    started = time.perf_counter()
    if actor is not None and draft:
        services.require_propose(actor)
    elif actor is not None:
        services.require_publish(actor)
    name = filename or (str(source) if isinstance(source, str | Path) else getattr(source, "name", "")) or ""
    outcome = ImportOutcome(dry_run=dry_run, strict=strict)
    with open_table(source, filename=name, columns=CATALOG_COLUMNS) as table:
        try:
            with transaction.atomic():
                lookups = services.Lookups()
                current = {item.code: item for item in CatalogItem.objects.filter(is_current=True)}
                for row in table.rows():
                    outcome.rows += 1
                    try:
                        with transaction.atomic():
                            _import_row(_data(table, row), current, lookups, outcome, draft=draft, actor=actor)
                    except ApplicationError as error:
                        details = error.details or [{"field": "", "code": error.code, "message": error.message}]
                        row_error = RowError(line=row.line, errors=tuple(details))
                        outcome.errors += 1
                        if len(outcome.error_sample) < 100:
                            outcome.error_sample.append({"line": row.line, "errors": list(details)})
                        if on_row_error is not None:
                            on_row_error(row_error)
                        lookups = services.Lookups()  # an issuer created in the rolled-back row is gone
                if dry_run or (strict and outcome.errors):
                    raise _Rollback
                audit.record(
                    actor=actor,
                    action=AUDIT_ACTION,
                    object_type="catalog.import",
                    object_repr=Path(name).name[:200],
                    after={**outcome.as_json(), "draft": draft, "strict": strict},
                )
        except _Rollback:
            pass
    if strict and outcome.errors:
        outcome.imported = outcome.updated = 0
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- export ---------------------------------------------------------------------------------


def export_rows() -> Iterator[list[Any]]:
    """The header and one row per current published item, in the import columns."""
    yield [column.label for column in CATALOG_COLUMNS]
    items = (
        CatalogItem.objects.filter(is_current=True, status=ItemStatus.PUBLISHED)
        .select_related("outcome_type", "issuer", "level")
        .order_by("code")
    )
    for item in items.iterator(chunk_size=2000):
        yield [
            item.code,
            item.name,
            item.outcome_type.name,
            item.issuer.code,
            item.issuer.name,
            item.level.number if item.level is not None else "",
            str(item.credits),
            item.learning_hours if item.learning_hours is not None else "",
            item.validity_years if item.validity_years is not None else "",
        ]


def _csv_cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text and text[0] in _FORMULA_START else text


def export_csv(rows: Iterable[list[Any]] | None = None) -> bytes:
    """UTF-8 with BOM, as Excel expects; formula-like cells written as text (CSV injection)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows if rows is not None else export_rows():
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(rows: Iterable[list[Any]] | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Learning-outcome catalog")))
    for row in rows if rows is not None else export_rows():
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
