from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from creditbank.catalog.models import CatalogItem, FrameworkLevel, Issuer, OutcomeType

pytestmark = pytest.mark.django_db


def test_the_migration_loads_eleven_outcome_types_and_ten_levels():
    assert OutcomeType.objects.count() == 11
    assert set(OutcomeType.objects.values_list("code", flat=True)) >= {"degree_course", "one_plus_x", "mooc"}
    assert OutcomeType.objects.get(code="one_plus_x").name == "1+X证书"
    assert list(FrameworkLevel.objects.values_list("number", flat=True)) == list(range(1, 11))
    assert all(FrameworkLevel.objects.values_list("descriptor", flat=True))


def _item(**extra):
    issuer, _ = Issuer.objects.get_or_create(code="AHU", defaults={"name": "安徽大学", "kind": "university"})
    fields = {
        "code": "C001",
        "name": "大数据与会计基础",
        "outcome_type": OutcomeType.objects.get(code="degree_course"),
        "issuer": issuer,
        "credits": Decimal("2"),
    }
    fields.update(extra)
    return CatalogItem.objects.create(**fields)


def test_saving_an_item_stores_the_pinyin_initials_of_its_name():
    item = _item()
    assert item.name_initials == "dsjykjjc"


def test_the_database_refuses_negative_credits():
    _item()
    with pytest.raises(IntegrityError), transaction.atomic():
        _item(code="C002", credits=Decimal("-1"))
    assert CatalogItem.objects.count() == 1


def test_the_database_refuses_a_second_current_version_and_a_repeated_version():
    _item()
    with pytest.raises(IntegrityError), transaction.atomic():
        _item(version=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        _item(is_current=False)
    assert CatalogItem.objects.filter(code="C001").count() == 1
