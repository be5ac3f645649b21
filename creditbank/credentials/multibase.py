"""Multibase and Multikey encodings that Data Integrity proofs and DID documents use.

See: https://www.w3.org/TR/controller-document/#multibase-0 (``z`` = base58btc, ``u`` = base64url
without padding) and https://www.w3.org/TR/controller-document/#Multikey (an Ed25519 public key is
the multicodec header 0xed 0x01 followed by the 32 raw bytes, base58btc-encoded: ``z6Mk…``).
"""

from __future__ import annotations

import base64
import binascii

# The Bitcoin base58 alphabet (draft-msporny-base58 §2): no 0, O, I, l.
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: position for position, char in enumerate(_ALPHABET)}

ED25519_PUBLIC_HEADER = b"\xed\x01"
ED25519_PRIVATE_HEADER = b"\x80\x26"


class MultibaseError(ValueError):
    """Text that is not the multibase (or multikey) value it claims to be."""


def base58_encode(data: bytes) -> str:
    # draft-msporny-base58 §3: each leading zero byte is one leading "1".
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        position = _INDEX.get(char)
        if position is None:
            raise MultibaseError(f"not a base58 character: {char!r}")
        number = number * 58 + position
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body


def encode_base58btc(data: bytes) -> str:
    return "z" + base58_encode(data)


def decode_base58btc(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise MultibaseError("a base58btc multibase value starts with 'z'")
    return base58_decode(value[1:])


def encode_base64url(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_base64url(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("u"):
        raise MultibaseError("a base64url multibase value starts with 'u'")
    body = value[1:]
    if "=" in body or "+" in body or "/" in body:
        raise MultibaseError("base64url without padding uses neither '=', '+' nor '/'")
    try:
        standard = body.replace("-", "+").replace("_", "/")
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MultibaseError("not base64url") from exc


def encode_ed25519_multikey(public_key: bytes) -> str:
    if len(public_key) != 32:
        raise MultibaseError("an Ed25519 public key is 32 bytes")
    return encode_base58btc(ED25519_PUBLIC_HEADER + public_key)


def decode_ed25519_multikey(value: object) -> bytes:
    """The 32 raw bytes of an Ed25519 ``publicKeyMultibase``; any other key type is an error."""
    raw = decode_base58btc(value)
    if raw[:2] != ED25519_PUBLIC_HEADER:
        raise MultibaseError("not an Ed25519 Multikey (header 0xed01)")
    if len(raw) != 34:
        raise MultibaseError("an Ed25519 Multikey holds 32 key bytes")
    return raw[2:]


def decode_ed25519_private_multikey(value: object) -> bytes:
    """The 32-byte seed of an Ed25519 ``privateKeyMultibase`` (header 0x8026), as test vectors give it."""
    raw = decode_base58btc(value)
    if raw[:2] != ED25519_PRIVATE_HEADER or len(raw) != 34:
        raise MultibaseError("not an Ed25519 private Multikey (header 0x8026)")
    return raw[2:]
