import pytest

from creditbank.catalog import demo_data
from creditbank.catalog.models import CatalogItem, Discipline, Issuer, OutcomeType, Standard

pytestmark = pytest.mark.django_db


def test_the_demo_catalog_covers_every_type_and_loads_idempotently():
    # when
    added = demo_data.load_catalog()
    counts = (CatalogItem.objects.count(), Issuer.objects.count(), Standard.objects.count(), Discipline.objects.count())
    again = demo_data.load_catalog()
    # then
    assert added >= 300
    assert again == 0
    assert (
        CatalogItem.objects.count(),
        Issuer.objects.count(),
        Standard.objects.count(),
        Discipline.objects.count(),
    ) == counts
    assert counts[0] == added
    assert set(CatalogItem.objects.values_list("outcome_type__code", flat=True)) == set(
        OutcomeType.objects.values_list("code", flat=True)
    )
    assert CatalogItem.objects.filter(outcome_type__code="one_plus_x").count() == 48
    assert CatalogItem.objects.filter(status="draft").count() == 1
    assert Issuer.objects.count() >= 10
    mutual = Standard.objects.filter(kind="mutual_recognition")
    assert sorted(mutual.values_list("number", flat=True)) == ["CSJ-HR-510201-2024", "CSJ-HR-530302-2024"]
    assert (
        CatalogItem.objects.filter(standard__number="CSJ-HR-510201-2024", discipline__name="计算机应用技术").count()
        == 24
    )
    assert CatalogItem.objects.get(code="510201-13058-01").issuer.name == "合肥职业技术学院"
