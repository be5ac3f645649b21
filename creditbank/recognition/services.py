"""Mutual recognition (学习成果互认): another region's outcomes into a learner's archive, mapped to
our catalog through the mapping table of a published standard.

Two ways in: a verifiable credential the partner issued (an Open Badges 3.0
``OpenBadgeCredential``, or a CLR 2.0 ``ClrCredential`` carrying several), verified with
``credentials.services.verify`` exactly as the public verifier does; and the partner's bulk file
(XLSX or CSV: 证件号码, 姓名, 成果编码, 成果名称, 成绩, 取得日期, 证书编号). Either way each outcome is
mapped by the partner's code, failing that by its exact name; what maps is stored as an outcome
of source ``mutual_recognition`` with the standard's partner region as ``source_region``, with
its ``outcome.stored`` ledger leaf in the same transaction; what does not map is reported and
not stored. Importing the same credential or file again stores nothing new (external id = the
credential's id; the archive's natural key for both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from creditbank.accounts.choices import LearnerStatus
from creditbank.accounts.models import Learner
from creditbank.archive.choices import OutcomeSource, OutcomeStatus
from creditbank.archive.models import Outcome, natural_key
from creditbank.audit import services as audit
from creditbank.catalog.choices import ItemStatus
from creditbank.catalog.models import CatalogItem
from creditbank.core import pii, ratelimit, validators
from creditbank.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from creditbank.credentials import services as credentials
from creditbank.credentials.dataintegrity import parse_datetime
from creditbank.imports import values
from creditbank.imports.outcomes import name_key
from creditbank.imports.readers import Column, Source, TableRow, open_table
from creditbank.imports.services import ImportOutcome, RowError, batches, row_error, run_once, source_name
from creditbank.ledger import digests as ledger_digests
from creditbank.ledger import events as ledger_events
from creditbank.ledger import services as ledger_services
from creditbank.orgs import permissions
from creditbank.orgs import selectors as org_selectors
from creditbank.orgs.models import OrgUnit
from creditbank.recognition.choices import StandardStatus
from creditbank.recognition.errors import RecognitionErrorCode as Code
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard
from creditbank.recognition.standards import normalize_partner_code

IMPORT_ACTION = "archive.import"
CREDENTIAL_AUDIT_ACTION = "recognition.import_credential"
FILE_AUDIT_ACTION = "recognition.import_file"
BATCH_ROWS = 5000
# A learner's own imports (each verification may fetch other hosts' documents): (calls, seconds).
SELF_SERVICE_RATE_LIMIT = (30, 3600)
_LOCAL_ZONE = dt.timezone(dt.timedelta(hours=8))
# OB 3.0 §B.1.21 IdentityObject.identityType values that carry an ID number.
ID_NUMBER_TYPES = frozenset({"nationalIdentityNumber", "ext:nationalIdentityNumber", "ext:IDNumber"})
_OUTCOME_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
_UNSIGNED_CODES = frozenset({"missing_proof", "embedded_credential_invalid"})

PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("id_number", ("证件号码", "id_number", "身份证号码", "身份证号", "id number"), required=True),
    Column("name", ("姓名", "name", "真实姓名"), required=True),
    Column("partner_code", ("成果编码", "partner_code", "item_code", "成果代码"), required=True),
    Column("partner_name", ("成果名称", "partner_name", "item_name", "name of outcome")),
    Column("score", ("成绩", "score")),
    Column("achieved_on", ("取得日期", "achieved_on", "获得日期", "取得时间"), required=True),
    Column("certificate_no", ("证书编号", "certificate_no", "证书号", "证书号码")),
)
PARTNER_LABELS: Mapping[str, str] = {column.key: column.label for column in PARTNER_COLUMNS}


class CredentialRefused(ValidationFailed):
    """A credential that cannot be imported at all; ``verdict`` is the verifier's, when it ran."""

    status = 422
    default_code = Code.CREDENTIAL_INVALID
    default_message = gettext_lazy("This credential cannot be imported.")

    def __init__(self, message: Any = None, *, code: str, verdict: credentials.Verdict | None = None) -> None:
        details = []
        if verdict is not None:
            details = [{"field": "credential", "code": verdict.code, "message": verdict.message}]
        super().__init__(message, code=code, details=details)
        self.verdict = verdict


