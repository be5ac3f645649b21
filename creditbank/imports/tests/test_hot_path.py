"""The fast paths a bulk import relies on give exactly what the straightforward code gives.

The validators, the lookup hash and account numbering were sped up for 100,000-row imports
(docs/performance.md); these properties pin them to their plain definitions.
"""

import hmac

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.accounts import numbering
from creditbank.core import pii, validators
from creditbank.core.errors import ValidationFailed

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def plain_check_char(first17):
    return "10X98765432"[sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True)) % 11]


def plain_luhn(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def plain_is_mobile(number):
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


@given(st.text(max_size=40))
def test_lookup_hash_is_hmac_sha256(value):
    assert pii.lookup_hash(value) == hmac.digest(pii.keyring().hash_key, value.encode(), "sha256").hex()


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_check_char_matches_the_standard_formula(first17):
    assert validators.id_check_char(first17) == plain_check_char(first17)


@given(st.text(alphabet="0123456789", min_size=1, max_size=15))
def test_luhn_digit_matches_the_plain_algorithm(digits):
    assert numbering.luhn_digit(digits) == plain_luhn(digits)


@settings(max_examples=3000)
@given(st.integers(min_value=10_000_000_000, max_value=19_999_999_999))
def test_mobile_check_matches_phonenumbers(number):
    # the fast path answers exactly what phonenumbers answers, number by number
    text = str(number)
    expected = plain_is_mobile(text)
    try:
        validators.validate_cn_mobile(text)
    except ValidationFailed:
        assert expected is False
    else:
        assert expected is True


@pytest.mark.parametrize("name", ["张三①", "李四٣", "王五;", "赵六<"])
def test_names_with_any_kind_of_digit_or_symbol_are_refused(name):
    with pytest.raises(ValidationFailed) as excinfo:
        validators.validate_real_name(name)
    assert excinfo.value.details[0]["code"] == "name_format"
