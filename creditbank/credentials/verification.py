"""Verifying a credential: ours or any issuer's that follows the same standards (VC 2.0, Data
Integrity eddsa-jcs-2022, did:key / did:web, Bitstring Status List). ``verify`` never raises: every
way a document can fail is a ``Verdict`` with a stable ``code`` and a translated message.

Order of checks (each failure stops the ones after it, except that dates and status are still
reported for a document whose signature failed to be checked): JSON → shape and @context →
proof type and cryptosuite → verification method (resolved, controlled by the issuer,
authorised for assertions) → signature → validity period → status list → embedded credentials
(a CLR transcript) → for our own credentials, the archive and the ledger.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditbank.core import pii
from creditbank.credentials import dataintegrity, did, documents, fetch, statuslist
from creditbank.credentials.dataintegrity import ProofError, parse_datetime

logger = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
_MAX_EMBEDDED = 1000

KNOWN_CONTEXTS = frozenset(
    {
        documents.VC_CONTEXT,
        documents.STATUS_CONTEXT,
        # Open Badges 3.0.x (1EdTech publishes one file per revision, and the extensions).
        "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.0.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        # CLR 2.0.x, the transcript format (documents.py says why).
        "https://purl.imsglobal.org/spec/clr/v2p0/context.json",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.0.json",
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    }
)
_OUTCOME_TYPES = {"OpenBadgeCredential", "AchievementCredential"}


_MESSAGES = {
    "valid": _("The credential is valid: signed by its issuer, unchanged, and not revoked."),
    "empty": _("Paste the credential's JSON, or choose its file."),
    "malformed_json": _("This is not valid JSON."),
    "too_large": _("The document is larger than 2 MB."),
    "not_a_credential": _("This JSON is not a verifiable credential (VC 2.0)."),
    "unknown_context": _("The credential uses a @context this verifier does not know."),
    "missing_proof": _("The credential has no proof: it is not signed."),
    "unsupported_proof_type": _("The proof type is not supported (only DataIntegrityProof)."),
    "unsupported_cryptosuite": _("The cryptosuite is not supported (only eddsa-jcs-2022)."),
    "malformed_proof": _("The proof is incomplete or malformed."),
    "not_canonicalizable": _("The credential contains values that cannot be canonicalised (RFC 8785)."),
    "previous_proof_missing": _("A proof refers to an earlier proof that is not in the credential."),
    "unsupported_verification_method": _("The signing key is neither a did:key nor a did:web key."),
    "verification_method_unresolvable": _("The issuer's DID document could not be retrieved."),
    "verification_method_not_found": _("The issuer's DID document does not contain the signing key."),
    "verification_method_not_authorized": _("The issuer's DID document does not allow this key to sign credentials."),
    "unsupported_key_type": _("The signing key is not an Ed25519 key."),
    "malformed_key": _("The signing key is not a valid Ed25519 key."),
    "wrong_proof_purpose": _("The proof was not made for issuing credentials (assertionMethod)."),
    "issuer_mismatch": _("The credential was signed with a key that does not belong to its issuer."),
    "signature_invalid": _(
        "The signature does not match: the credential was changed after it was signed, or signed with another key."
    ),
    "proof_expired": _("The proof has expired."),
    "malformed_dates": _("validFrom or validUntil is not a valid date and time."),
    "not_yet_valid": _("The credential is not valid yet (validFrom is in the future)."),
    "expired": _("The credential has expired (validUntil has passed)."),
    "revoked": _("The credential has been revoked by its issuer."),
    "suspended": _("The credential has been suspended by its issuer."),
    "invalid_status_entry": _("The credential's status entry is malformed."),
    "status_list_unreachable": _("The issuer's status list could not be retrieved, so revocation cannot be checked."),
    "status_list_invalid": _("The issuer's status list is invalid, so revocation cannot be checked."),
    "embedded_credential_invalid": _("At least one of the outcome credentials in this transcript is not valid."),
    "archive_mismatch": _(
        "The signature is valid, but the archive record no longer says what the credential says: ask the issuer."
    ),
    "record_altered": _(
        "The signature is valid, but the archive record it attests was changed outside the application, "
        "behind the ledger's back: do not rely on it, and tell the issuer."
    ),
    "not_in_ledger": _("The ledger has no entry for this record yet, so it could not be compared."),
    "verification_error": _("The credential could not be verified because of an internal error."),
}


def message_for(code: str) -> str:
    return str(_MESSAGES.get(code, code))


_CHECK_LABELS = {
    "document": _("Document"),
    "signature": _("Signature"),
    "validity": _("Validity period"),
    "status": _("Revocation status"),
    "embedded": _("Outcome credentials in the transcript"),
    "archive": _("Archive record"),
    "ledger": _("Tamper-evident ledger"),
}


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not checked
    code: str = ""
    message: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or str(_CHECK_LABELS.get(self.name, self.name))


@dataclass
class Verdict:
    """What a verifier learns about a document. ``valid`` only when every check passed."""

    valid: bool
    code: str
    message: str
    kind: str = ""
    credential_id: str = ""
    types: list[str] = field(default_factory=list)
    name: str = ""
    issuer: dict[str, str] = field(default_factory=dict)
    learner: dict[str, str] = field(default_factory=dict)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    total_credits: str = ""
    signature: str = "unchecked"  # valid, invalid, unchecked
    status: str = "unchecked"  # active, revoked, suspended, none (no status entry), unchecked
    valid_from: str = ""
    valid_until: str = ""
    is_ours: bool = False
    ledger: list[dict[str, Any]] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Failure(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(code)


def _reject_constant(value: str) -> Any:
    raise ValueError(f"{value} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two parsers may keep different copies of a duplicated key: a signed document must have none.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def parse_document(document: dict[str, Any] | bytes | str) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    if isinstance(document, bytes | bytearray | memoryview):
        raw = bytes(document)
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise _Failure("too_large")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _Failure("malformed_json", f"not UTF-8 at byte {exc.start}") from exc
    elif isinstance(document, str):
        text = document
        if len(text) > MAX_DOCUMENT_BYTES:
            raise _Failure("too_large")
    else:
        raise _Failure("not_a_credential", "a JSON object is expected")
    try:
        try:
            value = dataintegrity.parse_plain_json(text, _no_duplicates)
        except dataintegrity.NotPlain:
            value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise _Failure("malformed_json", "nested too deeply") from exc
    except ValueError as exc:
        raise _Failure("malformed_json", str(exc)) from exc
    if not isinstance(value, dict):
        raise _Failure("not_a_credential", "a JSON object is expected")
    return value


def _known_contexts() -> frozenset[str]:
    extra = getattr(settings, "CREDITBANK_EXTRA_CREDENTIAL_CONTEXTS", ())
    return KNOWN_CONTEXTS | frozenset(extra)


def _check_shape(document: dict[str, Any]) -> list[str]:
    contexts = document.get("@context")
    if not isinstance(contexts, list) or not contexts:
        raise _Failure("not_a_credential", "@context must be a list that starts with the VC 2.0 context")
    if contexts[0] != documents.VC_CONTEXT:
        raise _Failure("unknown_context", f"the first @context must be {documents.VC_CONTEXT}")
    known = _known_contexts()
    for context in contexts:
        if not isinstance(context, str) or context not in known:
            shown = context if isinstance(context, str) else "(an embedded context object)"
            raise _Failure("unknown_context", shown[:200])
    types = document.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise _Failure("not_a_credential", "type must include VerifiableCredential")
    if not all(isinstance(item, str) for item in types):
        raise _Failure("not_a_credential", "type must be a list of strings")
    if _issuer_id(document) is None:
        raise _Failure("not_a_credential", "issuer is missing")
    if not isinstance(document.get("credentialSubject"), dict | list):
        raise _Failure("not_a_credential", "credentialSubject is missing")
    return types


def _issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def _check_proofs(document: dict[str, Any], issuer: str) -> None:
    """Every proof must verify; at least one must be by a key of the issuer (VC 2.0 §4.12: the
    issuer is who signs; without this, anyone's did:key could sign in another issuer's name)."""
    try:
        proofs = dataintegrity.proofs_of(document)
    except ProofError as exc:
        raise _Failure(exc.code, str(exc)) from exc
    if not proofs:
        raise _Failure("missing_proof")
    by_issuer = False
    for proof in proofs:
        if proof.get("type") != dataintegrity.PROOF_TYPE:
            raise _Failure("unsupported_proof_type", str(proof.get("type"))[:100])
        if proof.get("cryptosuite") != dataintegrity.CRYPTOSUITE:
            raise _Failure("unsupported_cryptosuite", str(proof.get("cryptosuite"))[:100])
        purpose = proof.get("proofPurpose")
        if purpose != "assertionMethod":
            raise _Failure("wrong_proof_purpose", str(purpose)[:100])
        expires = proof.get("expires")
        if expires is not None:
            moment = parse_datetime(expires)
            if moment is None:
                raise _Failure("malformed_proof", "proof.expires is not a dateTime")
            if moment < timezone.now():
                raise _Failure("proof_expired")
        try:
            key = did.resolve_verification_method(proof.get("verificationMethod"), purpose="assertionMethod")
        except did.ResolutionError as exc:
            raise _Failure(exc.code, str(exc)) from exc
        try:
            verified = dataintegrity.verify_proof(document, proof, key.public_key)
        except ProofError as exc:
            raise _Failure(exc.code, str(exc)) from exc
        if not verified:
            raise _Failure("signature_invalid")
        by_issuer = by_issuer or key.controller == issuer
    if not by_issuer:
        raise _Failure("issuer_mismatch", f"the issuer is {issuer[:200]}")


def _check_dates(document: dict[str, Any], verdict: Verdict) -> str:
    """'' when the credential is valid now, else the failure code."""
    now = timezone.now()
    valid_from = document.get("validFrom")
    valid_until = document.get("validUntil")
    start = parse_datetime(valid_from) if valid_from is not None else None
    end = parse_datetime(valid_until) if valid_until is not None else None
    if (valid_from is not None and start is None) or (valid_until is not None and end is None):
        return "malformed_dates"
    verdict.valid_from = valid_from or ""
    verdict.valid_until = valid_until or ""
    if start is not None and now < start:
        return "not_yet_valid"
    if end is not None and now > end:
        return "expired"
    return ""


def _status_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    status = document.get("credentialStatus")
    if status is None:
        return []
    entries = status if isinstance(status, list) else [status]
    if not entries or not all(isinstance(entry, dict) for entry in entries):
        raise _Failure("invalid_status_entry")
    return entries


def _own_status_list_id(url: str) -> int | None:
    prefix = documents.public_url("/api/v1/credentials/status/")
    if not url.startswith(prefix):
        return None
    tail = url[len(prefix) :]
    return int(tail) if tail.isdigit() and len(tail) < 12 else None


def _remote_status_bits(url: str, purpose: str, issuer: str) -> bytes:
    try:
        status_document = fetch.fetch_json(url)
    except fetch.FetchError as exc:
        raise _Failure("status_list_unreachable", str(exc)) from exc
    try:
        _check_shape(status_document)
        types = status_document.get("type")
        if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
            raise _Failure("status_list_invalid", "not a BitstringStatusListCredential")
        if status_document.get("id") != url:
            raise _Failure("status_list_invalid", "the status list has another id than its URL")
        _check_proofs(status_document, _issuer_id(status_document) or "")
        if _issuer_id(status_document) != issuer:
            raise _Failure("status_list_invalid", "the status list has another issuer")
        dates = _check_dates(status_document, Verdict(valid=False, code="", message=""))
        if dates:
            raise _Failure("status_list_invalid", "the status list is " + dates.replace("_", " "))
        subject = status_document.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
            raise _Failure("status_list_invalid", "credentialSubject is not a BitstringStatusList")
        if subject.get("statusPurpose") != purpose:
            raise _Failure("status_list_invalid", "the status list has another statusPurpose")
        return statuslist.decode_list(subject.get("encodedList"))
    except statuslist.StatusListError as exc:
        raise _Failure("status_list_invalid", str(exc)) from exc
    except _Failure as exc:
        if exc.code.startswith("status_list"):
            raise
        raise _Failure("status_list_invalid", f"{exc.code} {exc.detail}".strip()) from exc


def _check_status(document: dict[str, Any], issuer: str) -> str:
    """'active', 'none', 'revoked' or 'suspended' (a failure raises)."""
    from creditbank.credentials import services

    entries = _status_entries(document)
    if not entries:
        return "none"
    result = "active"
    for entry in entries:
        if entry.get("type") != "BitstringStatusListEntry":
            raise _Failure("invalid_status_entry", "type is not BitstringStatusListEntry")
        purpose = entry.get("statusPurpose")
        index_text = entry.get("statusListIndex")
        url = entry.get("statusListCredential")
        if purpose not in ("revocation", "suspension") or not isinstance(url, str):
            raise _Failure("invalid_status_entry", "statusPurpose or statusListCredential is missing")
        if not isinstance(index_text, str) or not index_text.isdigit() or len(index_text) > 10:
            raise _Failure("invalid_status_entry", "statusListIndex is not a non-negative integer")
        index = int(index_text)
        own_id = _own_status_list_id(url) if issuer == did.own_did() else None
        if own_id is not None and purpose == "revocation":
            bits = services.status_list_bits(own_id)
            if bits is None:
                raise _Failure("status_list_invalid", "no such status list")
        else:
            bits = _remote_status_bits(url, purpose, issuer)
        if index >= len(bits) * 8:
            raise _Failure("status_list_invalid", "statusListIndex is beyond the list")
        if statuslist.get_bit(bits, index):
            result = "revoked" if purpose == "revocation" else ("suspended" if result == "active" else result)
    return result


def _masked_name(subject: dict[str, Any]) -> str:
    for identity in _items(subject.get("identifier")):
        if (
            isinstance(identity, dict)
            and identity.get("identityType") == "name"
            and identity.get("hashed") is False
            and isinstance(identity.get("identityHash"), str)
        ):
            return pii.mask_name(identity["identityHash"])
    name = subject.get("name")
    return pii.mask_name(name) if isinstance(name, str) else ""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):  # a language map or a value object
        inner = value.get("@value") or next((item for item in value.values() if isinstance(item, str)), "")
        return str(inner)
    return ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _subject(document: dict[str, Any]) -> dict[str, Any]:
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    return _object(subject)


def _outcome_summary(document: dict[str, Any]) -> dict[str, Any]:
    subject = _subject(document)
    achievement = _object(subject.get("achievement"))
    level = ""
    for alignment in _items(achievement.get("alignment")):
        if isinstance(alignment, dict) and alignment.get("targetType") == "ext:FrameworkLevel":
            level = _text(alignment.get("targetName"))
    credits = subject.get("creditsEarned", achievement.get("creditsAvailable"))
    creator = _object(achievement.get("creator"))
    return {
        "credential_id": _text(document.get("id")),
        "name": _text(achievement.get("name")) or _text(document.get("name")),
        "code": _text(achievement.get("humanCode")),
        "type": _text(achievement.get("achievementType")),
        "awarded_by": _text(creator.get("name")),
        "credits": _decimal_text(credits),
        "level": level,
        "achieved_on": _text(subject.get("activityEndDate"))[:10],
        "status": "",
        "valid": True,
        "code_if_invalid": "",
    }


def _decimal_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return ""
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.1")))
    except InvalidOperation:
        return ""


def _fill_summary(document: dict[str, Any], verdict: Verdict, types: list[str]) -> None:
    verdict.types = types
    verdict.credential_id = _text(document.get("id"))
    verdict.name = _text(document.get("name"))
    issuer = document.get("issuer")
    verdict.issuer = {
        "id": _issuer_id(document) or "",
        "name": _text(issuer.get("name")) if isinstance(issuer, dict) else "",
    }
    subject = _subject(document)
    if subject:
        verdict.learner = {"id": _text(subject.get("id")), "name": _masked_name(subject)}
    if "ClrCredential" in types:
        verdict.kind = "transcript"
    elif _OUTCOME_TYPES & set(types):
        verdict.kind = "outcome"
        verdict.outcomes = [_outcome_summary(document)]
    elif "BitstringStatusListCredential" in types:
        verdict.kind = "status_list"
    else:
        verdict.kind = "other"


def _verify_document(document: dict[str, Any], *, embedded: bool = False) -> Verdict:
    verdict = Verdict(valid=False, code="", message="")
    types = _check_shape(document)
    _fill_summary(document, verdict, types)
    issuer = verdict.issuer["id"]
    verdict.is_ours = issuer == did.own_did()
    failure = ""
    try:
        _check_proofs(document, issuer)
        verdict.signature = "valid"
        verdict.checks.append(Check("signature", True))
    except _Failure as exc:
        verdict.signature = "invalid" if exc.code in ("signature_invalid", "issuer_mismatch") else "unchecked"
        verdict.checks.append(Check("signature", False, exc.code, _detail(exc)))
        failure = exc.code
    dates = _check_dates(document, verdict)
    verdict.checks.append(Check("validity", not dates, dates, message_for(dates) if dates else ""))
    failure = failure or dates
    if verdict.signature == "valid":
        try:
            verdict.status = _check_status(document, issuer)
            revoked = verdict.status in ("revoked", "suspended")
            verdict.checks.append(Check("status", not revoked, verdict.status if revoked else ""))
            failure = failure or (verdict.status if revoked else "")
        except _Failure as exc:
            verdict.checks.append(Check("status", None, exc.code, _detail(exc)))
            failure = failure or exc.code
    for outcome in verdict.outcomes:
        outcome["status"] = verdict.status
        outcome["valid"] = not failure
        outcome["code_if_invalid"] = failure
    if verdict.kind == "transcript" and not embedded:
        embedded_failure = _verify_embedded(document, verdict)
        failure = failure or embedded_failure
    verdict.valid = not failure
    verdict.code = failure or "valid"
    verdict.message = message_for(verdict.code)
    return verdict


def _verify_embedded(document: dict[str, Any], verdict: Verdict) -> str:
    subject = document.get("credentialSubject")
    embedded = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    if not isinstance(embedded, list) or not embedded or len(embedded) > _MAX_EMBEDDED:
        verdict.checks.append(Check("embedded", False, "not_a_credential", "verifiableCredential is missing"))
        return "not_a_credential"
    total = Decimal("0")
    failed = False
    for item in embedded:
        if not isinstance(item, dict):
            failed = True
            verdict.outcomes.append({"valid": False, "code_if_invalid": "not_a_credential", "name": "", "status": ""})
            continue
        try:
            inner = _verify_document(item, embedded=True)
        except _Failure as exc:
            failed = True
            verdict.outcomes.append(
                {"valid": False, "code_if_invalid": exc.code, "name": _text(item.get("name")), "status": ""}
            )
            continue
        summary = inner.outcomes[0] if inner.outcomes else {"name": inner.name, "credits": ""}
        summary.update(valid=inner.valid, code_if_invalid="" if inner.valid else inner.code, status=inner.status)
        verdict.outcomes.append(summary)
        failed = failed or not inner.valid
        if inner.valid and summary.get("credits"):
            total += Decimal(summary["credits"])
    verdict.total_credits = str(total)
    verdict.checks.append(Check("embedded", not failed, "embedded_credential_invalid" if failed else ""))
    return "embedded_credential_invalid" if failed else ""


def _detail(exc: _Failure) -> str:
    message = message_for(exc.code)
    return f"{message} ({exc.detail})" if exc.detail else message


def verify(document: dict[str, Any] | bytes | str, *, with_records: bool = True) -> Verdict:
    """The verdict on ``document`` (parsed JSON, or its bytes or text). Never raises.

    ``with_records`` (our own credentials only): also compare the archive rows the credential
    attests with what it says, and add the ledger's inclusion proofs of those rows."""
    try:
        parsed = parse_document(document)
        with fetch.budget():  # other issuers' documents: a bounded number per verification
            verdict = _verify_document(parsed)
        if verdict.is_ours and with_records:
            _add_own_records(verdict)
        return verdict
    except _Failure as exc:
        return Verdict(
            valid=False,
            code=exc.code,
            message=message_for(exc.code),
            checks=[Check("document", False, exc.code, _detail(exc))],
        )
    except Exception:
        logger.exception("credential verification failed")
        return Verdict(valid=False, code="verification_error", message=message_for("verification_error"))


