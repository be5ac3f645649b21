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


_ID_TYPE_VALUES = frozenset(IdType.values)  # IdType.values builds a new list on every access


def parse_id_type(value: Any) -> str:
    text = validators.normalize_text(value)
    if not text:
        return IdType.RESIDENT_ID
    if text in _ID_TYPE_VALUES:
        return text
    found = ID_TYPE_ALIASES.get(text) or ID_TYPE_ALIASES.get(text.lower())
    if found is None:
        raise ValidationFailed.for_field("id_type", _("Unknown ID type."), code="id_type_unknown")
    return found


def validate_identity(
    *, name: Any, id_number: Any, phone: Any, id_type: Any = None, region: Any = None, phone_required: bool = True
) -> IdentityData:
    """Validate and normalise all real-name fields, collecting every field error at once.

    Called once per row of a bulk import: written as plain try blocks (no closures, no
    exceptions on the happy path) because it runs 100,000 times a second there."""
    errors: list[dict[str, Any]] = []
    clean_name = clean_type = number = None
    resident: validators.ResidentId | None = None
    phone_value = ""
    region_code: str | None = None
    try:
        clean_name = validators.validate_real_name(name)
    except ValidationFailed as exc:
        errors.extend(exc.details)
    try:
        clean_type = parse_id_type(id_type)
    except ValidationFailed as exc:
        errors.extend(exc.details)
    if clean_type is not None:
        try:
            number, resident = validators.validate_id_document(clean_type, id_number)
        except ValidationFailed as exc:
            errors.extend(exc.details)
    if phone_required or validators.compact(phone):
        try:
            phone_value = validators.validate_cn_mobile(phone)
        except ValidationFailed as exc:
            errors.extend(exc.details)
    if region is not None and region != "" and validators.compact(region):
        try:
            region_code = validators.validate_region_code(region)
        except ValidationFailed as exc:
            errors.extend(exc.details)
    if errors:
        raise ValidationFailed(details=errors)
    if clean_name is None or clean_type is None or number is None:  # not reached: no errors means all were set
        raise ValidationFailed(details=errors)
    return IdentityData(
        name=clean_name,
        id_type=clean_type,
        id_number=number,
        id_number_hash=pii.lookup_hash(number),
        phone=phone_value,
        phone_hash=pii.lookup_hash(phone_value) if phone_value else None,
        birth_date=resident.birth_date if resident else None,
        gender=resident.gender if resident else "",
        region_code=region_code,
    )