# --- results ----------------------------------------------------------------------------------


@dataclass
class Recognised:
    """What became of one partner outcome: ``stored``, ``duplicate``, ``unmapped`` or ``error``."""

    line: int
    status: str
    partner_code: str = ""
    partner_name: str = ""
    item_code: str = ""
    credits: str = ""
    outcome_id: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "status": self.status,
            "partner_code": self.partner_code,
            "partner_name": self.partner_name,
            "item_code": self.item_code,
            "credits": self.credits,
            "outcome_id": self.outcome_id,
            "errors": self.errors,
        }


@dataclass
class RecognitionResult(ImportOutcome):
    """``ImportOutcome`` (rows are partner outcomes) plus how many did not map, one entry per
    outcome (credentials; files keep the first 200 problems in ``error_sample``), and the verdict."""

    unmapped: int = 0
    standard: str = ""
    region: str = ""
    learner: str = ""
    verdict: dict[str, Any] | None = None
    outcomes: list[Recognised] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "unmapped": self.unmapped, "standard": self.standard, "region": self.region}


# --- the mapping table --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    id: int
    code: str
    name: str
    status: str
    credits: Decimal
    hours: int | None


class MappingTable:
    """A standard's mappings by partner code and by exact name, and the current version of each
    item they map to: two queries, whatever the number of outcomes mapped."""

    def __init__(self, standard: RecognitionStandard) -> None:
        mappings = list(RecognitionMapping.objects.filter(standard=standard).order_by("partner_code"))
        self.by_code = {mapping.partner_code: mapping for mapping in mappings}
        names: dict[str, list[RecognitionMapping]] = {}
        for mapping in mappings:
            names.setdefault(validators.normalize_text(mapping.partner_name), []).append(mapping)
        # A name is used only when it names one mapping: two partner outcomes of the same name are
        # told apart by their codes alone.
        self.by_name = {name: found[0] for name, found in names.items() if len(found) == 1}
        self.items = {
            code: _Item(pk, code, name, status, credits, hours)
            for pk, code, name, status, credits, hours in CatalogItem.objects.filter(
                code__in={mapping.item_code for mapping in mappings}, is_current=True
            ).values_list("pk", "code", "name", "status", "credits", "learning_hours")
        }

    def find(self, codes: Iterable[str], name: str) -> RecognitionMapping | None:
        for code in codes:
            mapping = self.by_code.get(normalize_partner_code(code)) if code else None
            if mapping is not None:
                return mapping
        return self.by_name.get(validators.normalize_text(name)) if name else None


def credits_for(mapping: RecognitionMapping, item: _Item) -> Decimal:
    """Fixed credits, else the item's credits times the factor (1 by default), to one decimal."""
    if mapping.fixed_credits is not None:
        return mapping.fixed_credits
    factor = mapping.credit_factor if mapping.credit_factor is not None else Decimal("1")
    return (item.credits * factor).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _map(
    table: MappingTable, codes: Sequence[str], name: str, line: int, *, field_name: str
) -> tuple[Recognised, RecognitionMapping | None, _Item | None]:
    shown = next((code for code in codes if code), "")
    found = Recognised(line=line, status="", partner_code=shown, partner_name=name)
    mapping = table.find(codes, name)
    if mapping is None:
        found.status = "unmapped"
        found.errors = [
            row_error(
                field_name,
                Code.UNMAPPED,
                _("The standard's mapping table has no entry for {code} {name}.").format(code=shown, name=name).strip(),
            )
        ]
        return found, None, None
    found.partner_code = mapping.partner_code
    found.item_code = mapping.item_code
    item = table.items.get(mapping.item_code)
    if item is None or item.status != ItemStatus.PUBLISHED:
        code = Code.ITEM_RETIRED if item is not None and item.status == ItemStatus.RETIRED else Code.ITEM_UNKNOWN
        found.status = "error"
        found.errors = [
            row_error(
                field_name,
                code,
                _("The catalog item {code} that this outcome maps to is not published.").format(code=mapping.item_code),
            )
        ]
        return found, mapping, None
    return found, mapping, item


