"""What leaves commit to: canonical JSON equal to the ``rfc8785`` package, the bulk writers' fast
digests equal to the digest of the stored row, the leaf JSON template, the learner's keyed hash."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from creditbank.ledger import digests, services

# Text as the database gives it back: any code point but lone surrogates.
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), TEXT)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(st.characters(codec="ascii"), max_size=12), VALUES))
def test_canonical_json_is_rfc8785(content):
    assert digests.canonical_json(content) == rfc8785.dumps(content)


def test_values_outside_the_fast_path_go_to_rfc8785():
    assert digests.canonical_json({"b": 1.5, "é": [1e21]}) == rfc8785.dumps({"b": 1.5, "é": [1e21]})
    with pytest.raises(rfc8785.IntegerDomainError):
        digests.canonical_json({"a": 2**60})


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (Decimal("2.0"), "2"),
        (Decimal("2.50"), "2.5"),
        (Decimal("100"), "100"),
        (Decimal("0.0"), "0"),
        (dt.date(2024, 5, 17), "2024-05-17"),
        (dt.datetime(2024, 5, 17, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), "2024-05-17T00:30:00.000000Z"),
        (2**60, str(2**60)),
        (b"\x01\xff", "01ff"),
    ],
)
def test_plain_values(value, plain):
    assert digests.plain(value) == plain


@settings(max_examples=200, deadline=None)
@given(
    learner_id=st.integers(min_value=1, max_value=2**40),
    item_id=st.integers(min_value=1, max_value=2**31),
    item_code=TEXT,
    score=TEXT,
    achieved_on=st.dates(),
    certificate_no=TEXT,
    hours=st.one_of(st.none(), st.integers(min_value=0, max_value=100000)),
    credits=st.decimals(min_value=0, max_value=200, places=1),
    natural_key=TEXT,
    external_id=st.one_of(st.none(), TEXT),
)
def test_the_bulk_digest_of_an_outcome_is_the_digest_of_its_row(
    learner_id, item_id, item_code, score, achieved_on, certificate_no, hours, credits, natural_key, external_id
):
    # given the row as the database would hold it
    row = {
        "achieved_on": achieved_on,
        "certificate_no": certificate_no,
        "certified_at": None,
        "certified_by_org_id": None,
        "credits": credits,
        "external_id": external_id,
        "hours": hours,
        "item_code": item_code,
        "item_id": item_id,
        "learner_id": learner_id,
        "natural_key": natural_key,
        "org_id": 7,
        "revoke_reason": "",
        "revoked_at": None,
        "score": score,
        "source": "bulk",
        "status": "stored",
    }
    expected = digests.row_digest(digests.OUTCOME, [row[name] for name in digests.OUTCOME_FIELDS])
    # when
    fast = digests.StoredOutcomeDigester(org_id=7, source="bulk")(
        learner_id, item_id, item_code, score, achieved_on, certificate_no, hours, credits, natural_key, external_id
    )
    # then
    assert fast == expected


@settings(max_examples=100, deadline=None)
@given(account_no=TEXT, id_number_hash=TEXT, id_type=TEXT)
def test_the_bulk_digest_of_an_imported_learner_is_the_digest_of_its_row(account_no, id_number_hash, id_type):
    row = {"account_no": account_no, "id_number_hash": id_number_hash, "id_type": id_type, "opened_via": "import"}
    expected = digests.row_digest(digests.LEARNER, [row[name] for name in digests.LEARNER_FIELDS])
    fast = digests.imported_learner_digest(
        account_no=account_no, id_number_hash=id_number_hash, id_type=id_type, opened_via="import"
    )
    assert fast == expected


@settings(max_examples=100, deadline=None)
@given(
    event_type=st.sampled_from(["outcome.stored", "account.opened"]),
    record_id=st.integers(min_value=1, max_value=2**53 - 1),
    learner=st.one_of(st.none(), st.text("0123456789abcdef", min_size=64, max_size=64)),
    digest=st.text("0123456789abcdef", min_size=64, max_size=64),
    time=st.datetimes(timezones=st.just(dt.UTC)),
)
def test_the_leaf_template_is_rfc8785(event_type, record_id, learner, digest, time):
    text = digests.utc_text(time)
    data = services.leaf_data(
        event_type=event_type, record_type="outcome", record_id=record_id, learner=learner, digest=digest, time=text
    )
    expected = {
        "type": event_type,
        "record_type": "outcome",
        "record_id": record_id,
        "learner": learner,
        "digest": digest,
        "time": text,
    }
    assert data.encode() == rfc8785.dumps(expected)
    assert json.loads(data) == expected


def test_the_learner_hash_is_keyed_and_survives_a_key_rotation(settings):
    # given
    settings.CREDITBANK_PII_KEY = "first-key"
    settings.CREDITBANK_PII_OLD_KEYS = []
    before = digests.learner_hash(42)
    # when the key is rotated and the old one kept for reading
    settings.CREDITBANK_PII_KEY = "second-key"
    settings.CREDITBANK_PII_OLD_KEYS = ["first-key"]
    # then
    assert digests.learner_hash(42) != before
    assert digests.learner_hash_matches(42, before) is True
    assert digests.learner_hash_matches(43, before) is False
    settings.CREDITBANK_PII_OLD_KEYS = []
    assert digests.learner_hash_matches(42, before) is False
