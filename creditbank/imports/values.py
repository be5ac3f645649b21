"""Cell values of an outcome row as Chinese offices write them: dates, scores, hours, credits.

Pure functions, no database: each returns the clean value or raises ``CellError`` with a code
from ``ImportErrorCode`` and a message for the person who filled in the sheet. They run once per
row of a million-row file, so the common spellings take a fast path first.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from creditbank.imports.errors import ImportErrorCode

EARLIEST_DATE = dt.date(1900, 1, 1)
# Excel's 1900 date system: serial 1 is 1900-01-01 and 60 the 29 February 1900 that never was,
# so from serial 61 on a date is 1899-12-30 plus the serial.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# A bare five-digit number in a date column is an Excel serial whose cell lost its date format:
# 10000-99999 is 1927-05-18 to 2173-10-14. Shorter numbers (a year, "2024") are refused, not guessed.
_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$", re.ASCII)
_YMD = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$",  # a time after the date (datetime cells) is dropped
    re.ASCII,
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)

# Grade words (五级制, 四级制, 二级制, awards) and letter grades that mean the outcome was achieved.
PASSING_GRADES = frozenset(
    {
        "优秀", "良好", "中等", "及格", "合格", "通过", "优", "良", "中",
        "特等奖", "一等奖", "二等奖", "三等奖", "优胜奖", "金奖", "银奖", "铜奖",
        "A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-",
        "P", "PASS", "MERIT", "DISTINCTION",
    }
)  # fmt: skip
# Results that mean it was not: a failed course is not an outcome to store.
FAILING_GRADES = frozenset({"不及格", "不合格", "不通过", "差", "F", "FAIL", "E"})
MAX_SCORE = Decimal(100)
MAX_HOURS = 100_000
MAX_CREDITS = Decimal(200)


class CellError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _text(value: str) -> str:
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return value.strip()


def _checked(day: dt.date, today: dt.date) -> dt.date:
    if day > today:
        raise CellError(ImportErrorCode.DATE_IN_FUTURE, _("The date is in the future."))
    if day < EARLIEST_DATE:
        raise CellError(ImportErrorCode.DATE_TOO_EARLY, _("The date is before 1900."))
    return day


def _impossible() -> CellError:
    return CellError(ImportErrorCode.DATE_IMPOSSIBLE, _("This date does not exist (check the month and day)."))


def parse_date(value: str, *, today: dt.date) -> dt.date:
    """2024-05-17, 2024/5/17, 2024.5.17, 2024年5月17日, 20240517, an Excel serial (45429), or
    any of them followed by a time; between 1900-01-01 and ``today``."""
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and value.isascii():
        try:  # the common case, in C
            day = dt.date.fromisoformat(value)
        except ValueError:
            if value[:4].isdigit() and value[5:7].isdigit() and value[8:].isdigit():
                raise _impossible() from None
        else:
            return _checked(day, today)
    text = _text(value)
    if not text:
        raise CellError(ImportErrorCode.DATE_REQUIRED, _("The date is required."))
    match = _YMD.match(text) or _COMPACT_DATE.match(text)
    if match is not None:
        year, month, day_of_month = (int(part) for part in match.groups())
        try:
            found = dt.date(year, month, day_of_month)
        except ValueError:
            raise _impossible() from None
        return _checked(found, today)
    match = _SERIAL.match(text)
    if match is not None:
        return _checked(_EXCEL_EPOCH + dt.timedelta(days=int(match.group(1))), today)
    raise CellError(
        ImportErrorCode.DATE_FORMAT,
        _("Not a date: write it as 2024-05-17, 2024/5/17 or 2024年5月17日."),
    )


def parse_score(value: str) -> str:
    """A number from 0 to 100 (at most two decimals, stored without trailing zeros), a passing
    grade word (优秀, 良好, 中等, 及格, 合格, 通过, awards) or letter grade, or nothing."""
    if len(value) <= 3 and value.isascii() and value.isdigit():  # the common case: 0-100 as written
        if int(value) > MAX_SCORE:
            raise CellError(ImportErrorCode.SCORE_OUT_OF_RANGE, _("A score is a number from 0 to 100."))
        return str(int(value))
    text = _text(value).replace(" ", "")
    if not text:
        return ""
    grade = text.upper()
    if grade in PASSING_GRADES:
        return grade
    if grade in FAILING_GRADES:
        raise CellError(ImportErrorCode.SCORE_FAILING, _("A failing result is not an outcome to store."))
    number = _decimal(text)
    if number is None:
        raise CellError(
            ImportErrorCode.SCORE_FORMAT,
            _("A score is a number from 0 to 100 or a grade such as 优秀, 良好, 合格 or A."),
        )
    if number < 0 or number > MAX_SCORE:
        raise CellError(ImportErrorCode.SCORE_OUT_OF_RANGE, _("A score is a number from 0 to 100."))
    if number != number.quantize(Decimal("0.01")):
        raise CellError(ImportErrorCode.SCORE_FORMAT, _("A score has at most two decimals."))
    normal = format(number.normalize(), "f")
    return normal


def _decimal(text: str) -> Decimal | None:
    """A finite decimal number, or None (not a number, infinity, NaN)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_hours(value: str) -> int | None:
    """Whole learning hours, or None when the cell is empty."""
    if len(value) <= 6 and value.isascii() and value.isdigit():
        hours = int(value)
    else:
        text = _text(value)
        if not text:
            return None
        number = _decimal(text)
        if number is None or number != number.to_integral_value():
            raise CellError(ImportErrorCode.HOURS_FORMAT, _("Learning hours are a whole number."))
        if abs(number) > MAX_HOURS:  # before int(): "1e100000" must not become a 100,000-digit integer
            raise CellError(ImportErrorCode.HOURS_FORMAT, _("Learning hours are a whole number from 0 to 100000."))
        hours = int(number)
    if hours < 0 or hours > MAX_HOURS:
        raise CellError(ImportErrorCode.HOURS_FORMAT, _("Learning hours are a whole number from 0 to 100000."))
    return hours


def parse_credits(value: str) -> Decimal | None:
    """Credits with at most one decimal, from 0 to 200, or None when the cell is empty."""
    text = _text(value)
    if not text:
        return None
    number = _decimal(text)
    if number is None:
        raise CellError(ImportErrorCode.CREDITS_FORMAT, _("Credits are a number with at most one decimal."))
    if number < 0 or number > MAX_CREDITS:  # before quantize(), which fails on "1e30"
        raise CellError(ImportErrorCode.CREDITS_FORMAT, _("Credits are a number from 0 to 200."))
    if number != number.quantize(Decimal("0.1")):
        raise CellError(ImportErrorCode.CREDITS_FORMAT, _("Credits are a number with at most one decimal."))
    return number.quantize(Decimal("0.1"))


def normalize_code(value: str) -> str:
    """A catalog item code as the catalog stores it: full-width folded, no spaces, capitals."""
    text = _text(value)
    if " " in text:
        text = text.replace(" ", "")
    return text.upper()


_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


def normalize_certificate_no(value: str) -> str:
    """Certificate numbers are compared without spaces and case: ``ah 2024-001`` = ``AH2024-001``."""
    text = _text(value)
    if not text:
        return ""
    return _CONTROL_OR_SPACE.sub("", text).upper()
