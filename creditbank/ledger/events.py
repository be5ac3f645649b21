"""The kinds of event the ledger records, and the record type each one is about.

Open on purpose: conversion (``conversion.recorded``) and points (``points.settled``) register
their own when they land, with ``register``; ``digests.py`` says how their records' content is
digested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from creditbank.core.errors import ValidationFailed

OUTCOME_STORED = "outcome.stored"
OUTCOME_CERTIFIED = "outcome.certified"
OUTCOME_REVOKED = "outcome.revoked"
ACCOUNT_OPENED = "account.opened"

# Names go into the leaf's JSON and COPY text as they are: lower-case words and dots only.
_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


@dataclass(frozen=True)
class EventType:
    name: str
    record_type: str
    label: Any


EVENT_TYPES: dict[str, EventType] = {}


def register(name: str, *, record_type: str, label: Any) -> EventType:
    if not _NAME.fullmatch(name) or not _NAME.fullmatch(record_type) or len(name) > 32 or len(record_type) > 32:
        raise ValueError(f"bad ledger event or record type name: {name!r}, {record_type!r}")
    existing = EVENT_TYPES.get(name)
    if existing is not None and existing.record_type != record_type:
        raise ValueError(f"event type {name} is already registered for {existing.record_type}")
    event = EventType(name=name, record_type=record_type, label=label)
    EVENT_TYPES[name] = event
    return event


def get(name: str) -> EventType:
    event = EVENT_TYPES.get(name)
    if event is None:
        raise ValidationFailed.for_field(
            "event_type", _("This is not a kind of ledger event."), code="ledger_unknown_event_type"
        )
    return event


register(OUTCOME_STORED, record_type="outcome", label=_("Outcome stored"))
register(OUTCOME_CERTIFIED, record_type="outcome", label=_("Outcome certified"))
register(OUTCOME_REVOKED, record_type="outcome", label=_("Outcome revoked"))
register(ACCOUNT_OPENED, record_type="learner", label=_("Account opened"))
