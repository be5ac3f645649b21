"""C2SP signed notes and checkpoints: the spec's example, our own signatures, and bad input."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from creditbank.ledger import notes

VECTORS = Path(__file__).parent / "vectors" / "c2sp-signed-note"
VKEY = (VECTORS / "vkey.txt").read_text()
NOTE = (VECTORS / "note.txt").read_text()


def test_the_spec_example_verifies_with_its_verifier_key():
    # given
    verifier = notes.parse_verifier_key(VKEY)
    # when
    text = notes.open_note(NOTE, verifier)
    # then
    assert text == "This is an example message.\n"
    assert (verifier.name, verifier.key_id.hex()) == ("example.com/foo", "530d903a")


def test_the_key_id_is_sha256_of_name_newline_algorithm_and_key():
    verifier = notes.parse_verifier_key(VKEY)
    assert notes.key_id("example.com/foo", verifier.public_key) == bytes.fromhex("530d903a")
    assert notes.verifier_key("example.com/foo", verifier.public_key) == VKEY.strip()


def test_a_changed_byte_of_the_example_fails():
    verifier = notes.parse_verifier_key(VKEY)
    with pytest.raises(notes.NoteError, match="does not verify"):
        notes.open_note(NOTE.replace("example message", "example massage"), verifier)


def test_the_checkpoint_example_parses():
    text, signatures = notes.split_note((VECTORS / "checkpoint-example.txt").read_text())
    body = notes.parse_checkpoint(text)
    assert (body.origin, body.size, base64.b64encode(body.root_hash).decode()) == (
        "example.com/behind-the-sofa",
        20852163,
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
    )
    assert [signature.name for signature in signatures] == ["example.com/behind-the-sofa"]
    assert body.text() == text


def test_our_signed_checkpoint_opens_with_our_verifier_key_only():
    # given
    key = Ed25519PrivateKey.generate()
    body = notes.CheckpointBody(origin="credit.example.org/ledger", size=5, root_hash=bytes(range(32)))
    note = notes.sign_note(body.text(), name=body.origin, private_key=key)
    public = key.public_key().public_bytes_raw()
    verifier = notes.parse_verifier_key(notes.verifier_key(body.origin, public))
    # then
    assert note.startswith("credit.example.org/ledger\n5\n" + base64.b64encode(bytes(range(32))).decode() + "\n\n— ")
    assert notes.parse_checkpoint(notes.open_note(note, verifier)) == body
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(notes.NoteError, match="no signature of this key"):
        notes.open_note(note, notes.parse_verifier_key(notes.verifier_key(body.origin, other)))


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no blank line\n", "a blank line"),
        ("text\n\nnot a signature\n", "starts with"),
        ("text\n\n— name !!!\n", "not base64"),
        ("text\n\n— name AAAA\n", "too short"),
        ("text\r\n\n— name AAAAAAAA\n", "control characters"),
    ],
)
def test_malformed_notes_are_refused(note, message):
    with pytest.raises(notes.NoteError, match=message):
        notes.split_note(note)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("origin\n012\n" + base64.b64encode(bytes(32)).decode() + "\n", "leading zeros"),
        ("origin\n12\n" + base64.b64encode(bytes(31)).decode() + "\n", "32 bytes"),
        ("origin\n12\n", "origin, a tree size and a root"),
        ("origin\nx\n" + base64.b64encode(bytes(32)).decode() + "\n", "decimal"),
    ],
)
def test_malformed_checkpoints_are_refused(text, message):
    with pytest.raises(notes.NoteError, match=message):
        notes.parse_checkpoint(text)


@pytest.mark.parametrize(
    "vkey", ["name+530d903a", "na me+00000000+AQ==", "example.com/foo+00000000+" + VKEY.split("+")[2]]
)
def test_bad_verifier_keys_are_refused(vkey):
    with pytest.raises(notes.NoteError):
        notes.parse_verifier_key(vkey)