# --- storing ------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    found: Recognised
    learner_id: int
    item: _Item
    score: str
    achieved_on: dt.date
    certificate_no: str
    credits: Decimal
    external_id: str | None
    key: str = ""


class _Store:
    """Duplicates (natural key; external id for any org) with one query each per batch, then
    ``bulk_create`` and the ledger leaves, computed from the rows as stored (``digests.content``)."""

    def __init__(self, *, standard: RecognitionStandard, org: OrgUnit, dry_run: bool) -> None:
        self.standard = standard
        self.org = org
        self.dry_run = dry_run
        self.seen: set[tuple[int, str]] = set()
        self.seen_external: set[tuple[int, str]] = set()
        self.leaves = ledger_services.LeafBuffer()

    def write(self, candidates: list[_Candidate], result: RecognitionResult) -> None:
        for candidate in candidates:
            candidate.key = natural_key(
                candidate.item.code, certificate_no=candidate.certificate_no, achieved_on=candidate.achieved_on
            )
        learner_ids = sorted({candidate.learner_id for candidate in candidates})
        keys = {candidate.key for candidate in candidates}
        externals = {candidate.external_id for candidate in candidates if candidate.external_id}
        stored: set[tuple[int, str]] = set()
        stored_external: set[tuple[int, str]] = set()
        for start in range(0, len(learner_ids), 900):
            chunk = learner_ids[start : start + 900]
            stored.update(
                Outcome.objects.filter(learner_id__in=chunk, natural_key__in=keys).values_list(
                    "learner_id", "natural_key"
                )
            )
            if externals:
                stored_external.update(
                    (learner_id, external)
                    for learner_id, external in Outcome.objects.filter(
                        learner_id__in=chunk, external_id__in=externals
                    ).values_list("learner_id", "external_id")
                    if external is not None
                )
        now = timezone.now()
        new: list[tuple[_Candidate, Outcome]] = []
        for candidate in candidates:
            pair = (candidate.learner_id, candidate.key)
            external = (candidate.learner_id, candidate.external_id) if candidate.external_id else None
            if (
                pair in stored
                or pair in self.seen
                or (external is not None and (external in stored_external or external in self.seen_external))
            ):
                candidate.found.status = "duplicate"
                result.duplicates += 1
                continue
            self.seen.add(pair)
            if external is not None:
                self.seen_external.add(external)
            candidate.found.status = "stored"
            new.append(
                (
                    candidate,
                    Outcome(
                        learner_id=candidate.learner_id,
                        item_id=candidate.item.id,
                        item_code=candidate.item.code,
                        org=self.org,
                        org_path=self.org.path,
                        # Plain str values: the ledger's fast canonical JSON takes exact str only.
                        source=OutcomeSource.MUTUAL_RECOGNITION.value,
                        source_region=self.standard.region_code,
                        status=OutcomeStatus.STORED.value,
                        score=candidate.score,
                        achieved_on=candidate.achieved_on,
                        certificate_no=candidate.certificate_no,
                        hours=candidate.item.hours,
                        credits=candidate.credits,
                        natural_key=candidate.key,
                        external_id=candidate.external_id,
                        revoke_reason="",
                        created_at=now,
                        updated_at=now,
                    ),
                )
            )
        result.valid += len(new)
        if self.dry_run or not new:
            return
        outcomes = [outcome for _candidate, outcome in new]
        Outcome.objects.bulk_create(outcomes, batch_size=500)
        record_type = ledger_digests.OUTCOME
        for candidate, outcome in new:
            content = ledger_digests.content(record_type, [getattr(outcome, name) for name in record_type.columns])
            self.leaves.add(
                ledger_events.OUTCOME_STORED, outcome.pk, outcome.learner_id, ledger_digests.digest(content)
            )
            candidate.found.outcome_id = outcome.pk
        result.imported += len(new)

    def finish(self) -> None:
        if not self.dry_run:
            self.leaves.commit()


# --- checks shared by both ways in ---------------------------------------------------------------


