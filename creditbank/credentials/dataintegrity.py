"""Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite (W3C vc-di-eddsa v1.0 §3.3).

Pure functions, no Django: canonicalise with RFC 8785 (JCS), hash, sign or verify with Ed25519.

    hashData = SHA-256(JCS(proofConfig)) || SHA-256(JCS(unsecuredDocument))     (§3.3.4)

where ``proofConfig`` is the proof without ``proofValue``, carrying the document's ``@context``
(§3.3.5), and ``unsecuredDocument`` is the document without ``proof``. ``proofValue`` is the
64-byte signature as multibase base58btc (``z…``, §3.3.1). Proof sets and chains follow Data
Integrity v1.0 §4.4-4.5: each proof of a set signs the document without any proof; a proof with
``previousProof`` also signs the proofs it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from creditbank.credentials.multibase import MultibaseError, decode_base58btc, encode_base58btc

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"


class ProofError(ValueError):
    """A proof that cannot be checked at all (as opposed to one whose signature is wrong)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


_SAFE_INTEGER = 2**53 - 1


class _NeedsFullJCS(Exception):
    pass


def _plain(value: Any) -> Any:
    """``value`` with integral floats as ints, when ``json.dumps`` of it is already RFC 8785; else
    raises _NeedsFullJCS. json.dumps(sort_keys, compact, ensure_ascii=False) escapes exactly what
    RFC 8785 §3.2.2.2 escapes; they differ only on numbers (§3.2.2.3 uses ECMAScript's
    Number.toString) and on keys beyond the BMP (§3.2.3 sorts by UTF-16 code units, which puts
    U+10000 and up before U+E000-U+FFFF; within the BMP both orders are the code points')."""
    if isinstance(value, str) or value is None or value is True or value is False:
        return value
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or (key and max(key) > "\uffff"):
                raise _NeedsFullJCS
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, int):
        if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
            return value
        raise _NeedsFullJCS
    if isinstance(value, float):
        # repr() is the shortest round-trip form, as Number.toString is; both write it without an
        # exponent in this range. An integral float is written as an integer by ECMAScript.
        if value.is_integer() and abs(value) <= _SAFE_INTEGER:
            return int(value)
        if not value.is_integer() and 1e-4 <= abs(value) < 1e16:
            return value
    raise _NeedsFullJCS


class PlainJSON(dict[str, Any]):
    """A JSON object parsed by ``parse_plain_json``: it and everything in it is already in the
    form whose ``json.dumps`` is RFC 8785, so ``canonicalize`` need not check it again."""


class NotPlain(ValueError):
    pass


def _plain_float(text: str) -> float | int:
    value = float(text)
    if value.is_integer() and abs(value) <= _SAFE_INTEGER:
        return int(value)
    if not value.is_integer() and 1e-4 <= abs(value) < 1e16:
        return value
    raise NotPlain(text)


def _plain_int(text: str) -> int:
    value = int(text)
    if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return value
    raise NotPlain(text)


def parse_plain_json(text: str, object_pairs_hook: Callable[[list[tuple[str, Any]]], dict[str, Any]]) -> Any:
    """``json.loads`` giving ``PlainJSON`` objects, when the text allows it (characters up to
    the BMP, no ``\\u`` escapes, numbers that JCS writes as Python does); NotPlain otherwise.
    Integral floats become ints: JCS writes ``3.0`` as ``3`` either way."""
    if "\\u" in text or (text and max(text) > "\uffff"):
        raise NotPlain("characters beyond the BMP, or escapes")

    def pairs(items: list[tuple[str, Any]]) -> PlainJSON:
        return PlainJSON(object_pairs_hook(items))

    return json.loads(
        text, object_pairs_hook=pairs, parse_float=_plain_float, parse_int=_plain_int, parse_constant=_no_constant
    )


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")


