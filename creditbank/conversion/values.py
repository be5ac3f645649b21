"""Cell values of programme and rule rows as university offices write them (pure, no database).

Built on ``imports.values`` (full-width folding, scores, dates, credits): each function returns
the clean value or raises ``CellError`` with a stable code and a message for the person who
filled in the sheet.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from creditbank.conversion.choices import ProgrammeLevel, RuleMode
from creditbank.conversion.errors import ConversionErrorCode as Code
from creditbank.imports.values import CellError, parse_date, parse_score

CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
MAX_TOTAL_CREDITS = Decimal("999.9")
MAX_COURSE_CREDITS = Decimal("99.9")
MAX_YEARS = 100
MAX_FRAMEWORK_LEVEL = 10
_FAR_FUTURE = dt.date(9999, 12, 31)  # effective dates may lie ahead: parse_date's "not in the future" does not apply

LEVELS = {
    "专科": ProgrammeLevel.JUNIOR_COLLEGE,
    "大专": ProgrammeLevel.JUNIOR_COLLEGE,
    "高职": ProgrammeLevel.JUNIOR_COLLEGE,
    "高职专科": ProgrammeLevel.JUNIOR_COLLEGE,
    "本科": ProgrammeLevel.BACHELOR,
    "专升本": ProgrammeLevel.BACHELOR,
    "高起本": ProgrammeLevel.BACHELOR,
    "junior_college": ProgrammeLevel.JUNIOR_COLLEGE,
    "bachelor": ProgrammeLevel.BACHELOR,
}
MODES = {
    "免修免考": RuleMode.EXEMPTION,
    "免修": RuleMode.EXEMPTION,
    "免考": RuleMode.EXEMPTION,
    "学分认定": RuleMode.RECOGNITION,
    "认定": RuleMode.RECOGNITION,
    "exemption": RuleMode.EXEMPTION,
    "recognition": RuleMode.RECOGNITION,
}
# A course group whose name says 必修 is required (必修, 专业必修课, 公共必修); any other is elective.
REQUIRED_MARK = "必修"


def text(value: str) -> str:
    """Full-width folded (NFKC) and stripped, with inner runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", value).split())


def parse_code(value: str, *, required_message: str) -> str:
    code = text(value).replace(" ", "").upper()
    if not code:
        raise CellError(Code.REQUIRED, required_message)
    if not CODE.match(code):
        raise CellError(Code.CODE_FORMAT, _("A code has 1 to 32 letters, digits, dots, hyphens or underscores."))
    return code


def parse_name(value: str, *, maximum: int, required_message: str) -> str:
    name = text(value)
    if not name:
        raise CellError(Code.REQUIRED, required_message)
    if len(name) > maximum:
        raise CellError(Code.TOO_LONG, _("At most {count} characters.").format(count=maximum))
    return name


def parse_level(value: str) -> str:
    level = LEVELS.get(text(value).replace(" ", "")) or LEVELS.get(text(value).lower())
    if level is None:
        raise CellError(Code.LEVEL_UNKNOWN, _("The level is 专科 or 本科."))
    return str(level)


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_share(value: str) -> Decimal:
    """A cap as a share of the total credits: 0.5, .5, 50% or ５０％; more than 0, at most 100 %."""
    cleaned = text(value).replace(" ", "")
    if not cleaned:
        raise CellError(Code.REQUIRED, _("The cap on converted credits is required (a share such as 0.5 or 50%)."))
    percent = cleaned.endswith("%")
    number = _decimal(cleaned[:-1] if percent else cleaned)
    if number is None:
        raise CellError(Code.CAP_FORMAT, _("Write the cap as a share such as 0.5, or as a percentage such as 50%."))
    share = number / 100 if percent else number
    if share <= 0 or share > 1:
        raise CellError(
            Code.CAP_OUT_OF_RANGE,
            _("The cap is more than 0 and at most 100% of the total credits (0.5 or 50%, not {value}).").format(
                value=cleaned
            ),
        )
    if share != share.quantize(Decimal("0.001")):
        raise CellError(Code.CAP_FORMAT, _("The cap has at most three decimals (0.333) or one in a percentage."))
    return share.quantize(Decimal("0.001"))


def parse_credits(value: str, *, code: str, maximum: Decimal, required_message: str) -> Decimal:
    """Positive credits with at most one decimal."""
    cleaned = text(value).replace(" ", "")
    if not cleaned:
        raise CellError(Code.REQUIRED, required_message)
    number = _decimal(cleaned)
    if number is None or number <= 0 or number > maximum or number != number.quantize(Decimal("0.1")):
        raise CellError(
            code,
            _("Credits are a number above 0 and up to {maximum}, with at most one decimal.").format(maximum=maximum),
        )
    return number.quantize(Decimal("0.1"))


def parse_optional_credits(value: str, *, code: str) -> Decimal | None:
    cleaned = text(value).replace(" ", "")
    if not cleaned:
        return None
    number = _decimal(cleaned)
    if number is None or number < 0 or number > MAX_TOTAL_CREDITS or number != number.quantize(Decimal("0.1")):
        raise CellError(code, _("Credits are a number from 0 to 999.9, with at most one decimal."))
    return number.quantize(Decimal("0.1"))


def parse_whole(value: str, *, code: str, minimum: int, maximum: int, unit: str = "") -> int | None:
    """A whole number (full-width digits and a trailing unit such as 年 allowed), or None."""
    cleaned = text(value).replace(" ", "")
    if unit and cleaned.endswith(unit):
        cleaned = cleaned[: -len(unit)]
    if not cleaned:
        return None
    if not cleaned.isdigit() or not minimum <= int(cleaned) <= maximum:
        raise CellError(code, _("A whole number from {minimum} to {maximum}.").format(minimum=minimum, maximum=maximum))
    return int(cleaned)


def parse_codes(value: str) -> tuple[list[str], str]:
    """Codes joined by ``+`` (all of them), or by ``|`` or ``/`` (any one of them): the codes,
    upper-cased and without spaces, and the joiner (``+`` when there is only one)."""
    cleaned = text(value).replace(" ", "").upper()
    joiners = {joiner for joiner in "+|/" if joiner in cleaned}
    if len(joiners) > 1:
        raise CellError(
            Code.SOURCE_COUNT, _("Join the codes either with + (all are needed) or with | (any one of them), not both.")
        )
    joiner = joiners.pop() if joiners else "+"
    parts = cleaned.split(joiner) if cleaned else []
    return parts, joiner


def parse_mode(value: str) -> str:
    mode = MODES.get(text(value).replace(" ", "")) or MODES.get(text(value).lower())
    if mode is None:
        raise CellError(Code.MODE_UNKNOWN, _("The mode is 免修免考 or 学分认定."))
    return str(mode)


def parse_minimum_score(value: str) -> str:
    """A minimum score or grade, as ``imports.values.parse_score`` stores outcome scores."""
    return parse_score(value)


def parse_effective_date(value: str) -> dt.date | None:
    if not text(value):
        return None
    return parse_date(value, today=_FAR_FUTURE)


def is_required_group(name: str) -> bool:
    return REQUIRED_MARK in name
