"""Tabular files as Chinese offices write them: CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, and XLSX.

One reader for every bulk pipeline (learners now; catalog and outcomes later). It streams rows,
matches headers by their Chinese label or an English alias, and normalises every cell to text,
so that the importers never see ``3.0`` for ``3`` or a ``datetime`` for a date. A file that cannot
be read as a whole — wrong encoding, not a spreadsheet, a required column missing — is refused
before a single row is yielded (``FileRefused``), so that nothing is stored from it.

Line numbers are spreadsheet row numbers: the first row of the file is 1, whatever it holds.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext_lazy as _

from creditbank.core.errors import ValidationFailed
from creditbank.imports.errors import ImportErrorCode

CSV_EXTENSIONS = frozenset({".csv", ".txt"})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) container
_BLOCK = 1 << 20
# Excel keeps 15 significant digits: a longer integer typed into a number cell has lost digits.
_EXACT_LIMIT = 10**15
# What Excel writes into a CSV for a long number it shows as 3.40524E+17.
_SCIENTIFIC = re.compile(r"^\s*[+-]?\d+(?:\.\d+)?[eE]\+?\d+\s*$")
_HEADER_DECORATION = re.compile(r"(?:\(.*?\)|【.*?】|[*＊:：\s_\-])")


class FileRefused(ValidationFailed):
    """The whole file cannot be imported; ``code`` says why, ``details`` lists the specifics."""

    status = 422
    default_code = ImportErrorCode.NOT_A_SPREADSHEET


@dataclass(frozen=True, slots=True)
class Column:
    """A column an importer understands: its key, the header labels that name it, whether required."""

    key: str
    labels: tuple[str, ...]
    required: bool = False

    @property
    def label(self) -> str:
        return self.labels[0]


@dataclass(slots=True)
class TableRow:
    """One non-empty data row: its spreadsheet row number, every cell as text, and the indexes of
    cells whose number had already lost digits in Excel (``lossy``; ``None`` when there are none)."""

    line: int
    cells: list[str]
    lossy: frozenset[int] | None = None


def normalize_header(text: object) -> str:
    """``" 证件号码* "``, ``"证件号码（必填）"``, ``"ID Number"``, ``"id_number"`` → one comparable form."""
    value = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return _HEADER_DECORATION.sub("", value)


@dataclass
class Table:
    """An opened file: ``headers`` as written, ``index`` from column key to cell position,
    ``row_estimate`` an upper bound of the data rows (for progress and reserving numbers)."""

    kind: str
    encoding: str
    headers: list[str]
    index: dict[str, int]
    header_line: int
    row_estimate: int
    _rows: Iterator[TableRow] = field(repr=False)
    _close: Any = field(default=None, repr=False)

    def rows(self) -> Iterator[TableRow]:
        return self._rows

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cell(self, row: TableRow, key: str) -> str:
        position = self.index.get(key)
        if position is None or position >= len(row.cells):
            return ""
        return row.cells[position]


def _match_columns(headers: list[str], columns: Sequence[Column]) -> dict[str, int]:
    by_label: dict[str, str] = {}
    for column in columns:
        for label in column.labels:
            by_label[normalize_header(label)] = column.key
    index: dict[str, int] = {}
    duplicates: list[str] = []
    for position, header in enumerate(headers):
        key = by_label.get(normalize_header(header))
        if key is None:
            continue
        if key in index:
            duplicates.append(header)
            continue
        index[key] = position
    if duplicates:
        message = _("A column appears twice: {columns}.").format(columns="、".join(duplicates))
        raise FileRefused(
            message,
            code=ImportErrorCode.DUPLICATE_COLUMNS,
            details=[{"field": "file", "code": ImportErrorCode.DUPLICATE_COLUMNS, "message": str(message)}],
        )
    missing = [column for column in columns if column.required and column.key not in index]
    if missing:
        names = "、".join(column.label for column in missing)
        raise FileRefused(
            _("Required columns are missing: {columns}. Use the template's header row.").format(columns=names),
            code=ImportErrorCode.MISSING_COLUMNS,
            details=[
                {
                    "field": column.key,
                    "code": ImportErrorCode.MISSING_COLUMNS,
                    "message": str(_("Column “{column}” is missing.").format(column=column.label)),
                }
                for column in missing
            ],
        )
    return index


def _malformed() -> FileRefused:
    return _refusal(
        ImportErrorCode.NOT_A_SPREADSHEET,
        _("The file is not a well-formed CSV file (a cell is too long or a quote is not closed)."),
    )


def _refusal(code: str, message: Any) -> FileRefused:
    return FileRefused(message, code=code, details=[{"field": "file", "code": code, "message": str(message)}])


# --- opening ------------------------------------------------------------------------------------


Source = str | Path | IO[bytes]


def _binary(source: Source) -> tuple[IO[bytes], bool]:
    """A binary file positioned at 0, and whether we opened it (and must close it)."""
    if isinstance(source, str | Path):
        return open(source, "rb"), True
    source.seek(0)
    return source, False


def open_table(source: Source, *, filename: str, columns: Sequence[Column]) -> Table:
    """Open a CSV or XLSX file and check it as a whole; rows are read lazily from ``Table.rows()``.

    Raises ``FileRefused`` (codes in ``ImportErrorCode``) when the file cannot be used at all."""
    extension = Path(filename).suffix.lower()
    if extension not in CSV_EXTENSIONS | XLSX_EXTENSIONS:
        raise _refusal(
            ImportErrorCode.FILE_TYPE_UNSUPPORTED,
            _("Upload a .csv or .xlsx file (an .xls workbook must first be saved as .xlsx)."),
        )
    handle, owned = _binary(source)
    try:
        head = handle.read(8)
        handle.seek(0)
        if not head:
            raise _refusal(ImportErrorCode.FILE_EMPTY, _("The file is empty."))
        if extension in XLSX_EXTENSIONS:
            if not head.startswith(_ZIP_MAGIC):
                raise _refusal(ImportErrorCode.NOT_A_SPREADSHEET, _("This file is not an Excel .xlsx workbook."))
            table = _open_xlsx(handle, columns)
        else:
            if head.startswith(_ZIP_MAGIC):
                raise _refusal(
                    ImportErrorCode.XLSX_NAMED_CSV,
                    _("This file is an Excel workbook with a .csv name; rename it to .xlsx, or save it as CSV."),
                )
            if head.startswith(_OLE2_MAGIC):
                raise _refusal(
                    ImportErrorCode.NOT_A_SPREADSHEET,
                    _("This file is an old Excel .xls workbook, not a CSV file; save it as .xlsx or CSV."),
                )
            table = _open_csv(handle, columns, close=handle.close if owned else None)
            owned = False  # the table closes it
    except BaseException:
        if owned:
            handle.close()
        raise
    if owned:
        handle.close()
    return table


# --- CSV ----------------------------------------------------------------------------------------


def _detect_encoding(handle: IO[bytes]) -> tuple[str, int]:
    """UTF-8 (with or without BOM) when every byte decodes strictly, else GB18030 (which covers
    GBK and GB2312), else refused. Returns the encoding and the number of line feeds."""
    for encoding in ("utf-8-sig", "gb18030"):
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        newlines = 0
        try:
            while block := handle.read(_BLOCK):
                if b"\x00" in block:
                    raise _refusal(
                        ImportErrorCode.NOT_A_SPREADSHEET,
                        _("This file is not a text CSV file (it contains binary data)."),
                    )
                newlines += block.count(b"\n")
                text = decoder.decode(block)
                if _has_binary_controls(text):
                    raise _refusal(
                        ImportErrorCode.NOT_A_SPREADSHEET,
                        _("This file is not a text CSV file (it contains binary data)."),
                    )
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        handle.seek(0)
        return encoding, newlines
    raise _refusal(
        ImportErrorCode.ENCODING_UNKNOWN,
        _("The file's text encoding is not recognised. Save it as “CSV UTF-8” or as CSV in GBK/GB18030."),
    )


_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_binary_controls(text: str) -> bool:
    # A text file may hold a stray control character; a binary file holds many.
    found = _CONTROL.findall(text)
    return len(found) > max(8, len(text) // 1000)


def _scientific_cells(cells: Sequence[str]) -> frozenset[int] | None:
    found = frozenset(position for position, cell in enumerate(cells) if "+" in cell and _SCIENTIFIC.match(cell))
    return found or None


def _sniff_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else ","


def _open_csv(handle: IO[bytes], columns: Sequence[Column], *, close: Any) -> Table:
    encoding, newlines = _detect_encoding(handle)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    # The wrapper must not close a file it does not own (an upload) when it is collected.
    first = text.readline()
    text.seek(0)
    reader = csv.reader(text, delimiter=_sniff_delimiter(first), strict=False)
    header_line = 0
    headers: list[str] | None = None
    try:
        for cells in reader:
            header_line += 1
            if any(cell.strip() for cell in cells):
                headers = [cell.strip() for cell in cells]
                break
    except csv.Error:
        text.detach()
        if close:
            close()
        raise _malformed() from None
    if headers is None:
        text.detach()
        if close:
            close()
        raise _refusal(ImportErrorCode.FILE_EMPTY, _("The file has no header row and no data."))
    try:
        index = _match_columns(headers, columns)
    except FileRefused:
        text.detach()
        if close:
            close()
        raise

    def rows() -> Iterator[TableRow]:
        line = header_line
        try:
            yield from _data_rows(line)
        except csv.Error:
            # A cell over the csv module's limit (131,072 characters) or a broken quote: the file
            # is refused whole, and the import's transaction leaves nothing behind.
            raise _malformed() from None

    def _data_rows(line: int) -> Iterator[TableRow]:
        for cells in reader:
            line += 1
            joined = "".join(cells)  # one C call answers "empty?" and "any 3.4E+17?" for the row
            if not joined or joined.isspace():
                continue
            yield TableRow(line, cells, _scientific_cells(cells) if "+" in joined else None)

    def close_all() -> None:
        text.detach()
        if close:
            close()

    return Table(
        kind="csv",
        encoding="utf-8" if encoding == "utf-8-sig" else encoding,
        headers=headers,
        index=index,
        header_line=header_line,
        row_estimate=max(newlines + 1 - header_line, 0),
        _rows=rows(),
        _close=close_all,
    )


# --- XLSX ---------------------------------------------------------------------------------------


def cell_text(value: Any) -> tuple[str, bool]:
    """A cell as the text a person sees, and whether a number had lost digits (Excel's 15)."""
    if value is None:
        return "", False
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)), abs(value) >= _EXACT_LIMIT
        return format(value, ".15g"), False
    if isinstance(value, int):
        return str(value), abs(value) >= _EXACT_LIMIT
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat(), False
        return value.isoformat(sep=" ", timespec="seconds"), False
    if isinstance(value, dt.date | dt.time):
        return value.isoformat(), False
    return str(value), False