def get_standard(code: str, *, published: bool = True) -> RecognitionStandard:
    """The standard of that number; 404 when there is none, 409 when it is not published."""
    standard = (
        RecognitionStandard.objects.select_related("partner_region")
        .filter(code=values.normalize_code(code or ""))
        .first()
    )
    if standard is None:
        raise NotFound(
            _("There is no mutual-recognition standard {code}.").format(code=code), code=Code.STANDARD_NOT_FOUND
        )
    if published and standard.status != StandardStatus.PUBLISHED:
        raise Conflict(
            _("The mutual-recognition standard {code} is not published.").format(code=standard.code),
            code=Code.STANDARD_NOT_PUBLISHED,
        )
    return standard


def _check_published(standard: RecognitionStandard) -> None:
    if standard.status != StandardStatus.PUBLISHED:
        raise Conflict(
            _("The mutual-recognition standard {code} is not published.").format(code=standard.code),
            code=Code.STANDARD_NOT_PUBLISHED,
        )


def _is_learner_actor(actor: Any, learner: Learner | None) -> bool:
    return learner is not None and actor is not None and learner.user_id is not None and learner.user_id == actor.pk


def _default_org(org: OrgUnit | None) -> OrgUnit:
    found = org or org_selectors.management_centre()
    if found is None:
        raise Conflict(_("The service network has no management centre yet."), code="management_centre_missing")
    return found


# --- a credential --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, str):
        return validators.normalize_text(value)
    if isinstance(value, dict):  # a language map or a value object
        inner = value.get("@value") or next((item for item in value.values() if isinstance(item, str)), "")
        return validators.normalize_text(inner)
    return ""


def _subject(document: Mapping[str, Any]) -> dict[str, Any]:
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    return subject if isinstance(subject, dict) else {}


def _assertions(document: dict[str, Any], types: list[str]) -> list[dict[str, Any]]:
    if "ClrCredential" in types:
        embedded = _subject(document).get("verifiableCredential")
        return [item for item in embedded if isinstance(item, dict)] if isinstance(embedded, list) else []
    if _OUTCOME_TYPES & set(types):
        return [document]
    return []


def _achievement_codes(achievement: Mapping[str, Any]) -> list[str]:
    """The partner's codes of an achievement, most specific first: its identifiers (OB 3.0
    §B.1.18 IdentifierEntry), ``humanCode``, its ``id``, and the last segment of that id."""
    identifiers = achievement.get("identifier")
    codes: list[str] = [
        entry["identifier"]
        for entry in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("identifier"), str)
    ]
    codes.extend(achievement[key] for key in ("humanCode", "id") if isinstance(achievement.get(key), str))
    if isinstance(achievement.get("id"), str):
        tail = achievement["id"].rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        codes.append(tail)
    return [code for code in codes if code and len(code) <= 200]


def _achieved_on(assertion: Mapping[str, Any], subject: Mapping[str, Any]) -> dt.date | None:
    for value in (subject.get("activityEndDate"), assertion.get("awardedDate"), assertion.get("validFrom")):
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is not None:
            return moment.astimezone(_LOCAL_ZONE).date()
    return None


def _score(subject: Mapping[str, Any]) -> str:
    results = subject.get("result")
    for entry in results if isinstance(results, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("value"), str | int | float):
            return str(entry["value"])
    return ""


@dataclass(frozen=True)
class _Identity:
    numbers: tuple[str, ...]  # ID numbers in clear, compacted
    hashes: tuple[tuple[str, str], ...]  # (sha256 hex, salt)


def _identity(subject: Mapping[str, Any]) -> _Identity:
    numbers: list[str] = []
    hashes: list[tuple[str, str]] = []
    identifiers = subject.get("identifier")
    for entry in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(entry, dict) or entry.get("identityType") not in ID_NUMBER_TYPES:
            continue
        value = entry.get("identityHash")
        if not isinstance(value, str):
            continue
        if entry.get("hashed") is True:
            # OB 3.0 §B.1.21: "sha256$" + hex(SHA-256(value + salt)).
            if value.startswith("sha256$"):
                salt = entry.get("salt")
                hashes.append((value.removeprefix("sha256$").lower(), salt if isinstance(salt, str) else ""))
        else:
            numbers.append(validators.compact(value).upper())
    return _Identity(tuple(numbers), tuple(hashes))


