"""Other issuers for verification tests: a did:key or did:web issuer with its own key, DID
document and status list, served through a fake ``fetch.http_get``."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.credentials import dataintegrity, documents, fetch, statuslist
from creditbank.credentials.multibase import encode_ed25519_multikey

OB_CONTEXTS = [documents.VC_CONTEXT, documents.OB_CONTEXT]


@dataclass
class Issuer:
    did: str
    method: str
    key: Ed25519PrivateKey
    pages: dict[str, Any] = field(default_factory=dict)

    def sign(self, document: dict[str, Any], **options: Any) -> dict[str, Any]:
        return dataintegrity.sign_document(
            document, sign=self.key.sign, verification_method=options.pop("method", self.method), **options
        )

    def credential(self, **changes: Any) -> dict[str, Any]:
        document: dict[str, Any] = {
            "@context": list(OB_CONTEXTS),
            "id": "urn:uuid:2f7d5ad6-8b42-4c8b-9d0e-2b9f1a7c0a11",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": "电工（四级）",
            "issuer": {"id": self.did, "type": ["Profile"], "name": "长三角某学分银行"},
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {
                "id": "did:example:learner",
                "type": ["AchievementSubject"],
                "identifier": [
                    {"type": "IdentityObject", "hashed": False, "identityHash": "王小明", "identityType": "name"}
                ],
                "achievement": {
                    "id": "https://issuer.example/achievements/1",
                    "type": ["Achievement"],
                    "name": "电工（四级）",
                    "criteria": {"narrative": "通过职业技能等级认定。"},
                    "creditsAvailable": 4.5,
                },
                "creditsEarned": 4.5,
            },
        }
        document.update(changes)
        return document


def did_key_issuer() -> Issuer:
    key = Ed25519PrivateKey.generate()
    multikey = encode_ed25519_multikey(key.public_key().public_bytes_raw())
    did = f"did:key:{multikey}"
    return Issuer(did=did, method=f"{did}#{multikey}", key=key)


def did_web_issuer(host: str = "issuer.example", *, document_changes: dict[str, Any] | None = None) -> Issuer:
    key = Ed25519PrivateKey.generate()
    multikey = encode_ed25519_multikey(key.public_key().public_bytes_raw())
    did = f"did:web:{host}"
    issuer = Issuer(did=did, method=f"{did}#key-1", key=key)
    did_document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": did, "publicKeyMultibase": multikey}],
        "assertionMethod": ["#key-1"],
    }
    did_document.update(document_changes or {})
    issuer.pages[f"https://{host}/.well-known/did.json"] = did_document
    return issuer


def add_status_list(issuer: Issuer, url: str, *, revoked: tuple[int, ...] = (), sign: bool = True) -> dict[str, Any]:
    bits = bytes(16384)
    for index in revoked:
        bits = statuslist.set_bit(bits, index)
    document = documents.status_list_credential(
        url, issuer=issuer.did, encoded_list=statuslist.encode_list(bits), valid_from=_epoch()
    )
    if sign:
        document = issuer.sign(document)
    issuer.pages[url] = document
    return document


def status_entry(url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def _epoch() -> Any:
    import datetime as dt

    return dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def serve(monkeypatch: Any, *issuers: Issuer) -> list[str]:
    """Answer ``fetch.http_get`` from the issuers' pages; returns the list of URLs fetched."""
    pages: dict[str, Any] = {}
    for issuer in issuers:
        pages.update(issuer.pages)
    fetched: list[str] = []

    def http_get(url: str, *, timeout: float) -> bytes:
        fetched.append(url)
        if url not in pages:
            raise fetch.FetchError("unreachable", "HTTP 404")
        return json.dumps(pages[url]).encode()

    fetch.clear_cache()
    monkeypatch.setattr(fetch, "http_get", http_get)
    return fetched


def changed(document: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    result = copy.deepcopy(document)
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return result
