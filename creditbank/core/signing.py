"""The deployment's Ed25519 signing key: one key for ledger checkpoints and credentials.

``CREDITBANK_SIGNING_KEY`` holds the 32-byte private seed (RFC 8032) as base64url; outside
production it is generated into ``var/signing_key`` on first run. The public identity derived
from it (did:web of ``CREDITBANK_PUBLIC_URL``, the checkpoint origin) lives here too, so the ledger and
the credentials never disagree about who signs.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


def _decode_seed(value: str) -> bytes:
    text = value.strip()
    try:
        seed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("CREDITBANK_SIGNING_KEY must be a base64url 32-byte Ed25519 seed.") from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("CREDITBANK_SIGNING_KEY must be a base64url 32-byte Ed25519 seed.")
    return seed


@cache
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode_seed(settings.CREDITBANK_SIGNING_KEY))


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_bytes() -> bytes:
    return public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(message: bytes) -> bytes:
    return private_key().sign(message)


def public_host() -> str:
    """The host (and port) of ``CREDITBANK_PUBLIC_URL``, as did:web and the checkpoint origin need it."""
    return urlsplit(settings.CREDITBANK_PUBLIC_URL).netloc


@receiver(setting_changed)
def _reset(*, setting: str, **kwargs: object) -> None:
    if setting == "CREDITBANK_SIGNING_KEY":
        private_key.cache_clear()