def _matches(identity: _Identity, learner: Learner) -> bool:
    if identity.numbers and learner.id_number_hash not in {pii.lookup_hash(number) for number in identity.numbers}:
        return False
    if identity.hashes:
        number = validators.compact(learner.id_number).upper()
        return any(hashlib.sha256((number + salt).encode()).hexdigest() == digest for digest, salt in identity.hashes)
    return True


def _find_learner(
    learner: Learner | None, subjects: list[Mapping[str, Any]], *, require_identity: bool = False
) -> Learner:
    identities = [_identity(subject) for subject in subjects]
    if require_identity and not any(identity.numbers or identity.hashes for identity in identities):
        # A learner's own import: a credential that names nobody could be anybody's.
        raise CredentialRefused(
            _("The credential does not carry your ID number, so it cannot be shown to be yours."),
            code=Code.SUBJECT_UNIDENTIFIED,
        )
    if learner is None:
        numbers = {number for identity in identities for number in identity.numbers}
        if not numbers:
            raise ValidationFailed.for_field(
                "learner",
                _("The credential does not say the learner's ID number; choose the learner it belongs to."),
                code=Code.LEARNER_REQUIRED,
            )
        found = list(Learner.objects.filter(id_number_hash__in=[pii.lookup_hash(number) for number in numbers])[:2])
        if len(found) != 1 or found[0].status == LearnerStatus.CLOSED:
            raise NotFound(
                _("No learner has an account with the ID number in this credential."), code=Code.LEARNER_NOT_FOUND
            )
        learner = found[0]
    for identity in identities:
        if not _matches(identity, learner):
            raise CredentialRefused(
                _("This credential was issued to another person than this learner."), code=Code.SUBJECT_MISMATCH
            )
    return learner


def _check_verdict(
    verdict: credentials.Verdict,
    document: dict[str, Any] | None,
    standard: RecognitionStandard,
    *,
    self_service: bool = False,
) -> None:
    if document is None or not verdict.types:
        raise CredentialRefused(verdict.message, code=Code.CREDENTIAL_INVALID, verdict=verdict)
    if not verdict.valid:
        unsigned = verdict.signature == "unchecked" and all(
            check.ok is not False or check.code in _UNSIGNED_CODES for check in verdict.checks
        )
        unsigned = unsigned and all(
            outcome.get("code_if_invalid", "") in ("", "missing_proof") for outcome in verdict.outcomes
        )
        unsigned = unsigned and verdict.code in _UNSIGNED_CODES
        if not unsigned:
            raise CredentialRefused(verdict.message, code=Code.CREDENTIAL_INVALID, verdict=verdict)
        if not standard.allows_unsigned:
            raise CredentialRefused(
                _("The credential is not signed, and this standard accepts signed credentials only."),
                code=Code.CREDENTIAL_UNSIGNED,
                verdict=verdict,
            )
    trusted = standard.trusted_issuer_list()
    if self_service and not trusted:
        # Any key verifies its own signature: without the partner's issuers named, a learner
        # could sign a credential themselves.
        raise CredentialRefused(
            _("This standard does not name the partner's issuers yet, so credentials cannot be imported here."),
            code=Code.CREDENTIAL_ISSUER_REGION,
            verdict=verdict,
        )
    if trusted:
        issuers = {verdict.issuer.get("id", "")}
        for assertion in _assertions(document, verdict.types):
            issuer = assertion.get("issuer")
            issuers.add(issuer.get("id", "") if isinstance(issuer, dict) else str(issuer or ""))
        if not issuers <= set(trusted):
            raise CredentialRefused(
                _("The credential was not issued by the partner this standard names."),
                code=Code.CREDENTIAL_ISSUER_REGION,
                verdict=verdict,
            )


