"""Builders for recognition tests: catalog items, a published standard, partner files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from creditbank.catalog.tests.factories import make_item
from creditbank.recognition.choices import StandardStatus
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard

STANDARD_HEADER = [
    "标准编号",
    "标准名称",
    "对方地区",
    "对方机构",
    "对方成果编码",
    "对方成果名称",
    "本方成果编码",
    "备注",
]
PARTNER_HEADER = ["证件号码", "姓名", "成果编码", "成果名称", "成绩", "取得日期", "证书编号"]


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def make_standard(
    *, code: str = "CSJ-T-1", region: str = "310000", mappings: dict[str, tuple[str, str]] | None = None, **extra: Any
) -> RecognitionStandard:
    """A published standard; ``mappings`` is {partner code: (partner name, our item code)}."""
    fields = {
        "code": code,
        "name": "长三角测试互认标准",
        "partner_region_id": region,
        "partner_name": "上海终身教育学分银行",
        "status": StandardStatus.PUBLISHED,
        "published_on": dt.date(2025, 1, 1),
    }
    fields.update(extra)
    standard = RecognitionStandard.objects.create(**fields)
    for partner_code, (name, item_code) in (mappings or {}).items():
        RecognitionMapping.objects.create(
            standard=standard, partner_code=partner_code, partner_name=name, item_code=item_code
        )
    return standard


def items(*codes: str) -> dict[str, Any]:
    return {code: make_item(code=code, name=f"课程{code}") for code in codes}
