"""C2SP signed notes and transparency-log checkpoints, Ed25519 only.

See: https://github.com/C2SP/C2SP/blob/main/signed-note.md and
https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md

A signed note is UTF-8 text ending in a newline, a blank line, then one line per signature:
``— <key name> <base64(key ID || signature)>`` (U+2014 EM DASH, a space). The key ID is the first
four bytes of SHA-256(key name || 0x0A || 0x01 || public key), 0x01 naming Ed25519. A verifier key
is written ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

A checkpoint is the note text ``<origin>\\n<tree size>\\n<base64 root hash>\\n`` (then optional
extension lines), signed by the log's key, whose name by convention is the origin.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "  # "— "


class NoteError(ValueError):
    """A note, a key or a checkpoint that is malformed, or a signature that does not verify."""


def _check_name(name: str) -> None:
    # signed-note.md: key names are non-empty and contain no Unicode spaces and no "+".
    if not name or "+" in name or any(character.isspace() for character in name):
        raise NoteError("a key name must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || public key)[:4]."""
    _check_name(name)
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALGORITHM_ED25519]) + public_key).digest()[:4]


def verifier_key(name: str, public_key: bytes) -> str:
    """``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + public_key).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: bytes
    public_key: bytes

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_verifier_key(text: str) -> Verifier:
    name, sep1, rest = text.strip().partition("+")
    hex_id, sep2, encoded = rest.partition("+")
    if not (sep1 and sep2):
        raise NoteError("a verifier key is <name>+<hex key ID>+<base64 key>")
    _check_name(name)
    try:
        wanted = bytes.fromhex(hex_id)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise NoteError("the verifier key is not hex and base64") from exc
    if len(wanted) != 4 or len(raw) != 33 or raw[0] != ALGORITHM_ED25519:
        raise NoteError("only Ed25519 verifier keys (algorithm 0x01, 32 bytes) are supported")
    if key_id(name, raw[1:]) != wanted:
        raise NoteError("the verifier key's ID does not match its name and key")
    return Verifier(name=name, key_id=wanted, public_key=raw[1:])


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("the note text must end with a newline")
    if "\r" in text or any(ord(character) < 0x20 and character != "\n" for character in text):
        raise NoteError("the note text may contain no control characters but newlines")


def sign_note(text: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note: ``text``, a blank line and one Ed25519 signature line."""
    _check_text(text)
    public = private_key.public_key().public_bytes_raw()
    signature = private_key.sign(text.encode())
    encoded = base64.b64encode(key_id(name, public) + signature).decode()
    return f"{text}\n{SIGNATURE_PREFIX}{name} {encoded}\n"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The text (with its final newline) and the signature lines of a signed note."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise NoteError("a signed note is text, a blank line, and signature lines ending in a newline")
    text += "\n"
    _check_text(text)
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line starts with '— '")
        name, space, encoded = line[len(SIGNATURE_PREFIX) :].rpartition(" ")
        if not space:
            raise NoteError("a signature line is '— <name> <base64>'")
        _check_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise NoteError("the signature is not base64") from exc
        if len(raw) < 5:
            raise NoteError("the signature is too short")
        signatures.append(Signature(name=name, key_id=raw[:4], signature=raw[4:]))
    return text, signatures


def open_note(note: str, verifier: Verifier) -> str:
    """The note's text, if it carries a valid signature of ``verifier``; otherwise ``NoteError``."""
    text, signatures = split_note(note)
    for signature in signatures:
        if signature.name == verifier.name and signature.key_id == verifier.key_id:
            if verifier.verify(text.encode(), signature.signature):
                return text
            raise NoteError("the signature does not verify")
    raise NoteError("the note carries no signature of this key")


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        # tlog-checkpoint.md: origin line, decimal tree size, base64 root hash, extension lines.
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> CheckpointBody:
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0]:
        raise NoteError("a checkpoint has an origin, a tree size and a root hash line")
    origin, size_line, root_line = lines[:3]
    if not size_line.isascii() or not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
        raise NoteError("the tree size is a decimal number without leading zeros")
    try:
        root_hash = base64.b64decode(root_line, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise NoteError("the root hash is not base64") from exc
    if len(root_hash) != 32:
        raise NoteError("the root hash must be 32 bytes")
    return CheckpointBody(origin=origin, size=int(size_line), root_hash=root_hash, extensions=tuple(lines[3:]))