def import_credential(
    learner: Learner | None,
    credential_json: dict[str, Any] | bytes | str,
    *,
    standard: RecognitionStandard,
    actor: Any,
    org: OrgUnit | None = None,
    dry_run: bool = False,
) -> RecognitionResult:
    """Verify a partner's credential and store the outcomes it attests that the standard maps.

    ``learner`` None: found by the ID number in the credential subject (OB 3.0 IdentityObject of
    type ``nationalIdentityNumber``, in clear); given, the subject's ID number (in clear or as a
    salted ``sha256$`` hash) must be theirs. ``actor`` None is the command line; the learner's own
    user imports into their own archive; staff need ``archive.import`` over the learner's org.
    A signed credential that does not verify, or an unsigned one under a standard that does not
    accept them, is refused (``CredentialRefused``, with the verdict) and nothing is stored."""
    started = time.perf_counter()
    _check_published(standard)
    self_service = _is_learner_actor(actor, learner)
    if self_service:
        assert learner is not None  # noqa: S101 - _is_learner_actor needs one
        limit, window = SELF_SERVICE_RATE_LIMIT
        ratelimit.hit(f"recognition:{learner.pk}", limit=limit, window=window)
    verdict = credentials.verify(credential_json)
    document: dict[str, Any] | None
    try:
        from creditbank.credentials.verification import parse_document

        document = parse_document(credential_json)
    except Exception:  # the verdict already says why (malformed_json, too_large, ...)
        document = None
    _check_verdict(verdict, document, standard, self_service=self_service)
    assert document is not None  # noqa: S101 - _check_verdict refuses a document that did not parse
    assertions = _assertions(document, verdict.types)
    if not assertions:
        raise CredentialRefused(
            _("Only Open Badges 3.0 and CLR 2.0 credentials can be imported."),
            code=Code.CREDENTIAL_UNSUPPORTED,
            verdict=verdict,
        )
    learner = _find_learner(
        learner, [_subject(document), *(_subject(item) for item in assertions)], require_identity=self_service
    )
    staff = actor is not None and not _is_learner_actor(actor, learner)
    if staff and not permissions.can(actor, IMPORT_ACTION, learner.org_path):
        # Out of scope looks like missing (404); a role without the action is 403.
        if permissions.can(actor, IMPORT_ACTION):
            raise NotFound(code=Code.LEARNER_NOT_FOUND)
        raise Forbidden(code="role_cannot_archive_import")
    depositing = org or learner.org
    table = MappingTable(standard)
    result = RecognitionResult(
        dry_run=dry_run,
        encoding="credential",
        standard=standard.code,
        region=standard.region_code,
        learner=learner.account_no,
        verdict={"valid": verdict.valid, "code": verdict.code, "message": verdict.message, "issuer": verdict.issuer},
    )
    candidates: list[_Candidate] = []
    for line, assertion in enumerate(assertions, start=1):
        subject = _subject(assertion)
        found_achievement = subject.get("achievement")
        achievement: dict[str, Any] = found_achievement if isinstance(found_achievement, dict) else {}
        name = _text(achievement.get("name")) or _text(assertion.get("name"))
        found, mapping, item = _map(table, _achievement_codes(achievement), name, line, field_name="achievement")
        result.outcomes.append(found)
        result.rows += 1
        if mapping is None or item is None:
            result.errors += 1
            result.unmapped += found.status == "unmapped"
            continue
        day = _achieved_on(assertion, subject)
        try:
            score = values.parse_score(validators.normalize_text(_score(subject)))
        except values.CellError:
            score = ""  # a partner's grade we cannot read is not a reason to refuse the outcome
        if day is None or day > timezone.localdate():
            found.status = "error"
            found.errors = [
                row_error("achievement", Code.DATE_REQUIRED, _("The credential does not say when it was achieved."))
            ]
            result.errors += 1
            continue
        credits = credits_for(mapping, item)
        found.credits = str(credits)
        assertion_id = assertion.get("id") if isinstance(assertion.get("id"), str) else ""
        candidates.append(
            _Candidate(found, learner.pk, item, score, day, "", credits, (assertion_id or "")[:64] or None)
        )
    store = _Store(standard=standard, org=depositing, dry_run=dry_run)

    def body() -> None:
        if candidates:
            # One import of a learner's credentials at a time: the second of two at once (a
            # double click) then finds the first one's outcomes stored, and reports duplicates.
            Learner.objects.select_for_update().filter(pk=learner.pk).first()
            store.write(candidates, result)
        store.finish()

    run_once(
        body,
        result,
        dry_run=dry_run,
        strict=False,
        record=_logged(
            lambda: audit.record(
                actor=actor,
                action=CREDENTIAL_AUDIT_ACTION,
                obj=learner,
                org_path=learner.org_path,
                after={
                    **result.as_json(),
                    "credential": verdict.credential_id[:200],
                    "issuer": verdict.issuer.get("id", "")[:200],
                    "outcomes": [found.outcome_id for found in result.outcomes if found.outcome_id],
                },
            )
        ),
    )
    if dry_run:
        result.imported = result.valid
    result.seconds = time.perf_counter() - started
    return result