def canonicalize(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes; a value JCS cannot represent (NaN, an integer beyond 2^53) is a ProofError.

    Documents of plain strings, safe integers and ordinary decimals take the fast path through the
    C JSON encoder (four times faster; the same bytes, tests/test_dataintegrity.py checks it
    against the rfc8785 package); anything else goes through rfc8785."""
    try:
        plain = value if isinstance(value, PlainJSON) else _plain(value)
        return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (_NeedsFullJCS, UnicodeEncodeError, RecursionError):
        pass
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as exc:
        raise ProofError("not_canonicalizable", f"the document cannot be canonicalised (RFC 8785): {exc}") from exc


def proof_configuration(options: dict[str, Any], unsecured: dict[str, Any]) -> dict[str, Any]:
    """vc-di-eddsa §3.3.5: the proof options, typed and dated correctly, with the document's @context."""
    if options.get("type") != PROOF_TYPE:
        raise ProofError("unsupported_proof_type", "the proof type is not DataIntegrityProof")
    if options.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("unsupported_cryptosuite", "the cryptosuite is not eddsa-jcs-2022")
    created = options.get("created")
    if created is not None and parse_datetime(created) is None:
        raise ProofError("malformed_proof", "proof.created is not an XML Schema dateTime")
    config = dict(options)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return config


def hash_data(unsecured: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """vc-di-eddsa §3.3.4: SHA-256 of the canonical proof configuration, then of the canonical document."""
    return hashlib.sha256(canonicalize(proof_config)).digest() + hashlib.sha256(canonicalize(unsecured)).digest()


def proofs_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's proofs as a list (a single proof object is a set of one)."""
    proof = document.get("proof")
    if proof is None:
        return []
    proofs = proof if isinstance(proof, list) else [proof]
    if not proofs or not all(isinstance(item, dict) for item in proofs):
        raise ProofError("malformed_proof", "proof must be an object or a list of objects")
    return proofs


def _input_document(
    document: dict[str, Any], options: dict[str, Any], existing: list[dict[str, Any]]
) -> dict[str, Any]:
    # Data Integrity §4.4 step 4 / §4.5: a chained proof signs the proofs named by previousProof.
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    if isinstance(document, PlainJSON):
        unsecured = PlainJSON(unsecured)
    previous = options.get("previousProof")
    if previous is None:
        return unsecured
    wanted = [previous] if isinstance(previous, str) else previous
    if not isinstance(wanted, list) or not wanted or not all(isinstance(item, str) for item in wanted):
        raise ProofError("malformed_proof", "previousProof must be a proof id or a list of them")
    matching = [proof for proof in existing if proof.get("id") in wanted]
    if len(matching) != len(set(wanted)):
        raise ProofError("previous_proof_missing", "a proof named in previousProof is not in the document")
    unsecured["proof"] = matching
    return unsecured


def create_proof(
    document: dict[str, Any],
    *,
    sign: Callable[[bytes], bytes],
    verification_method: str,
    created: str | None = None,
    proof_purpose: str = "assertionMethod",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """vc-di-eddsa §3.3.1 Create Proof. ``extra`` adds options such as ``id`` or ``previousProof``."""
    options: dict[str, Any] = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE}
    if created is not None:
        options["created"] = created
    options["verificationMethod"] = verification_method
    options["proofPurpose"] = proof_purpose
    options.update(extra or {})
    unsecured = _input_document(document, options, proofs_of(document))
    config = proof_configuration(options, unsecured)
    proof = dict(config)
    proof["proofValue"] = encode_base58btc(sign(hash_data(unsecured, config)))
    return proof


def add_proof(document: dict[str, Any], proof: dict[str, Any]) -> dict[str, Any]:
    """The secured document: the first proof as an object, further ones make a proof set (a list)."""
    existing = proofs_of(document)
    secured = dict(document)
    secured["proof"] = [*existing, proof] if existing else proof
    return secured


def sign_document(
    document: dict[str, Any],
    *,
    sign: Callable[[bytes], bytes],
    verification_method: str,
    created: str | None = None,
    proof_purpose: str = "assertionMethod",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    proof = create_proof(
        document,
        sign=sign,
        verification_method=verification_method,
        created=created,
        proof_purpose=proof_purpose,
        extra=extra,
    )
    return add_proof(document, proof)


def verify_proof(document: dict[str, Any], proof: dict[str, Any], public_key: bytes) -> bool:
    """vc-di-eddsa §3.3.2 Verify Proof: True when ``proof`` (one of the document's) is a valid
    signature by ``public_key``; ProofError when the proof cannot be checked at all."""
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str):
        raise ProofError("malformed_proof", "proof.proofValue is missing")
    try:
        signature = decode_base58btc(proof_value)
    except MultibaseError as exc:
        raise ProofError("malformed_proof", "proof.proofValue is not multibase base58btc") from exc
    unsecured = _input_document(document, options, proofs_of(document))
    if "@context" in options:
        # §3.3.2 step 3: the document's @context must start with the proof's, which is then used.
        proof_context = options["@context"]
        document_context = unsecured.get("@context")
        wanted = proof_context if isinstance(proof_context, list) else [proof_context]
        present = document_context if isinstance(document_context, list) else [document_context]
        if present[: len(wanted)] != wanted:
            return False
        unsecured["@context"] = proof_context
    config = proof_configuration(options, unsecured)
    if len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, hash_data(unsecured, config))
    except InvalidSignature:
        return False
    except ValueError as exc:
        raise ProofError("malformed_key", "the public key is not an Ed25519 key") from exc
    return True


def parse_datetime(value: Any) -> dt.datetime | None:
    """An XML Schema dateTime with a time zone (VC 2.0 §4.9), else None. A missing zone is read as UTC,
    as the VC data model allows for ``validFrom``/``validUntil`` lexical values without one."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def format_datetime(moment: dt.datetime) -> str:
    """``2025-05-01T08:30:00Z``: UTC, whole seconds, as the test vectors write it."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
