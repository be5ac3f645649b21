"""What a leaf commits to about its record: the one place that says, per record type, which
columns are the record's content and how they are digested — used by the writers when they
append and by ``ledger verify`` when it recomputes.

The content of a record is a JSON object of its content columns, with values in a plain form
(``plain``); its digest is SHA-256 of the object's RFC 8785 canonical JSON, in hex. A leaf
commits to the state of its record *after* the event, so the newest leaf of a record must match
the record as it is now; older leaves are its history.

See: https://www.rfc-editor.org/rfc/rfc8785 (JSON Canonicalization Scheme)

The learner appears in a leaf only as a keyed hash: HMAC-SHA-256 of the learner's key (their
row id, in decimal) with a key derived from ``CREDITBANK_PII_KEY``. Without the key nobody can tell
whose events they are; with it the operator can show that two leaves are the same person's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import rfc8785
from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

_MAX_SAFE_INTEGER = 2**53 - 1  # RFC 8785 numbers are IEEE 754 doubles: larger integers become strings


@dataclass(frozen=True)
class RecordType:
    """A kind of record the ledger speaks about.

    ``fields`` are the content columns (attribute names, in the order ``values_list`` returns
    them); ``learner`` the column that holds the learner's key; ``needs_leaf`` which rows must have
    at least one leaf (``ledger verify`` reports the others as inserted behind the ledger's back).
    ``optional`` are content columns added after leaves were written: they enter the content only
    when not empty, so that every record written before they existed keeps its digest.
    """

    name: str
    model: str
    fields: tuple[str, ...]
    learner: str
    needs_leaf: Callable[[], models.Q] = field(default=lambda: models.Q())
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """What ``values_list`` reads for a digest: the fields, then the optional columns."""
        return self.fields + self.optional

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


RECORD_TYPES: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    RECORD_TYPES[record_type.name] = record_type
    return record_type


def get(name: str) -> RecordType:
    return RECORD_TYPES[name]


def record_type_of(record: models.Model) -> RecordType:
    label = record._meta.label
    for record_type in RECORD_TYPES.values():
        if record_type.model == label:
            return record_type
    raise LookupError(f"the ledger has no record type for {label}")


# Everything that says what an outcome *is* and where it stands; not bookkeeping (updated_at,
# import_job, the denormalised org_path, which a reorganisation may rewrite) and not the learner's
# own free-text note.
OUTCOME_FIELDS = (
    "achieved_on", "certificate_no", "certified_at", "certified_by_org_id", "credits", "external_id", "hours",
    "item_code", "item_id", "learner_id", "natural_key", "org_id", "revoke_reason", "revoked_at", "score",
    "source", "status",
)  # fmt: skip
# Who the account is: its number and the person's identity (as its keyed hash); not the status,
# which freezing and activation change, nor the encrypted personal data.
LEARNER_FIELDS = ("account_no", "id_number_hash", "id_type", "opened_via")


def _learner_needs_leaf() -> models.Q:
    # A self-registration is opened when its centre approves it; until then it has no leaf.
    return ~models.Q(opened_via="self", status="pending")


# Added with mutual recognition (issue 7): blank on every outcome of our own, so absent from its content.
OUTCOME_OPTIONAL_FIELDS = ("source_region",)
OUTCOME = register(
    RecordType(
        name="outcome",
        model="archive.Outcome",
        fields=OUTCOME_FIELDS,
        learner="learner_id",
        optional=OUTCOME_OPTIONAL_FIELDS,
    )
)
LEARNER = register(
    RecordType(
        name="learner", model="accounts.Learner", fields=LEARNER_FIELDS, learner="id", needs_leaf=_learner_needs_leaf
    )
)


# --- values, canonical JSON, digests ----------------------------------------------------------


def plain(value: Any) -> Any:
    """A column value as it goes into the content object: dates ``YYYY-MM-DD``, times in UTC
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, decimals as their shortest plain string (``2.0`` → ``"2"``),
    bytes in hex, integers beyond 2^53 as strings."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER else str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    raise TypeError(f"the ledger cannot digest a {type(value).__name__}")


@cache
def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def utc_text(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("the ledger needs aware datetimes")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content(record_type: RecordType, values: Sequence[Any]) -> dict[str, Any]:
    """The content object of ``values``: of ``record_type.columns``, or of its ``fields`` alone."""
    if len(values) == len(record_type.fields):
        return {name: plain(value) for name, value in zip(record_type.fields, values, strict=True)}
    result = {name: plain(value) for name, value in zip(record_type.columns, values, strict=True)}
    for name in record_type.optional:
        if result[name] in ("", None):
            del result[name]
    return result


def _is_simple(value: Any) -> bool:
    """Strings, safe integers, booleans and nulls (in objects with ASCII keys and in lists) only.
    Exact type checks: this runs for every record ``ledger verify`` reads."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not key.isascii() or not _is_simple(item):
                return False
        return True
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER
    if kind is list:
        return all(_is_simple(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON. For objects of strings, safe integers, booleans and nulls with
    ASCII keys (every content object here), the standard library's encoder with sorted keys and
    no whitespace writes exactly the same bytes five times faster (tests check it against the
    ``rfc8785`` package with hypothesis); anything else goes to ``rfc8785``."""
    if _is_simple(value):
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it
            pass
    return rfc8785.dumps(value)


def digest(content_object: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a record's content."""
    return hashlib.sha256(canonical_json(dict(content_object))).hexdigest()


def row_digest(record_type: RecordType, values: Sequence[Any]) -> str:
    return digest(content(record_type, values))


def current(record_type: RecordType, pk: int) -> tuple[str, int | None] | None:
    """The digest of the record as the database holds it now, and its learner's key (one query);
    None when the row is gone."""
    row = (
        record_type.model_class()
        ._default_manager.filter(pk=pk)
        .values_list(record_type.learner, *record_type.columns)
        .first()
    )
    if row is None:
        return None
    return row_digest(record_type, row[1:]), row[0]


def stream(record_type: RecordType, *, chunk: int = 5000) -> Iterator[tuple[int, int | None, str, bool]]:
    """Every record of the type in key order, as ``(pk, learner key, digest, needs a leaf)``:
    keyset pages of ``chunk`` rows (no query per row, no cursor held across pages)."""
    manager = record_type.model_class()._default_manager
    condition = record_type.needs_leaf()
    needs: Any = (
        models.ExpressionWrapper(condition, output_field=models.BooleanField())
        if condition
        else models.Value(True, output_field=models.BooleanField())
    )
    last = None
    while True:
        rows = manager.all() if last is None else manager.filter(pk__gt=last)
        page = list(
            rows.order_by("pk")
            .annotate(_needs_leaf=needs)
            .values_list("pk", record_type.learner, "_needs_leaf", *record_type.columns)[:chunk]
        )
        if not page:
            return
        for pk, learner, needs_leaf, *values in page:
            yield pk, learner, row_digest(record_type, values), bool(needs_leaf)
        last = page[-1][0]


# --- the fast paths of the bulk writers ----------------------------------------------------------
#
# A million-row deposit cannot afford a dict and a JSON encoder per row (13 µs here). These write
# the same canonical JSON from a template whose constant parts are prepared once; tests compare
# them with ``row_digest`` of the stored rows.

_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]').search


def _json_string(value: str) -> str:
    if _NEEDS_ESCAPE(value) is None:
        return '"' + value + '"'
    return json.dumps(value, ensure_ascii=False)


class StoredOutcomeDigester:
    """Digests of new outcomes of one bulk deposit (status stored, nothing certified or revoked).
    Positional arguments and caches of the values that repeat (days, item codes, credits):
    this runs once per row of a million-row file."""

    def __init__(self, *, org_id: int, source: str, status: str = "stored") -> None:
        self.middle = f',"org_id":{org_id},"revoke_reason":"","revoked_at":null,"score":'
        self.tail = f',"source":{_json_string(source)},"status":{_json_string(status)}}}'
        self._days: dict[dt.date, str] = {}
        self._texts: dict[str, str] = {}
        self._credits: dict[Decimal, str] = {}

    def _cached(self, value: str) -> str:
        text = self._texts.get(value)
        if text is None:
            if len(self._texts) > 10_000:
                self._texts.clear()
            text = self._texts[value] = _json_string(value)
        return text

    def __call__(
        self,
        learner_id: int,
        item_id: int,
        item_code: str,
        score: str,
        achieved_on: dt.date,
        certificate_no: str,
        hours: int | None,
        credits: Decimal,
        natural_key: str,
        external_id: str | None,
    ) -> str:
        """The digest of the outcome these values make (argument order as listed)."""
        day = self._days.get(achieved_on)
        if day is None:
            day = self._days[achieved_on] = achieved_on.isoformat()
        credit = self._credits.get(credits)
        if credit is None:
            credit = self._credits[credits] = _decimal_text(credits)
        if _NEEDS_ESCAPE(certificate_no + natural_key) is None:
            certificate, key = '"' + certificate_no + '"', '"' + natural_key + '"'
        else:
            certificate, key = _json_string(certificate_no), _json_string(natural_key)
        text = (
            f'{{"achieved_on":"{day}","certificate_no":{certificate},"certified_at":null,'
            f'"certified_by_org_id":null,"credits":"{credit}",'
            f'"external_id":{"null" if external_id is None else _json_string(external_id)},'
            f'"hours":{"null" if hours is None else hours},"item_code":{self._cached(item_code)},'
            f'"item_id":{item_id},"learner_id":{learner_id},"natural_key":{key}'
            f"{self.middle}{self._cached(score)}{self.tail}"
        )
        return hashlib.sha256(text.encode()).hexdigest()


def imported_learner_digest(*, account_no: str, id_number_hash: str, id_type: str, opened_via: str) -> str:
    text = (
        f'{{"account_no":{_json_string(account_no)},"id_number_hash":{_json_string(id_number_hash)},'
        f'"id_type":{_json_string(id_type)},"opened_via":{_json_string(opened_via)}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


# --- the learner's keyed hash --------------------------------------------------------------------


class _LearnerKey:
    """HMAC-SHA-256 (RFC 2104) with the inner and outer states computed once (as core.pii does)."""

    def __init__(self, secret: str) -> None:
        key = hashlib.sha256(b"creditbank-ledger-learner\x00" + secret.encode()).digest()
        block = key.ljust(64, b"\x00")
        self.inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self.outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))

    def __call__(self, learner_id: int) -> str:
        inner = self.inner.copy()
        inner.update(str(learner_id).encode())
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


_keys: list[_LearnerKey] | None = None


def _learner_keys() -> list[_LearnerKey]:
    global _keys
    if _keys is None:
        _keys = [_LearnerKey(secret) for secret in (settings.CREDITBANK_PII_KEY, *settings.CREDITBANK_PII_OLD_KEYS)]
    return _keys


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    global _keys
    if setting in ("CREDITBANK_PII_KEY", "CREDITBANK_PII_OLD_KEYS"):
        _keys = None


def learner_hash(learner_id: int | None) -> str | None:
    """The keyed hash of a learner, with the current key."""
    if learner_id is None:
        return None
    return _learner_keys()[0](learner_id)


def learner_hash_matches(learner_id: int | None, value: str | None) -> bool:
    """Whether ``value`` is the learner's keyed hash under the current key or an older one
    (``CREDITBANK_PII_OLD_KEYS``), so that rotating the PII key does not make old leaves fail."""
    if learner_id is None or value is None:
        return learner_id is None and value is None
    return any(key(learner_id) == value for key in _learner_keys())
