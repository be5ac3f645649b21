"""Resolving the verification method of a proof to an Ed25519 public key: ``did:key`` (W3C CCG
did:key v0.9, Ed25519 Multikey) and ``did:web`` (W3C CCG did:web §3.2: ``did:web:host[:path…]``
→ ``https://host/.well-known/did.json`` or ``https://host/path…/did.json``, a port's colon
percent-encoded). The deployment's own DID is answered locally, without HTTP.
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from django.conf import settings

from creditbank.core import signing
from creditbank.credentials import fetch
from creditbank.credentials.multibase import MultibaseError, decode_ed25519_multikey, encode_ed25519_multikey

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
_MULTIBASE_KEY_TYPES = {"Multikey", "Ed25519VerificationKey2020"}
_JWK_KEY_TYPES = {"JsonWebKey", "JsonWebKey2020"}


class ResolutionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class VerificationKey:
    id: str
    controller: str
    public_key: bytes


def own_did() -> str:
    """``did:web:<public host>``, the port's colon percent-encoded (did:web §3.2.1)."""
    return "did:web:" + quote(signing.public_host(), safe="")


def own_verification_method() -> str:
    return _own_identity(settings.CREDITBANK_PUBLIC_URL, settings.CREDITBANK_SIGNING_KEY)[1]


def own_did_document() -> dict[str, Any]:
    """The DID document served at ``/.well-known/did.json``: one Multikey, for assertions."""
    return copy.deepcopy(_own_identity(settings.CREDITBANK_PUBLIC_URL, settings.CREDITBANK_SIGNING_KEY)[2])


@lru_cache(maxsize=4)
def _own_identity(public_url: str, signing_key: str) -> tuple[str, str, dict[str, Any]]:
    # Keyed by the two settings it derives from, so that a changed setting (tests) is seen at once.
    did = own_did()
    multikey = encode_ed25519_multikey(signing.public_key_bytes())
    method = did + "#" + multikey
    return did, method, _document(did, method, multikey)


def _document(did: str, method: str, multikey: str) -> dict[str, Any]:
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multikey,
            }
        ],
        "assertionMethod": [method],
        "service": [
            {"id": did + "#website", "type": "LinkedDomains", "serviceEndpoint": settings.CREDITBANK_PUBLIC_URL + "/"}
        ],
    }


def did_web_url(did: str) -> str:
    """did:web §3.2.2 Read (Resolve): the HTTPS URL of the DID document."""
    parts = did.split(":")
    if len(parts) < 3 or parts[0] != "did" or parts[1] != "web" or not parts[2]:
        raise ResolutionError("verification_method_unresolvable", "not a did:web DID")
    host = unquote(parts[2])
    if not all(char.isalnum() or char in ".-:[]" for char in host) or host.startswith((".", "-")):
        raise ResolutionError("verification_method_unresolvable", "the did:web host is not a host name")
    path = [unquote(segment) for segment in parts[3:]]
    if any(not segment or "/" in segment or segment in (".", "..") for segment in path):
        raise ResolutionError("verification_method_unresolvable", "the did:web path is not valid")
    if path:
        return "https://" + host + "/" + "/".join(quote(segment) for segment in path) + "/did.json"
    return "https://" + host + "/.well-known/did.json"


def resolve_did(did: str) -> dict[str, Any]:
    """The DID document of ``did`` (do not change it: ours is shared)."""
    if did == own_did():
        return _own_identity(settings.CREDITBANK_PUBLIC_URL, settings.CREDITBANK_SIGNING_KEY)[2]
    if did.startswith("did:key:"):
        return _did_key_document(did)  # shared (cached): callers do not change it
    if did.startswith("did:web:"):
        url = did_web_url(did)
        try:
            document = fetch.fetch_json(url)
        except fetch.FetchError as exc:
            raise ResolutionError("verification_method_unresolvable", f"{url}: {exc}") from exc
        if document.get("id") != did:
            raise ResolutionError("verification_method_unresolvable", "the DID document is for another DID")
        return document
    raise ResolutionError(
        "unsupported_verification_method", "only did:key and did:web verification methods are resolved"
    )


@lru_cache(maxsize=1024)
def _did_key_document(did: str) -> dict[str, Any]:
    # did:key v0.9 §3.1.1: the document has one verification method, did#fingerprint.
    fingerprint = did.removeprefix("did:key:")
    try:
        decode_ed25519_multikey(fingerprint)
    except MultibaseError as exc:
        raise ResolutionError("unsupported_key_type", "the did:key is not an Ed25519 Multikey") from exc
    method = f"{did}#{fingerprint}"
    return {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": method, "type": "Multikey", "controller": did, "publicKeyMultibase": fingerprint}
        ],
        "authentication": [method],
        "assertionMethod": [method],
        "capabilityDelegation": [method],
        "capabilityInvocation": [method],
    }


def _absolute(reference: Any, did: str) -> Any:
    if isinstance(reference, str) and reference.startswith("#"):
        return did + reference
    return reference


def resolve_verification_method(method_id: Any, *, purpose: str = "assertionMethod") -> VerificationKey:
    """The key of ``method_id``, when its DID document authorises it for ``purpose``."""
    if not isinstance(method_id, str) or not method_id:
        raise ResolutionError("malformed_proof", "proof.verificationMethod is missing")
    did, _, fragment = method_id.partition("#")
    if not did.startswith("did:"):
        raise ResolutionError(
            "unsupported_verification_method", "only did:key and did:web verification methods are resolved"
        )
    document = resolve_did(did)
    if did.startswith("did:key:") and not fragment:
        method_id = f"{did}#{did.removeprefix('did:key:')}"
    candidates = [item for item in _list(document.get("verificationMethod")) if isinstance(item, dict)]
    candidates += [item for item in _list(document.get(purpose)) if isinstance(item, dict)]
    method = next((item for item in candidates if _absolute(item.get("id"), did) == method_id), None)
    if method is None:
        raise ResolutionError(
            "verification_method_not_found", "the issuer's DID document has no such verification method"
        )
    authorised = {
        _absolute(item.get("id") if isinstance(item, dict) else item, did) for item in _list(document.get(purpose))
    }
    if method_id not in authorised:
        raise ResolutionError(
            "verification_method_not_authorized",
            "the issuer's DID document does not allow this key to sign credentials",
        )
    controller = _absolute(method.get("controller"), did)
    if controller != did:
        raise ResolutionError("verification_method_not_found", "the verification method has another controller")
    return VerificationKey(id=method_id, controller=did, public_key=_public_key(method))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _public_key(method: dict[str, Any]) -> bytes:
    kind = method.get("type")
    try:
        if kind in _MULTIBASE_KEY_TYPES:
            return decode_ed25519_multikey(method.get("publicKeyMultibase", ""))
        if kind in _JWK_KEY_TYPES:
            jwk = method.get("publicKeyJwk") or {}
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
                raise ResolutionError("unsupported_key_type", "the key is not an Ed25519 JWK")
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            if len(raw) != 32:
                raise ResolutionError("unsupported_key_type", "an Ed25519 JWK holds 32 key bytes")
            return raw
    except (MultibaseError, binascii.Error, ValueError, TypeError) as exc:
        if isinstance(exc, ResolutionError):
            raise
        raise ResolutionError("unsupported_key_type", "the verification method's key is not an Ed25519 key") from exc
    raise ResolutionError("unsupported_key_type", "the verification method is not an Ed25519 Multikey or JWK")
