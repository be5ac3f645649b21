"""The demo of mutual recognition: a published standard with Shanghai (310000) mapping five
Shanghai outcomes to items of the demo catalog, and a Shanghai-signed Open Badges 3.0 credential
(a ``did:key`` issuer with its own Ed25519 key, eddsa-jcs-2022) that the demo can import for real."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction

from creditbank.catalog.models import CatalogItem
from creditbank.credentials import dataintegrity, documents
from creditbank.credentials.multibase import encode_ed25519_multikey
from creditbank.recognition.choices import StandardStatus
from creditbank.recognition.models import RecognitionMapping, RecognitionStandard

DEMO_STANDARD_CODE = "CSJ-HR-SH-2025"
DEMO_STANDARD_NAME = "长三角学分银行学习成果互认标准（示例）"
SHANGHAI = "310000"
SHANGHAI_BANK = "上海终身教育学分银行"
# (Shanghai's code, Shanghai's name, our demo catalog code, note)
DEMO_MAPPINGS = (
    ("SH-ZK-03709", "马克思主义基本原理概论", "ZK-03709", "自学考试课程，全国统考"),
    ("SH-ZK-03708", "中国近现代史纲要", "ZK-03708", "自学考试课程，全国统考"),
    ("SH-LN-SF-01", "书法（初级班）", "LN-01-1", "老年教育课程"),
    ("SH-NM-SD-01", "水稻绿色高产栽培（基础班）", "NM-01-1", "农民培训"),
    ("SH-SJ-ZYFW", "志愿服务（一百小时）", "SJ-2", "社会实践"),
)


@transaction.atomic
def load_demo_recognition() -> RecognitionStandard:
    """Publish the demo standard (idempotent); mappings to items the catalog lacks are left out."""
    standard, _created = RecognitionStandard.objects.get_or_create(
        code=DEMO_STANDARD_CODE,
        defaults={
            "name": DEMO_STANDARD_NAME,
            "partner_region_id": SHANGHAI,
            "partner_name": SHANGHAI_BANK,
            "status": StandardStatus.PUBLISHED,
            "published_on": dt.date(2025, 1, 1),
            "trusted_issuers": demo_issuer_key()[1],
        },
    )
    present = set(
        CatalogItem.objects.filter(code__in=[row[2] for row in DEMO_MAPPINGS], is_current=True).values_list(
            "code", flat=True
        )
    )
    existing = set(standard.mappings.values_list("partner_code", flat=True))
    RecognitionMapping.objects.bulk_create(
        [
            RecognitionMapping(standard=standard, partner_code=code, partner_name=name, item_code=item, note=note)
            for code, name, item, note in DEMO_MAPPINGS
            if item in present and code not in existing
        ]
    )
    return standard


# The demo's "Shanghai" issuer signs with a key anyone can rebuild from this text: a demo only,
# so that the demo standard can name it as the partner's issuer (trusted_issuers) and the
# Yangtze-Delta learner's credentials verify on every run.
DEMO_ISSUER_SEED = b"creditbank demo: Shanghai credit bank issuer (not a secret)"


def demo_issuer_key() -> tuple[Ed25519PrivateKey, str, str]:
    """The demo partner's key, its ``did:key`` and verification method (always the same)."""
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEMO_ISSUER_SEED).digest())
    return _with_did(key)


def _with_did(key: Ed25519PrivateKey) -> tuple[Ed25519PrivateKey, str, str]:
    multikey = encode_ed25519_multikey(key.public_key().public_bytes_raw())
    did = f"did:key:{multikey}"
    return key, did, f"{did}#{multikey}"


def new_issuer_key() -> tuple[Ed25519PrivateKey, str, str]:
    """A fresh Ed25519 key and its ``did:key`` and verification method (did:key v0.9 §3.1.1)."""
    return _with_did(Ed25519PrivateKey.generate())


def partner_credential(
    *,
    did: str,
    achievement_code: str,
    achievement_name: str,
    achieved_on: dt.date,
    id_number: str = "",
    score: str = "",
    issuer_name: str = SHANGHAI_BANK,
    credential_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned OB 3.0 OpenBadgeCredential as a partner credit bank issues one; the learner's ID
    number, when given, as an IdentityObject of type nationalIdentityNumber (in clear)."""
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "achievement": {
            "id": f"urn:partner:achievement:{achievement_code}",
            "type": ["Achievement"],
            "name": achievement_name,
            "humanCode": achievement_code,
            "criteria": {"narrative": "经上海终身教育学分银行认定。"},
        },
        "activityEndDate": f"{achieved_on.isoformat()}T00:00:00+08:00",
    }
    if id_number:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "hashed": False,
                "identityHash": id_number,
                "identityType": "nationalIdentityNumber",
            }
        ]
    if score:
        subject["result"] = [{"type": ["Result"], "value": score}]
    return {
        "@context": [documents.VC_CONTEXT, documents.OB_CONTEXT],
        "id": credential_id or f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement_name,
        "issuer": {"id": did, "type": ["Profile"], "name": issuer_name},
        "validFrom": f"{achieved_on.isoformat()}T00:00:00+08:00",
        "credentialSubject": subject,
    }


def sign(document: dict[str, Any], key: Ed25519PrivateKey, method: str) -> dict[str, Any]:
    return dataintegrity.sign_document(document, sign=key.sign, verification_method=method)


def demo_signed_credential(
    id_number: str, *, partner_code: str = "SH-ZK-03709", achieved_on: dt.date = dt.date(2024, 6, 30)
) -> dict[str, Any]:
    """A Shanghai-signed credential of one mapped outcome for the learner with ``id_number``."""
    name = next((row[1] for row in DEMO_MAPPINGS if row[0] == partner_code), partner_code)
    key, did, method = demo_issuer_key()
    document = partner_credential(
        did=did, achievement_code=partner_code, achievement_name=name, achieved_on=achieved_on, id_number=id_number
    )
    return sign(document, key, method)
