"""Personal data at rest (PIPL, 等保 2.0 level 3): encryption, keyed lookup hashes, masking.

ID and phone numbers are stored encrypted with AES-256-GCM (a fresh 96-bit nonce per value,
NIST SP 800-38D) and found through an HMAC-SHA-256 of the normalised value, so that the
database never holds them in clear and a leaked dump cannot be searched by number.
Keys come from ``CREDITBANK_PII_KEY``; older keys stay readable through
``CREDITBANK_PII_OLD_KEYS`` so that keys can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class _Keyring:
    def __init__(self, secret: str, old_secrets: list[str]) -> None:
        self.current_id, self.current = self._derive(secret)
        self.hash_key = hashlib.sha256(b"creditbank-pii-hash\x00" + secret.encode()).digest()
        # HMAC-SHA-256 (RFC 2104) with the keyed inner and outer states computed once: each lookup
        # copies them, which costs a third of hmac.digest() re-keying for every value.
        block = self.hash_key.ljust(64, b"\x00")
        self.hash_inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self.hash_outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
        self.by_id = {self.current_id: self.current}
        for old in old_secrets:
            key_id, cipher = self._derive(old)
            self.by_id.setdefault(key_id, cipher)

    @staticmethod
    def _derive(secret: str) -> tuple[str, AESGCM]:
        key = hashlib.sha256(b"creditbank-pii-encrypt\x00" + secret.encode()).digest()
        key_id = hashlib.sha256(key).hexdigest()[:8]
        return key_id, AESGCM(key)


@cache
def _keyring(secret: str, old: tuple[str, ...]) -> _Keyring:
    return _Keyring(secret, list(old))


_current_ring: _Keyring | None = None


def keyring() -> _Keyring:
    # Kept until the settings change: reading two settings per value cost more than the HMAC
    # itself in a 100,000-row import.
    global _current_ring
    ring = _current_ring
    if ring is None:
        ring = _current_ring = _keyring(settings.CREDITBANK_PII_KEY, tuple(settings.CREDITBANK_PII_OLD_KEYS))
    return ring


@receiver(setting_changed)
def _forget_keyring(*, setting: str, **kwargs: Any) -> None:
    global _current_ring
    if setting in ("CREDITBANK_PII_KEY", "CREDITBANK_PII_OLD_KEYS"):
        _current_ring = None


def encrypt(value: str) -> str:
    """``<key id>:<base64(nonce || ciphertext || tag)>``; empty stays empty."""
    if not value:
        return ""
    ring = keyring()
    nonce = os.urandom(12)
    sealed = ring.current.encrypt(nonce, value.encode(), None)
    return ring.current_id + ":" + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    key_id, _, payload = token.partition(":")
    cipher = keyring().by_id.get(key_id)
    if cipher is None:
        raise ValueError("PII was encrypted with a key that is not configured (CREDITBANK_PII_OLD_KEYS).")
    raw = base64.b64decode(payload)
    try:
        return cipher.decrypt(raw[:12], raw[12:], None).decode()
    except InvalidTag as exc:
        raise ValueError("PII ciphertext failed authentication.") from exc


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised value: equal inputs give equal hashes, without the key no one can test guesses."""
    ring = keyring()
    inner = ring.hash_inner.copy()
    inner.update(value.encode())
    outer = ring.hash_outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


def mask_id_number(value: str) -> str:
    """``340***********123X``: the region's first three and the last four characters."""
    if not value:
        return ""
    if len(value) <= 7:
        return value[0] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """``138****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张*``/``欧阳**``: the family name stays, for a person at the counter to recognise."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored encrypted; the model keeps a separate ``<name>_hash`` for lookups."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None:
            return ""
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return ""
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ("isnull",):
            raise NotImplementedError("Encrypted fields cannot be queried; use the *_hash field.")
        return super().get_lookup(lookup_name)
