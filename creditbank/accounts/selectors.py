"""Reads for identity and learners."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from creditbank.accounts.models import Learner, User
from creditbank.accounts.numbering import is_valid_account_no
from creditbank.core import pii, validators
from creditbank.core.errors import ValidationFailed


def find_learner_by_identifier(identifier: str) -> Learner | None:
    """A learner by account number, ID number or phone, whatever was typed."""
    value = validators.compact(identifier).upper()
    if not value:
        return None
    queryset = Learner.objects.select_related("user", "org")
    if is_valid_account_no(value):
        return queryset.filter(account_no=value).first()
    if len(value) >= 15:
        return queryset.filter(id_number_hash=pii.lookup_hash(value)).first()
    try:
        phone = validators.validate_cn_mobile(value)
    except ValidationFailed:
        phone = ""
    if phone:
        return queryset.filter(phone_hash=pii.lookup_hash(phone)).first()
    return queryset.filter(id_number_hash=pii.lookup_hash(value)).first()


def find_user_by_identifier(identifier: str) -> User | None:
    """Staff by username first; otherwise a learner's user through their identifiers."""
    value = validators.normalize_text(identifier)
    if not value:
        return None
    staff = get_user_model().objects.filter(username=value, kind="staff").first()
    if staff is not None:
        return staff
    learner = find_learner_by_identifier(value)
    if learner is not None and learner.user_id is not None:
        return learner.user
    return None


def search_learners(
    queryset: QuerySet[Learner],
    *,
    query: str = "",
    id_number: str = "",
    phone: str = "",
    name: str = "",
    account_no: str = "",
    status: str = "",
) -> QuerySet[Learner]:
    """Filter an already-scoped queryset by what staff type: exact numbers via hashes, names by prefix."""
    if query:
        value = validators.compact(query).upper()
        if is_valid_account_no(value):
            account_no = value
        elif len(value) >= 15 and value[:17].isdigit():
            id_number = value
        elif value.isdigit() and len(value) == 11:
            phone = value
        elif value.isdigit() or (len(value) >= 5 and value.isalnum() and value.isascii()):
            id_number = value
        else:
            name = validators.normalize_text(query)
    if id_number:
        queryset = queryset.filter(id_number_hash=pii.lookup_hash(validators.compact(id_number).upper()))
    if phone:
        try:
            normalized = validators.validate_cn_mobile(phone)
        except ValidationFailed:
            return queryset.none()
        queryset = queryset.filter(phone_hash=pii.lookup_hash(normalized))
    if name:
        queryset = queryset.filter(name__startswith=validators.normalize_text(name))
    if account_no:
        queryset = queryset.filter(account_no=validators.compact(account_no))
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def list_learners(actor: Any, *, action: str = "accounts.view", **filters: str) -> QuerySet[Learner]:
    """Learners in the actor's scope for ``action`` (viewing and exporting may differ), filtered."""
    queryset = Learner.objects.visible_to(actor, action).select_related("org", "region")
    return search_learners(queryset, **filters)
