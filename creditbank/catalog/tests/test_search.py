"""Catalog search gives the same answers on every database: on PostgreSQL through the gram
index (``catalog.grams``), elsewhere by ``LIKE`` — both must equal the plain definition."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditbank.catalog import grams, selectors
from creditbank.catalog.pinyin import initials
from creditbank.catalog.tests.factories import make_item

NAMES = [
    "计算机应用技术",
    "大数据与会计",
    "会计基础",
    "护理学导论",
    "Web前端开发职业技能等级证书（中级）",
    "1+X 物流管理",
    "老年人智能手机应用",
    "算机计算",  # holds the bigrams of 计算机 but not the word
    "ＡＢＣ全角课程",
]
QUERIES = [
    "计算机",
    "会计",
    "计",
    "算机",
    "jsj",
    "kj",
    "hl",
    "web",
    "WEB",
    "1+X",
    "+",
    "abc",
    "ＡＢＣ",
    "T0",
    "zzz",
    "计 算",
]


def _expected(items, query):
    query = query.strip()
    lowered = query.lower()
    found = set()
    for item in items:
        if (
            item.code.startswith(query.upper())
            or query in item.name
            or (lowered.isascii() and lowered.isalnum() and lowered in item.name_initials)
        ):
            found.add(item.code)
    return found


@pytest.mark.django_db
def test_search_equals_its_definition_on_this_database(tree):
    items = [make_item(name=name) for name in NAMES]
    for query in QUERIES:
        found = set(selectors.search_items(query=query).values_list("code", flat=True))
        assert found == _expected(items, query), query


def test_initials_of_an_accounting_course():
    assert initials("大数据与会计") == "dsjykj"


@given(st.text(max_size=30), st.text(alphabet="abcxyz019", max_size=20))
def test_the_migration_fills_the_same_grams_as_the_model(name, name_initials):
    migration = importlib.import_module("creditbank.catalog.migrations.0004_search_grams")
    assert migration.index_text(name, name_initials) == grams.index_text(name, name_initials)


@given(st.text(max_size=6), st.text(min_size=1, max_size=12), st.text(max_size=6))
def test_every_gram_of_a_fragment_is_in_the_index_of_a_name_holding_it(before, fragment, after):
    # the index never misses a true match: a name containing the fragment holds all its grams,
    # whatever surrounds it (no padding that would hide context-dependent case rules)
    tokens = set(grams.index_text(before + fragment + after, "").split())
    assert set(grams.grams(fragment, "n")) <= tokens


def test_a_greek_capital_sigma_is_found_at_the_end_of_a_word():
    tokens = set(grams.index_text("ΟΔΟΣ课程", "").split())
    assert set(grams.grams("Σ", "n")) <= tokens
