"""Bitstring Status List encoding against the vectors in shared/vectors/status-list."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.credentials import statuslist
from creditbank.credentials.multibase import encode_base64url
from creditbank.credentials.tests.vectors import load, needs_vectors

SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_the_spec_example_is_131072_unset_bits():
    # when
    bits = statuslist.decode_list(SPEC_EXAMPLE)
    # then
    assert bits == bytes(16384)


@needs_vectors
@pytest.mark.parametrize(
    ("name", "index", "expected"),
    [
        ("blockcerts-status-list-2021.json", 23547, True),
        ("blockcerts-status-list-2021.json", 23546, False),
        ("blockcerts-status-list-2021.json", 23548, False),
        ("blockcerts-status-list-2021-suspension.json", 12354, True),
        ("blockcerts-status-list-2021-suspension.json", 23548, True),
        ("blockcerts-status-list-2021-suspension.json", 0, False),
    ],
)
def test_the_blockcerts_lists_have_their_known_bits_with_index_0_left_most(name, index, expected):
    # given: these StatusList2021-style lists have no multibase prefix
    encoded = load(f"status-list/{name}")["credentialSubject"]["encodedList"]
    # when
    bits = statuslist.decode_list(encoded, allow_legacy=True)
    # then
    assert len(bits) == 16384
    assert statuslist.get_bit(bits, index) is expected


@needs_vectors
def test_the_revocation_list_has_exactly_one_bit_set():
    encoded = load("status-list/blockcerts-status-list-2021.json")["credentialSubject"]["encodedList"]
    bits = statuslist.decode_list(encoded, allow_legacy=True)
    assert [i for i in range(len(bits) * 8) if statuslist.get_bit(bits, i)] == [23547]


@needs_vectors
def test_a_list_without_the_multibase_prefix_is_refused_unless_legacy():
    encoded = load("status-list/blockcerts-status-list-2021.json")["credentialSubject"]["encodedList"]
    with pytest.raises(statuslist.StatusListError):
        statuslist.decode_list(encoded)


@given(st.sets(st.integers(min_value=0, max_value=131_071), max_size=20))
def test_set_bits_survive_encoding(indexes):
    # given
    bits = bytes(16384)
    for index in indexes:
        bits = statuslist.set_bit(bits, index)
    # when
    decoded = statuslist.decode_list(statuslist.encode_list(bits))
    # then
    assert {i for i in indexes if statuslist.get_bit(decoded, i)} == indexes
    assert sum(bin(byte).count("1") for byte in decoded) == len(indexes)


def test_encoding_is_deterministic_and_multibase():
    # then
    assert statuslist.encode_list(bytes(16384)) == statuslist.encode_list(bytes(16384))
    assert statuslist.encode_list(bytes(16384)).startswith("u")


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        None,
        "unot-gzip",
        encode_base64url(gzip.compress(bytes(1000))),  # fewer than 131,072 entries
        "u" + "A" * 5 + "=",
    ],
)
def test_a_bad_encoded_list_is_a_precise_error(encoded):
    with pytest.raises(statuslist.StatusListError) as error:
        statuslist.decode_list(encoded)
    assert error.value.code == "status_list_invalid"


def test_a_gzip_bomb_is_refused():
    # given: 32 MB of zeros compress to about 32 KB
    encoded = encode_base64url(gzip.compress(bytes(32 * 1024 * 1024)))
    # when
    with pytest.raises(statuslist.StatusListError) as error:
        statuslist.decode_list(encoded)
    # then
    assert "16 MB" in str(error.value)


def test_permute_is_a_bijection_of_the_whole_list():
    # given
    key = bytes(range(16))
    # when
    indexes = [statuslist.permute(key, number, 131_072) for number in range(131_072)]
    # then
    assert sorted(indexes) == list(range(131_072))
    assert indexes[:5] != [0, 1, 2, 3, 4]


def test_permute_depends_on_the_key():
    first = [statuslist.permute(b"a" * 16, n, 1024) for n in range(16)]
    second = [statuslist.permute(b"b" * 16, n, 1024) for n in range(16)]
    assert first != second
