"""Field validators: one function per concept, used by forms, the API, imports and the CLI.

Each returns the normalised value or raises ``ValidationFailed`` with a stable code.
They are called once per row of a bulk import, so they avoid needless work.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from django.utils.translation import gettext_lazy as _

from creditbank.core.errors import ValidationFailed

# GB 11643-1999 §5.1: the first two digits are the province-level code of GB/T 2260.
# 83 is used by residence permits for Taiwan residents (港澳台居民居住证: 81/82/83).
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)
# GB 11643-1999 §6.2 / ISO 7064 MOD 11-2: weights 2^(17-i) mod 11 and the check characters.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$", re.ASCII)
_SPACES = re.compile(r"[\s\u3000\u00a0\-]+")
_EARLIEST_BIRTH = dt.date(1880, 1, 1)


@dataclass(frozen=True, slots=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F" (GB 11643 §5.3: odd sequence digit = male)
    region_code: str


def normalize_text(value: object) -> str:
    """Full-width characters to ASCII (NFKC), stray spaces removed at both ends."""
    if value is None:
        return ""
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def compact(value: object) -> str:
    """Normalise and remove every space or hyphen inside, as people type numbers."""
    return _SPACES.sub("", normalize_text(value))


_WEIGHT_SUM_OF_ZEROS = 48 * sum(_WEIGHTS)  # what the ASCII code of "0" adds at every position


def id_check_char(first17: str) -> str:
    if len(first17) == 17 and first17.isascii() and first17.isdigit():
        # Fast path for a bulk import: the weighted sum over the ASCII bytes, in C.
        total = sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _WEIGHT_SUM_OF_ZEROS
    else:
        total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


_today_cache: tuple[float, dt.date] = (0.0, dt.date.min)


def _today() -> dt.date:
    """Today's calendar date (in China, not an instant), looked up at most once a second:
    ``date.today()`` asks the OS for the local time, which is a fifth of this validator's cost."""
    global _today_cache
    now = time.monotonic()
    until, day = _today_cache
    if now >= until:
        day = dt.date.today()  # noqa: DTZ011 - a calendar date in China, not an instant
        _today_cache = (now + 1.0, day)
    return day


def validate_resident_id(value: object, *, today: dt.date | None = None) -> ResidentId:
    """GB 11643-1999 citizen identity number: 18 characters, MOD 11-2 check, a real birth date."""
    number = compact(value).upper()
    if not number:
        raise ValidationFailed.for_field("id_number", _("ID number is required."), code="id_number_required")
    if len(number) == 15 and number.isdigit():
        raise ValidationFailed.for_field(
            "id_number", _("15-digit ID numbers are no longer valid; use the 18-digit number."), code="id_number_length"
        )
    if len(number) != 18:
        raise ValidationFailed.for_field("id_number", _("An ID number has 18 characters."), code="id_number_length")
    if not _ID18.match(number):
        raise ValidationFailed.for_field(
            "id_number", _("An ID number has 17 digits and a final digit or X."), code="id_number_format"
        )
    if number[:2] not in PROVINCE_PREFIXES:
        raise ValidationFailed.for_field(
            "id_number", _("The ID number's region code is not valid."), code="id_number_region"
        )
    try:
        if number.isascii():  # YYYYMMDD, parsed in C
            birth = dt.date.fromisoformat(number[6:14])
        else:
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationFailed.for_field(
            "id_number", _("The birth date in the ID number is not a real date."), code="id_number_birth_date"
        ) from None
    today = today or _today()
    if birth > today or birth < _EARLIEST_BIRTH:
        raise ValidationFailed.for_field(
            "id_number", _("The birth date in the ID number is not possible."), code="id_number_birth_date"
        )
    if id_check_char(number[:17]) != number[17]:
        raise ValidationFailed.for_field(
            "id_number", _("The ID number's check digit is wrong; please check the number."), code="id_number_checksum"
        )
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=birth, gender=gender, region_code=number[:6])


_HK_MACAU = re.compile(r"^[HM]\d{8}(\d{2})?$", re.ASCII)
_TAIWAN = re.compile(r"^\d{8}(\d{2})?$", re.ASCII)
_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")


def validate_id_document(id_type: str, value: object) -> tuple[str, ResidentId | None]:
    """Validate a number for its document type; returns the normalised number and, for an
    18-character resident number, what it encodes."""
    if id_type in ("resident_id", "hmt_residence_permit"):
        parsed = validate_resident_id(value)
        return parsed.number, parsed
    number = compact(value).upper()
    if not number:
        raise ValidationFailed.for_field("id_number", _("ID number is required."), code="id_number_required")
    patterns = {"hk_macau_permit": _HK_MACAU, "taiwan_permit": _TAIWAN, "passport": _PASSPORT}
    pattern = patterns.get(id_type)
    if pattern is None:
        raise ValidationFailed.for_field("id_type", _("Unknown ID type."), code="id_type_unknown")
    if not pattern.match(number):
        raise ValidationFailed.for_field(
            "id_number", _("The number does not match the format of this document."), code="id_number_format"
        )
    return number, None


_PHONE_PREFIX = re.compile(r"^(?:\+?86|0086)")
_CN_MOBILE = re.compile(r"^1\d{10}$", re.ASCII)


