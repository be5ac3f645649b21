"""The unsigned shapes: a certified outcome as a 1EdTech Open Badges 3.0 ``OpenBadgeCredential``,
the archive as a CLR 2.0 ``ClrCredential`` (a transcript), and a Bitstring Status List credential.

Why CLR for the transcript (docs/decisions/0006-verifiable-credentials.md): an OB 3.0
``AchievementSubject`` holds exactly one ``achievement``, so several outcomes in one OB3 credential
would have to be squeezed into ``result``/``resultDescription`` entries that have no place for a
date, a level or a certifying centre. CLR 2.0 is 1EdTech's transcript format built for exactly
this: its ``ClrSubject.verifiableCredential`` carries the learner's OB3 credentials unchanged,
each signed and revocable on its own, so a verifier can check every outcome separately and an
OB3-only wallet can still take them out one by one.

All text in the credentials is in the deployment's language (``settings.LANGUAGE_CODE``), not the
language of whoever asked for the download: the signed document must not depend on a browser.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from creditbank.core import pii
from creditbank.credentials.dataintegrity import format_datetime

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
STATUS_CONTEXT = "https://www.w3.org/ns/credentials/status/v1"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
CLR_SCHEMA = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
SCHEMA_VALIDATOR = "1EdTechJsonSchemaValidator2019"

# Outcome types (catalog migration 0002) as OB 3.0 AchievementType values (§B.1.1); the
# extension form ``ext:…`` where OB 3.0 has no fitting term.
ACHIEVEMENT_TYPES = {
    "degree_course": "Course",
    "self_study_exam": "Course",
    "non_degree_training": "CertificateOfCompletion",
    "skill_level_certificate": "Certificate",
    "one_plus_x": "Certificate",
    "professional_qualification": "Certification",
    "competition_award": "Award",
    "technical_innovation": "ext:TechnicalInnovation",
    "practice": "Fieldwork",
    "community_elderly": "Course",
    "mooc": "Course",
}


def public_url(path: str = "") -> str:
    return settings.CREDITBANK_PUBLIC_URL + path


def learner_subject_id(learner: Any) -> str:
    """A keyed hash of the learner's account (``pii.lookup_hash``): stable for one deployment and
    learner, and meaningless to anyone without the deployment's key; never the ID number."""
    return "urn:creditbank:learner:" + pii.lookup_hash("credential-subject:" + learner.account_no)


def _credits(value: Decimal) -> float:
    # OB 3.0 types credits as xsd:float; one decimal place (the catalog's precision) is exact enough.
    return float(value)


def _identifier(learner: Any) -> list[dict[str, Any]]:
    # OB 3.0 §B.1.21 IdentityObject: the masked name in clear (hashed false), for a person to recognise.
    return [
        {"type": "IdentityObject", "hashed": False, "identityHash": pii.mask_name(learner.name), "identityType": "name"}
    ]