# --- the partner's file --------------------------------------------------------------------------


def import_partner_xlsx(
    file: Source,
    *,
    standard: RecognitionStandard,
    actor: Any,
    org: OrgUnit | None = None,
    filename: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    on_row_error: Callable[[RowError], None] | None = None,
) -> RecognitionResult:
    """Store the outcomes of a partner's bulk file (XLSX or CSV in its layout) that the standard
    maps, on behalf of ``org`` (the management centre by default). Rows whose learner we do not
    know, whose name does not match, whose code does not map or whose date is bad are reported
    with their line. Per batch of rows: one query for the learners, one for stored natural keys."""
    started = time.perf_counter()
    _check_published(standard)
    depositing = _default_org(org)
    if actor is not None and not permissions.can(actor, IMPORT_ACTION, depositing.path):
        raise Forbidden(code="role_cannot_archive_import")
    name = source_name(file, filename)
    table = MappingTable(standard)
    result = RecognitionResult(dry_run=dry_run, strict=strict, standard=standard.code, region=standard.region_code)
    store = _Store(standard=standard, org=depositing, dry_run=dry_run)
    today = timezone.localdate()
    with open_table(file, filename=name, columns=PARTNER_COLUMNS) as opened:
        result.encoding = opened.encoding

        def report(found: Recognised, row: TableRow) -> None:
            result.errors += 1
            result.unmapped += found.status == "unmapped"
            error = RowError(line=row.line, cells=tuple(row.cells), errors=tuple(found.errors), labels=PARTNER_LABELS)
            if len(result.error_sample) < 200:
                result.error_sample.append(error.as_dict())
            if on_row_error is not None:
                on_row_error(error)

        def batch(rows: list[TableRow]) -> None:
            checked = []
            hashes = set()
            for row in rows:
                number = validators.compact(opened.cell(row, "id_number")).upper()
                id_hash = pii.lookup_hash(number) if number else ""
                if id_hash:
                    hashes.add(id_hash)
                checked.append((row, id_hash))
            learners = {
                id_hash: (pk, learner_name, status)
                for id_hash, pk, learner_name, status in Learner.objects.filter(
                    id_number_hash__in=sorted(hashes)
                ).values_list("id_number_hash", "pk", "name", "status")
            }
            candidates: list[_Candidate] = []
            for row, id_hash in checked:
                result.rows += 1
                partner_code = opened.cell(row, "partner_code")
                partner_name = validators.normalize_text(opened.cell(row, "partner_name"))
                found, mapping, item = _map(table, [partner_code], partner_name, row.line, field_name="partner_code")
                errors = list(found.errors)
                learner = learners.get(id_hash) if id_hash else None
                if learner is None or learner[2] == LearnerStatus.CLOSED:
                    errors.insert(
                        0,
                        row_error(
                            "id_number",
                            Code.LEARNER_NOT_FOUND,
                            _("No learner has an account with this ID number; open the account first."),
                        ),
                    )
                elif name_key(learner[1]) != name_key(opened.cell(row, "name")):
                    errors.insert(
                        0,
                        row_error(
                            "name", Code.NAME_MISMATCH, _("The name does not match the account with this ID number.")
                        ),
                    )
                day = score = None
                try:
                    day = values.parse_date(opened.cell(row, "achieved_on"), today=today)
                except values.CellError as exc:
                    errors.append(row_error("achieved_on", exc.code, exc.message))
                try:
                    score = values.parse_score(opened.cell(row, "score"))
                except values.CellError as exc:
                    errors.append(row_error("score", exc.code, exc.message))
                certificate_no = values.normalize_certificate_no(opened.cell(row, "certificate_no"))
                if len(certificate_no) > 64:
                    errors.append(
                        row_error(
                            "certificate_no",
                            "certificate_no_too_long",
                            _("A certificate number has at most 64 characters."),
                        )
                    )
                if errors or learner is None or mapping is None or item is None or day is None:
                    found.status = "unmapped" if found.status == "unmapped" else "error"
                    found.errors = errors
                    report(found, row)
                    continue
                credits = credits_for(mapping, item)
                found.credits = str(credits)
                candidates.append(_Candidate(found, learner[0], item, score or "", day, certificate_no, credits, None))
            if candidates and not (strict and result.errors):
                store.write(candidates, result)
            elif candidates:
                result.valid += len(candidates)

        def body() -> None:
            for rows in batches(iter(opened.rows()), BATCH_ROWS):
                batch(rows)
            if not (strict and result.errors):
                store.finish()

        run_once(
            body,
            result,
            dry_run=dry_run,
            strict=strict,
            record=_logged(
                lambda: audit.record(
                    actor=actor,
                    action=FILE_AUDIT_ACTION,
                    object_type="recognition.file",
                    object_id=standard.code,
                    object_repr=Path(name).name[:200],
                    org_path=depositing.path,
                    after={**result.as_json(), "strict": strict, "org": depositing.code},
                )
            ),
        )
    if strict and result.errors:
        result.imported = 0
    elif dry_run:
        result.imported = result.valid
    result.seconds = time.perf_counter() - started
    return result


