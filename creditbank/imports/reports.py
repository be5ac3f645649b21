"""Excel files the console hands out: the import template and the error report of a job.

Both are written with openpyxl in write-only mode, which streams rows to a temporary file, so a
report of 200,000 bad rows does not sit in memory.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from creditbank.imports.readers import Column

# Columns that hold long digit strings: formatted as text so that Excel keeps every digit.
TEXT_COLUMNS = frozenset({"id_number", "phone", "region", "certificate_no", "item_code"})


def _workbook() -> Any:
    from openpyxl import Workbook

    return Workbook(write_only=True)


def _header_cells(sheet: Any, labels: Sequence[str]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        cells.append(cell)
    return cells


class ErrorReport:
    """Rows as the user wrote them, with their spreadsheet line and every reason, in one sheet.

    The workbook is created at the first bad row: a clean file leaves nothing half-written."""

    def __init__(self, headers: Sequence[str]) -> None:
        self.headers = list(headers)
        self.width = len(self.headers)
        self.count = 0
        self.workbook: Any = None
        self.sheet: Any = None

    def _start(self) -> None:
        self.workbook = _workbook()
        self.sheet = self.workbook.create_sheet(_("Rows with errors"))
        self.sheet.column_dimensions["A"].width = 8
        self.sheet.append(_header_cells(self.sheet, [_("Line"), *self.headers, _("Reasons")]))

    def add(self, line: int, cells: Sequence[str], reasons: Sequence[str]) -> None:
        if self.workbook is None:
            self._start()
        values = [self._text(value) for value in cells[: self.width]] + [""] * max(0, self.width - len(cells))
        self.sheet.append([line, *values, "；".join(reasons)])
        self.count += 1

    def _text(self, value: str) -> Any:
        # openpyxl turns a string starting with "=" into a formula: keep what the user wrote as text.
        if not value.startswith("="):
            return value
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.sheet, value=value)
        cell.data_type = "s"
        return cell

    def to_bytes(self) -> bytes:
        if self.workbook is None:
            self._start()
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


def template_workbook(
    columns: Sequence[Column], example: Sequence[str], instructions: Sequence[str], *, title: str | None = None
) -> bytes:
    """The header row, one example row with digits kept as text, and a sheet of instructions."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = _workbook()
    sheet = workbook.create_sheet(title or _("Learners"))
    for position, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = 24 if column.key in TEXT_COLUMNS else 14
    sheet.append(_header_cells(sheet, [column.label for column in columns]))
    row = []
    for column, value in zip(columns, example, strict=True):
        cell = WriteOnlyCell(sheet, value=value)
        if column.key in TEXT_COLUMNS:
            cell.number_format = "@"
        row.append(cell)
    sheet.append(row)

    notes = workbook.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 100
    for text in instructions:
        notes.append([text])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_filename(original: str, when: dt.datetime) -> str:
    stem = Path(original).stem[:80] or "import"
    return f"{stem}-errors-{when:%Y%m%d%H%M%S}.xlsx"
