import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.accounts.demo_data import resident_id
from creditbank.core import validators
from creditbank.core.errors import ValidationFailed

VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "vectors" / "gb11643_examples.csv"


def _vector_rows() -> list[dict[str, str]]:
    if not VECTORS.exists():
        return []
    with VECTORS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.skipif(not VECTORS.exists(), reason="shared/vectors is not beside the checkout")
@pytest.mark.parametrize("row", _vector_rows(), ids=lambda row: row["id_number"])
def test_public_gb11643_vectors(row):
    # given a public example with its expected outcome
    number = row["id_number"]
    must_pass = row["checksum_valid"] == "true" and "must be rejected" not in row["other_expectation"]
    # when / then
    if must_pass:
        assert validators.validate_resident_id(number).number == number.upper()
    else:
        with pytest.raises(ValidationFailed):
            validators.validate_resident_id(number)


def test_annex_b_example_derives_birth_date_and_gender():
    parsed = validators.validate_resident_id("34052419800101001X")
    assert parsed.birth_date == dt.date(1980, 1, 1)
    assert parsed.gender == "M"
    assert parsed.region_code == "340524"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("３４０５２４１９８００１０１００１ｘ", "34052419800101001X"),
        (" 340524 19800101 001x ", "34052419800101001X"),
        ("340524-19800101-001X", "34052419800101001X"),
    ],
)
def test_full_width_digits_spaces_and_lowercase_x_are_normalised(raw, expected):
    assert validators.validate_resident_id(raw).number == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_number_required"),
        ("34052419800101001", "id_number_length"),
        ("340524800101001", "id_number_length"),
        ("3405241980010100XX", "id_number_format"),
        ("99052419800101001X", "id_number_region"),
        ("340524198002300013", "id_number_birth_date"),
        ("340524219901010010", "id_number_birth_date"),
        ("340524198001010011", "id_number_checksum"),
    ],
)
def test_rejects_bad_id_numbers_with_a_code(raw, code):
    with pytest.raises(ValidationFailed) as excinfo:
        validators.validate_resident_id(raw, today=dt.date(2026, 11, 29))
    assert excinfo.value.details[0]["code"] == code


@given(
    region=st.sampled_from(["340104", "110105", "440524", "820000"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_every_generated_number_round_trips(region, birth, sequence):
    number = resident_id(region, birth, sequence)
    parsed = validators.validate_resident_id(number.lower())
    assert parsed.number == number
    assert parsed.birth_date == birth


@given(
    region=st.sampled_from(["340104", "110105"]),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_change_is_caught(region, birth, sequence, position, delta):
    # MOD 11-2 detects every single-digit substitution
    number = resident_id(region, birth, sequence)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationFailed):
        validators.validate_resident_id(changed)


@pytest.mark.parametrize(
    "raw", ["13912345678", "+86 139 1234 5678", "0086-139-1234-5678", "１３９１２３４５６７８", "139 1234 5678"]
)
def test_mobile_numbers_are_normalised(raw):
    assert validators.validate_cn_mobile(raw) == "13912345678"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone_required"),
        ("1391234567", "phone_format"),
        ("23912345678", "phone_format"),
        ("12012345678", "phone_invalid"),
    ],
)
def test_rejects_bad_mobile_numbers(raw, code):
    with pytest.raises(ValidationFailed) as excinfo:
        validators.validate_cn_mobile(raw)
    assert excinfo.value.details[0]["code"] == code


@pytest.mark.parametrize(("raw", "expected"), [("340100", "340100"), ("340100.0", "340100"), (" 340104 ", "340104")])
def test_region_codes(raw, expected):
    assert validators.validate_region_code(raw) == expected


def test_rejects_bad_names():
    with pytest.raises(ValidationFailed):
        validators.validate_real_name("张3")
    assert validators.validate_real_name("  欧阳  娜娜 ") == "欧阳 娜娜"


@pytest.mark.parametrize(
    ("validator", "value"),
    [
        (validators.validate_resident_id, "11٠١٠٥١٩٤٩١٢٣١٠٠٢X"),  # Arabic-Indic digits, which NFKC keeps
        (validators.validate_cn_mobile, "139١٢٣٤٥٦٧٨"),
        (validators.validate_region_code, "३४०१००"),  # Devanagari digits
    ],
)
def test_digits_of_other_scripts_are_refused(validator, value):
    # one person must not get a second account through another way of writing the same number
    with pytest.raises(ValidationFailed):
        validator(value)