def issuer_profile(did: str) -> dict[str, Any]:
    return {"id": did, "type": ["Profile"], "name": settings.CREDITBANK_ISSUER_NAME, "url": public_url("/")}


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """Bitstring Status List v1.0 §2.1 BitstringStatusListEntry."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def _achievement(outcome: Any) -> dict[str, Any]:
    item = outcome.item
    achievement_id = public_url(f"/api/v1/catalog/items/{item.code}")
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES.get(item.outcome_type.code, "Achievement"),
        "name": item.name,
        "humanCode": item.code,
        "version": str(item.version),
        "inLanguage": "zh-CN",
        "creator": {"id": f"urn:creditbank:issuer:{item.issuer.code}", "type": ["Profile"], "name": item.issuer.name},
        "creditsAvailable": _credits(item.credits),
        "tag": [item.outcome_type.name],
    }
    if item.standard_id is not None:
        criteria = _("Certified against the standard “{title}” ({number}).").format(
            title=item.standard.title, number=item.standard.number
        )
    else:
        criteria = _("Certified by the credit bank against the published catalog item {code}.").format(code=item.code)
    if item.evidence_required:
        criteria += " " + _("Evidence required: {evidence}").format(evidence=item.evidence_required)
    achievement["criteria"] = {"narrative": criteria}
    if item.discipline_id is not None:
        achievement["fieldOfStudy"] = item.discipline.name
    if item.level_id is not None:
        level = item.level
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": level.name,
                "targetCode": str(level.number),
                "targetDescription": level.descriptor,
                "targetFramework": _("Learning-outcome framework"),
                "targetType": "ext:FrameworkLevel",
                "targetUrl": public_url(f"/api/v1/catalog/items?level={level.number}"),
            }
        ]
    if outcome.score:
        achievement["resultDescription"] = [
            {
                "id": achievement_id + "#score",
                "type": ["ResultDescription"],
                "name": _("Score"),
                "resultType": "Result",
            }
        ]
    return achievement


def outcome_credential(
    outcome: Any,
    *,
    credential_id: str,
    issuer: str,
    status: dict[str, Any],
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
) -> dict[str, Any]:
    """An OB 3.0 OpenBadgeCredential (§B.1.2) for one certified outcome, without its proof."""
    with translation.override(settings.LANGUAGE_CODE):
        subject: dict[str, Any] = {
            "id": learner_subject_id(outcome.learner),
            "type": ["AchievementSubject"],
            "identifier": _identifier(outcome.learner),
            "achievement": _achievement(outcome),
            "creditsEarned": _credits(outcome.credits),
            "activityEndDate": f"{outcome.achieved_on.isoformat()}T00:00:00+08:00",
        }
        if outcome.score:
            subject["result"] = [
                {
                    "type": ["Result"],
                    "resultDescription": subject["achievement"]["id"] + "#score",
                    "value": outcome.score,
                }
            ]
        if outcome.certified_by_org_id is not None:
            org = outcome.certified_by_org
            subject["source"] = {"id": f"urn:creditbank:org:{org.code}", "type": ["Profile"], "name": org.name}
        document: dict[str, Any] = {
            "@context": [VC_CONTEXT, OB_CONTEXT],
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": outcome.item.name,
            "description": _("A learning outcome certified by {issuer}.").format(
                issuer=settings.CREDITBANK_ISSUER_NAME
            ),
            "issuer": issuer_profile(issuer),
            "validFrom": format_datetime(valid_from),
        }
        if valid_until is not None:
            document["validUntil"] = format_datetime(valid_until)
        if outcome.certified_at is not None:
            document["awardedDate"] = format_datetime(outcome.certified_at)
        document["credentialSubject"] = subject
        document["credentialStatus"] = status
        document["credentialSchema"] = [{"id": OB_SCHEMA, "type": SCHEMA_VALIDATOR}]
    return document


def transcript_credential(
    learner: Any,
    embedded: list[dict[str, Any]],
    *,
    credential_id: str,
    issuer: str,
    status: dict[str, Any],
    valid_from: dt.datetime,
    valid_until: dt.datetime | None,
) -> dict[str, Any]:
    """A CLR 2.0 ClrCredential whose subject carries the signed outcome credentials, without its proof."""
    with translation.override(settings.LANGUAGE_CODE):
        total = sum(Decimal(str(item["credentialSubject"].get("creditsEarned", 0))) for item in embedded)
        document: dict[str, Any] = {
            "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
            "id": credential_id,
            "type": ["VerifiableCredential", "ClrCredential"],
            "name": _("Certificate of learning outcomes"),
            "description": _(
                "The {count} certified learning outcomes ({credits} credits) in this learner's archive at {issuer}."
            ).format(count=len(embedded), credits=total, issuer=settings.CREDITBANK_ISSUER_NAME),
            "issuer": issuer_profile(issuer),
            "validFrom": format_datetime(valid_from),
        }
        if valid_until is not None:
            document["validUntil"] = format_datetime(valid_until)
        document["credentialSubject"] = {
            "id": learner_subject_id(learner),
            "type": ["ClrSubject"],
            "identifier": _identifier(learner),
            "verifiableCredential": embedded,
        }
        document["credentialStatus"] = status
        document["credentialSchema"] = [{"id": CLR_SCHEMA, "type": SCHEMA_VALIDATOR}]
    return document


def status_list_credential(list_url: str, *, issuer: str, encoded_list: str, valid_from: dt.datetime) -> dict[str, Any]:
    """Bitstring Status List v1.0 §2.2 BitstringStatusListCredential, without its proof."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": {
            "id": list_url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
    }
