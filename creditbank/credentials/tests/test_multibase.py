"""base58btc, base64url multibase and Ed25519 Multikey."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.credentials import multibase as mb


@given(st.binary(max_size=80))
def test_base58btc_round_trips_any_bytes_including_leading_zeros(data):
    # when
    encoded = mb.encode_base58btc(data)
    # then
    assert encoded.startswith("z")
    assert mb.decode_base58btc(encoded) == data


@given(st.binary(max_size=80))
def test_base64url_round_trips_without_padding(data):
    # when
    encoded = mb.encode_base64url(data)
    # then
    assert "=" not in encoded
    assert mb.decode_base64url(encoded) == data


def test_known_base58_values():
    # draft-msporny-base58 §5 test vectors
    assert mb.base58_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert (
        mb.base58_encode(b"The quick brown fox jumps over the lazy dog.")
        == "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
    )
    assert mb.base58_decode("1112") == b"\x00\x00\x00\x01"


def test_an_ed25519_multikey_starts_with_z6mk():
    # when
    value = mb.encode_ed25519_multikey(bytes(range(32)))
    # then
    assert value.startswith("z6Mk")
    assert mb.decode_ed25519_multikey(value) == bytes(range(32))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",  # no multibase prefix
        "z0OIl",  # not base58
        "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",  # a P-256 key (0x1200), not Ed25519
        mb.encode_base58btc(b"\xed\x01" + bytes(31)),  # one byte short
    ],
)
def test_anything_else_is_not_an_ed25519_multikey(value):
    with pytest.raises(mb.MultibaseError):
        mb.decode_ed25519_multikey(value)


@pytest.mark.parametrize("value", ["", "Zabc", "uab=c", "ua+b", "u!!"])
def test_bad_base64url_multibase_is_refused(value):
    with pytest.raises(mb.MultibaseError):
        mb.decode_base64url(value)