def import_file(
    path: Path,
    *,
    standard: RecognitionStandard,
    actor: Any = None,
    learner: Learner | None = None,
    org: OrgUnit | None = None,
    dry_run: bool = False,
    strict: bool = False,
    on_row_error: Callable[[RowError], None] | None = None,
) -> RecognitionResult:
    """``creditbank import-recognised``: a ``.json`` credential or a partner ``.xlsx``/``.csv`` file."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonld"):
        return import_credential(learner, path.read_bytes(), standard=standard, actor=actor, org=org, dry_run=dry_run)
    if suffix in (".xlsx", ".xlsm", ".csv", ".txt"):
        return import_partner_xlsx(
            path,
            standard=standard,
            actor=actor,
            org=org,
            filename=path.name,
            dry_run=dry_run,
            strict=strict,
            on_row_error=on_row_error,
        )
    raise ValidationFailed.for_field(
        "file",
        _("Give a credential (.json) or the partner's file (.xlsx or .csv)."),
        code=Code.FILE_TYPE_UNSUPPORTED,
    )


def read_credential_upload(upload: Any, text: str) -> bytes:
    """A credential's bytes, from an uploaded file or pasted text (one is required, at most 2 MB)."""
    from creditbank.credentials.verification import MAX_DOCUMENT_BYTES

    if upload is not None:
        if (upload.size or 0) > MAX_DOCUMENT_BYTES:
            raise ValidationFailed.for_field("credential", _("The document is larger than 2 MB."), code="too_large")
        return bytes(upload.read())
    if text and text.strip():
        return text.encode()
    raise ValidationFailed.for_field(
        "credential", _("Choose the credential file, or paste its JSON."), code="credential_required"
    )


def learner_by_account(account_no: str) -> Learner:
    learner = Learner.objects.select_related("org").filter(account_no=validators.compact(account_no).upper()).first()
    if learner is None:
        raise NotFound(
            _("No learner has the account number {number}.").format(number=account_no), code=Code.LEARNER_NOT_FOUND
        )
    return learner


@transaction.atomic
def publish_standard(standard: RecognitionStandard, *, actor: Any = None) -> RecognitionStandard:
    """Publish a draft standard (today), so that it maps outcomes."""
    standard = RecognitionStandard.objects.select_for_update().get(pk=standard.pk)
    if standard.status == StandardStatus.PUBLISHED:
        return standard
    before = {"status": standard.status}
    standard.status = StandardStatus.PUBLISHED
    standard.published_on = standard.published_on or timezone.localdate()
    standard.save(update_fields=["status", "published_on", "updated_at"])
    audit.record(
        actor=actor,
        action="recognition.publish_standard",
        obj=standard,
        before=before,
        after={"status": standard.status},
    )
    return standard


def _logged(write: Callable[[], Any]) -> Callable[[], None]:
    """``run_once`` wants a callable that returns nothing; the audit service returns its row."""

    def record() -> None:
        write()

    return record
