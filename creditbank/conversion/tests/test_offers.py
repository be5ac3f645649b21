"""The learner's side: the programmes their outcomes already convert into, the warnings before
applying, and the one-click application."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from creditbank.archive.tests.factories import make_outcome
from creditbank.catalog.tests.factories import make_item
from creditbank.conversion import offers
from creditbank.conversion.models import ConversionRequest
from creditbank.conversion.tests.factories import make_programme, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def programmes(tree):
    web = make_item(code="1X-WEB-M", name="Web前端开发（中级）", type="one_plus_x", credits=Decimal("4"), level=5)
    make_item(code="NURSE-1", name="护理培训", credits=Decimal("2"))
    cs = make_programme(
        tree.b,
        code="CS-BK",
        courses={"CS201": (2, "专业选修"), "CS202": (3, "专业选修")},
        total=10,
        cap="0.4",
    )
    make_rule(cs, "R01", "1X-WEB-M", "CS201", within_years="3")
    make_rule(cs, "R02", "1X-WEB-M", "CS202")
    other = make_programme(tree.b, code="HL-ZK", name="护理", courses={"HL1": (3, "必修")})
    make_rule(other, "H01", "NURSE-1", "HL1")
    return {"web": web, "cs": cs, "other": other}


def test_only_programmes_the_outcomes_convert_into_are_offered_with_warnings(programmes, learner_a):
    achieved = timezone.localdate().replace(year=timezone.localdate().year - 3) + dt.timedelta(days=30)
    make_outcome(learner=learner_a, item=programmes["web"], achieved_on=achieved)
    found = offers.offers_for(learner_a)
    assert [offer.programme.code for offer in found] == ["CS-BK"]
    (offer,) = found
    assert offer.credits == Decimal("3")  # one outcome, used once: R02's 3 credits beat R01's 2
    assert offer.warnings == []
    assert not offer.pending


def test_the_cap_is_warned_of_when_it_leaves_a_conversion_out(programmes, learner_a, tree):
    capped = make_programme(tree.b, code="CAP-BK", courses={"A1": (3, "选修"), "A2": (3, "选修")}, total=10, cap="0.5")
    make_rule(capped, "C01", "1X-WEB-M", "A1")
    make_rule(capped, "C02", "NURSE-1", "A2")
    from creditbank.catalog.models import CatalogItem

    for code in ("1X-WEB-M", "NURSE-1"):
        make_outcome(learner=learner_a, item=CatalogItem.objects.get(code=code), achieved_on=timezone.localdate())
    offer = next(offer for offer in offers.offers_for(learner_a) if offer.programme.code == "CAP-BK")
    assert offer.credits == Decimal("3")  # 50 % of 10 = 5: one course of 3 fits, not two
    assert any("5.0" in warning for warning in offer.warnings)


def test_an_outcome_about_to_be_too_old_is_warned_of(programmes, learner_a, tree):
    from creditbank.conversion.models import ConversionRule

    ConversionRule.objects.filter(number="R02").update(status="retired")  # only R01 (within 3 years) is left
    achieved = timezone.localdate().replace(year=timezone.localdate().year - 3) + dt.timedelta(days=30)
    make_outcome(learner=learner_a, item=programmes["web"], achieved_on=achieved)
    (offer,) = offers.offers_for(learner_a)
    assert offer.courses == ["课程CS201（CS201）"]  # name and code, as the learner reads them
    last_day = achieved.replace(year=achieved.year + 3).isoformat()
    assert any("1X-WEB-M" in warning and last_day in warning for warning in offer.warnings)


def test_the_learner_sees_the_offers_and_applies_in_one_click(programmes, learner_a, learner_client):
    make_outcome(learner=learner_a, item=programmes["web"], achieved_on=timezone.localdate() - dt.timedelta(days=10))
    page = learner_client.get(reverse("conversion:me-programmes"))
    assert page.status_code == 200
    assert 'data-programme="CS-BK"' in page.content.decode()
    applied = learner_client.post(reverse("conversion:me-programme-apply", args=["CS-BK"]), follow=True)
    assert ConversionRequest.objects.filter(learner=learner_a, programme=programmes["cs"]).count() == 1
    assert "under review" in applied.content.decode() or "审核中" in applied.content.decode()
    again = learner_client.post(reverse("conversion:me-programme-apply", args=["CS-BK"]), follow=True)
    assert ConversionRequest.objects.count() == 1
    assert [m.level_tag for m in again.context["messages"]] == ["error"]


def test_nothing_to_offer_says_how_to_get_there(learner_client, programmes):
    page = learner_client.get(reverse("conversion:me-programmes")).content.decode()
    assert 'id="no-offers"' in page
