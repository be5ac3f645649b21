"""Real-name identity data: one validator for the concept, used by every way of opening an account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from creditbank.accounts.choices import ID_TYPE_ALIASES, IdType
from creditbank.core import pii, validators
from creditbank.core.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class IdentityData:
    name: str
    id_type: str
    id_number: str
    id_number_hash: str
    phone: str
    phone_hash: str | None
    birth_date: dt.date | None
    gender: str
    region_code: str | None


def parse_id_type(value: Any) -> str:
    text = validators.normalize_text(value)
    if not text:
        return IdType.RESIDENT_ID
    if text in IdType.values:
        return text
    found = ID_TYPE_ALIASES.get(text) or ID_TYPE_ALIASES.get(text.lower())
    if found is None:
        raise ValidationFailed.for_field("id_type", _("Unknown ID type."), code="id_type_unknown")
    return found


def validate_identity(
    *, name: Any, id_number: Any, phone: Any, id_type: Any = None, region: Any = None, phone_required: bool = True
) -> IdentityData:
    """Validate and normalise all real-name fields, collecting every field error at once."""
    errors: list[dict[str, Any]] = []
    values: dict[str, Any] = {}

    def attempt(field: str, func: Any, *args: Any) -> None:
        try:
            values[field] = func(*args)
        except ValidationFailed as exc:
            errors.extend(exc.details)

    attempt("name", validators.validate_real_name, name)
    attempt("id_type", parse_id_type, id_type)
    if "id_type" in values:
        attempt("id", validators.validate_id_document, values["id_type"], id_number)
    if phone_required or validators.compact(phone):
        attempt("phone", validators.validate_cn_mobile, phone)
    if validators.compact(region):
        attempt("region", validators.validate_region_code, region)
    if errors:
        raise ValidationFailed(details=errors)
    number, resident = values["id"]
    phone_value = values.get("phone", "")
    return IdentityData(
        name=values["name"],
        id_type=values["id_type"],
        id_number=number,
        id_number_hash=pii.lookup_hash(number),
        phone=phone_value,
        phone_hash=pii.lookup_hash(phone_value) if phone_value else None,
        birth_date=resident.birth_date if resident else None,
        gender=resident.gender if resident else "",
        region_code=values.get("region"),
    )