# 11 digits from 13… to 19… except 179…: parse() strips no national or carrier prefix from these
# (CN's national_prefix_for_parsing is "(1(?:[12]\d|79)\d\d)|0"), so the parsed number is known.
_UNPREFIXED_MOBILE = re.compile(r"^1(?:[3-689]|7[0-8])\d{9}$", re.ASCII)
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _desc_matcher(desc: object) -> tuple[re.Pattern[str], tuple[int, ...]] | None:
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    return re.compile(pattern, re.ASCII), tuple(getattr(desc, "possible_length", ()) or ())


_CN_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("CN")
if _CN_METADATA is None:  # pragma: no cover - phonenumbers always ships CN
    raise RuntimeError("phonenumbers has no metadata for CN")
# libphonenumber's number_type(): a number is MOBILE (or FIXED_LINE_OR_MOBILE) when it fits the
# general description, none of the special types checked before it, and the mobile description.
_CN_GENERAL = _desc_matcher(_CN_METADATA.general_desc)
_CN_EARLIER_TYPES = [
    matcher
    for matcher in (
        _desc_matcher(getattr(_CN_METADATA, name))
        for name in ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
    )
    if matcher is not None
]
_CN_MOBILE_DESC = _desc_matcher(_CN_METADATA.mobile)


def _eleven_digit_mobile_pattern() -> re.Pattern[str]:
    """One regex for "general and mobile, and no earlier type" over 11-digit numbers."""
    earlier = [pattern.pattern for pattern, lengths in _CN_EARLIER_TYPES if not lengths or 11 in lengths]
    parts = [f"(?=(?:{matcher[0].pattern})$)" for matcher in (_CN_GENERAL, _CN_MOBILE_DESC) if matcher is not None]
    parts += [f"(?!(?:{pattern})$)" for pattern in earlier]
    return re.compile("".join(parts) + r"\d{11}", re.ASCII)


_ELEVEN_DIGIT_MOBILE = _eleven_digit_mobile_pattern()


@lru_cache(maxsize=131072)
def _mobile_prefix_is_valid(number: str) -> bool:
    """Whether ``phonenumbers`` calls this CN number a mobile one, using its own metadata.

    For the 11-digit 13…–19… numbers (but 179…), parse() strips no prefix, so the check runs the
    metadata's patterns directly (microseconds instead of parse() + number_type()); anything
    else goes through phonenumbers itself. Equivalence is tested in imports/tests/test_hot_path.py."""
    if _UNPREFIXED_MOBILE.match(number):
        return _ELEVEN_DIGIT_MOBILE.fullmatch(number) is not None
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:  # e.g. 179…: a carrier prefix is stripped and too little is left
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in _MOBILE_TYPES


def validate_cn_mobile(value: object) -> str:
    """A mainland China mobile number, as its 11 digits (validated with ``phonenumbers``)."""
    number = compact(value)
    number = number.replace("(", "").replace(")", "")
    if not number:
        raise ValidationFailed.for_field("phone", _("Mobile phone number is required."), code="phone_required")
    number = _PHONE_PREFIX.sub("", number)
    if not _CN_MOBILE.match(number):
        raise ValidationFailed.for_field(
            "phone", _("A mobile phone number has 11 digits and starts with 1."), code="phone_format"
        )
    if not _mobile_prefix_is_valid(number):
        raise ValidationFailed.for_field(
            "phone", _("This is not a valid mainland China mobile number."), code="phone_invalid"
        )
    return number


_REGION = re.compile(r"^\d{6}$", re.ASCII)


def validate_region_code(value: object) -> str:
    """GB/T 2260 six-digit code (existence is checked against the Region table by callers)."""
    code = compact(value)
    if code.endswith(".0"):  # spreadsheets turn 340100 into 340100.0
        code = code[:-2]
    if not _REGION.match(code):
        raise ValidationFailed.for_field("region", _("A region code has 6 digits."), code="region_format")
    return code


_WHITESPACE_RUNS = re.compile(r"\s+")
_NAME_SYMBOLS = frozenset("<>\"'&;")


def validate_real_name(value: object) -> str:
    """A real name as on the ID document: 2 to 64 characters, letters, · and spaces."""
    name = _WHITESPACE_RUNS.sub(" ", normalize_text(value))
    if not name:
        raise ValidationFailed.for_field("name", _("Name is required."), code="name_required")
    if len(name) > 64 or len(name) < 2:
        raise ValidationFailed.for_field("name", _("Name must be 2 to 64 characters."), code="name_length")
    if not _NAME_SYMBOLS.isdisjoint(name) or any(map(str.isdigit, name)):
        raise ValidationFailed.for_field("name", _("Name may not contain digits or symbols."), code="name_format")
    return name


def normalize_login_name(identifier: str) -> str:
    """One spelling per login name: a phone number in any notation (+86, spaces, brackets) becomes its
    11 digits, an ID, passport or account number is compacted and upper-cased, a username lower-cased."""
    name = normalize_text(identifier)
    compacted = compact(name).replace("(", "").replace(")", "").upper()
    if compacted.lstrip("+").isdigit():
        try:
            return validate_cn_mobile(compacted)
        except ValidationFailed:
            return compacted
    if sum(char.isdigit() for char in compacted) >= 5:  # ID, passport or permit numbers
        return compacted
    return name.lower()