def _open_xlsx(handle: IO[bytes], columns: Sequence[Column]) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(handle)
        sheet = None
        for metadata in workbook.sheets_metadata:
            if str(metadata.visible).endswith("Visible") and str(metadata.typ).endswith("WorkSheet"):
                sheet = workbook.get_sheet_by_name(metadata.name)
                break
        if sheet is None:
            raise _refusal(ImportErrorCode.FILE_EMPTY, _("The workbook has no visible worksheet."))
        iterator = iter(sheet.iter_rows())
        end = sheet.end
    except FileRefused:
        raise
    except Exception:  # calamine raises its own error types for every kind of damage
        raise _refusal(
            ImportErrorCode.NOT_A_SPREADSHEET, _("This file is damaged or is not an Excel .xlsx workbook.")
        ) from None

    header_line = 0
    headers: list[str] | None = None
    for values in iterator:
        header_line += 1
        cells = [cell_text(value)[0].strip() for value in values]
        if any(cells):
            headers = cells
            break
    if headers is None:
        raise _refusal(ImportErrorCode.FILE_EMPTY, _("The file has no header row and no data."))
    index = _match_columns(headers, columns)

    def rows() -> Iterator[TableRow]:
        line = header_line
        for values in iterator:
            line += 1
            cells: list[str] = []
            lossy: set[int] | None = None
            for position, value in enumerate(values):
                if isinstance(value, str):
                    cells.append(value)
                    if "+" in value and _SCIENTIFIC.match(value):
                        lossy = (lossy or set()) | {position}
                    continue
                text, lost = cell_text(value)
                cells.append(text)
                if lost:
                    lossy = (lossy or set()) | {position}
            if not any(cell.strip() for cell in cells):
                continue
            yield TableRow(line, cells, frozenset(lossy) if lossy else None)

    total = (end[0] + 1) if end else header_line
    return Table(
        kind="xlsx",
        encoding="xlsx",
        headers=headers,
        index=index,
        header_line=header_line,
        row_estimate=max(total - header_line, 0),
        _rows=rows(),
        _close=None,
    )
