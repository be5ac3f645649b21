"""Building import files in every encoding and format a Chinese office produces."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from creditbank.accounts.demo_data import person

HEADER = ["姓名", "证件类型", "证件号码", "手机号码", "所属地区"]
_people = itertools.count(700_000)


def new_person() -> dict[str, str]:
    """A valid identity never used before in this test session (ID, phone and region in the DB)."""
    return person(next(_people), seed=11)


def row_of(data: dict[str, str], *, id_type: str = "居民身份证") -> list[str]:
    return [data["name"], id_type, data["id_number"], data["phone"], data["region"]]


def good_rows(count: int) -> list[list[str]]:
    return [row_of(new_person()) for _ in range(count)]


def bad_checksum(data: dict[str, str]) -> str:
    number = data["id_number"]
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def csv_bytes(rows: Iterable[Sequence[Any]], *, header: Sequence[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_csv(
    path: Path, rows: Iterable[Sequence[Any]], *, header: Sequence[str] = HEADER, encoding: str = "utf-8"
) -> Path:
    path.write_bytes(csv_bytes(rows, header=header, encoding=encoding))
    return path


def xlsx_bytes(rows: Iterable[Sequence[Any]], *, header: Sequence[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_xlsx(path: Path, rows: Iterable[Sequence[Any]], *, header: Sequence[str] = HEADER) -> Path:
    path.write_bytes(xlsx_bytes(rows, header=header))
    return path


OUTCOME_HEADER = ["证件号码", "姓名", "成果编码", "成绩", "取得日期", "证书编号", "学时", "学分"]


def outcome_row(
    learner: Any,
    item: Any,
    *,
    score: str = "86",
    achieved_on: str = "2024-05-17",
    certificate_no: str = "",
    hours: str = "",
    credits: str = "",
    name: str | None = None,
) -> list[str]:
    """One row of an outcome file for a stored learner and a catalog item."""
    code = item if isinstance(item, str) else item.code
    return [
        learner.id_number,
        learner.name if name is None else name,
        code,
        score,
        achieved_on,
        certificate_no,
        hours,
        credits,
    ]