def _add_own_records(verdict: Verdict) -> None:
    """For our own credentials: the archive rows and ledger proofs of the outcomes attested. A row
    changed behind the application's back (the ledger's digest no longer matches it), or one that
    no longer says what the credential says, makes the verdict fail: one of the two was altered."""
    from creditbank.credentials import selectors

    records = selectors.own_records(verdict)
    verdict.records = records
    if not records:
        return
    with_ledger = [record for record in records if record["inclusion"] is not None]
    verdict.ledger = with_ledger or None
    failure = ""
    if with_ledger:
        altered = any(entry.get("record_intact") is False for record in with_ledger for entry in record["inclusion"])
        if altered:
            verdict.checks.append(Check("ledger", False, "record_altered", message_for("record_altered")))
            failure = "record_altered"
        elif all(record["inclusion"] for record in with_ledger):
            verdict.checks.append(Check("ledger", True))
        else:  # recorded before the ledger existed, and not backfilled yet: nothing to compare with
            verdict.checks.append(Check("ledger", None, "not_in_ledger", message_for("not_in_ledger")))
    matches = all(record["archive_matches"] for record in records)
    verdict.checks.append(
        Check(
            "archive",
            matches,
            "" if matches else "archive_mismatch",
            "" if matches else message_for("archive_mismatch"),
        )
    )
    failure = failure or ("" if matches else "archive_mismatch")
    if failure and verdict.valid:
        verdict.valid = False
        verdict.code = failure
        verdict.message = message_for(failure)
