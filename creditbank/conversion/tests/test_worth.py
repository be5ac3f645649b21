"""“What is this worth here?”: item matching (code, wording, pinyin, initials), the verdict per
programme (match / maybe with its reasons / no match), what is ignored (drafts, retired, not in
effect, old versions, closed programmes), the errors, the rate limit, the query budget and the
public page."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditbank.catalog.tests.factories import make_item
from creditbank.conversion import services, worth, worth_api
from creditbank.conversion.models import ConversionRule, Programme
from creditbank.conversion.tests.factories import make_programme, make_rule

pytestmark = pytest.mark.django_db

API = "/api/v1/conversion/worth"
ELEC_NAME = "电工（中级）职业资格证书"


def _day(days: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


@pytest.fixture
def items(tree):
    return {
        "ELEC-M": make_item(code="ELEC-M", name=ELEC_NAME, type="professional_qualification", level=5),
        "ELEC-H": make_item(code="ELEC-H", name="电工（高级）职业资格证书", type="professional_qualification", level=6),
        "WEB-M": make_item(code="WEB-M", name="Web前端开发职业技能等级证书（中级）", type="one_plus_x", level=5),
        "AWARD-2": make_item(code="AWARD-2", name="全国职业院校技能大赛二等奖", type="competition_award"),
        "CS-BASE": make_item(code="CS-BASE", name="计算机应用基础", type="degree_course"),
    }


@pytest.fixture
def world(tree, items):
    programmes = {}

    def programme(code, *, max_age=None, name=None):
        programmes[code] = make_programme(
            tree.b,
            code=code,
            name=name or f"专业{code}",
            courses={"C1": (3, "专业必修"), "C2": (2, "专业选修")},
            max_age=max_age,
        )
        return programmes[code]

    make_rule(programme("P-MATCH", name="电气自动化技术"), "R01", "ELEC-M", "C1+C2")
    make_rule(programme("P-ANY"), "R01", "ELEC-M|ELEC-H", "C1")
    make_rule(programme("P-SCORE"), "R01", "ELEC-M", "C1", min_score="良好")
    make_rule(programme("P-YEARS"), "R01", "ELEC-M", "C1", within_years="3")
    make_rule(programme("P-LEVEL"), "R01", "ELEC-M", "C1", min_level="5")
    make_rule(programme("P-ALL"), "R01", "ELEC-M+AWARD-2", "C1")
    make_rule(programme("P-NOFM"), "R01", "ELEC-M+ELEC-H+WEB-M", "C1", source_count="2")
    make_rule(programme("P-AGE", max_age=5), "R01", "ELEC-M", "C1")
    make_rule(programme("P-NONE"), "R01", "CS-BASE", "C1")
    make_rule(programme("P-DRAFT"), "R01", "ELEC-M", "C1", publish=False)
    services.retire_rule(make_rule(programme("P-RETIRED"), "R01", "ELEC-M", "C1"), actor=None)
    make_rule(programme("P-FUTURE"), "R01", "ELEC-M", "C1", effective_from=_day(30))
    make_rule(programme("P-EXPIRED"), "R01", "ELEC-M", "C1", effective_from=_day(-400), effective_to=_day(-1))
    old = make_rule(programme("P-OLD"), "R01", "ELEC-M", "C1")
    services.update_rule(
        old, services.RuleData(programme_code="P-OLD", number="R01", sources="CS-BASE", targets="C1", mode="免修免考"),
        actor=None,
    )  # fmt: skip
    make_rule(programme("P-CLOSED"), "R01", "ELEC-M", "C1")
    Programme.objects.filter(code="P-CLOSED").update(status="closed")
    return {"items": items, "programmes": programmes}


CONVERTING = {"P-MATCH", "P-ANY", "P-SCORE", "P-YEARS", "P-LEVEL", "P-ALL", "P-NOFM", "P-AGE"}
IGNORED = {"P-NONE", "P-DRAFT", "P-RETIRED", "P-FUTURE", "P-EXPIRED", "P-OLD"}


def _verdicts(found):
    return {result.programme.code: result.verdict for result in found.results}


def _reasons(found, code):
    (result,) = [result for result in found.results if result.programme.code == code]
    return [reason.code for rule in result.rules for reason in rule.reasons]


# --- item matching ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["ELEC-M", "elec-m", " Elec-M ", "ＥＬＥＣ－Ｍ"])
def test_a_catalog_code_in_any_case_or_width_finds_its_item_exactly(items, query):
    found = worth.lookup(query)
    assert [(item.code, item.exact, item.matched_by, item.similarity) for item in found.items] == [
        ("ELEC-M", True, "code", 1.0)
    ]


@pytest.mark.parametrize("query", ["电工中级证", "电工（中级）", "电工 中级 证书", "电工中级职业资格证书"])
def test_other_wording_of_the_name_finds_the_item_as_exact(items, query):
    found = worth.lookup(query)
    assert [(item.code, item.exact, item.matched_by) for item in found.items] == [("ELEC-M", True, "name")]


def test_a_name_that_differs_in_a_word_is_similar_not_exact(items):
    found = worth.lookup("电工职业资格证中级")
    (item,) = found.items
    assert (item.code, item.exact) == ("ELEC-M", False)
    assert worth.MIN_SIMILARITY <= item.similarity < 1


@pytest.mark.parametrize(
    ("query", "matched_by"),
    [("dian gong zhong ji", "pinyin"), ("diangongzhongji", "pinyin"), ("dian gong zhong ji zheng shu", "pinyin"),
     ("dgzj", "initials"), ("DGZJ", "initials")],
)  # fmt: skip
def test_full_pinyin_and_initials_find_the_item_but_never_exactly(items, query, matched_by):
    found = worth.lookup(query)
    assert [(item.code, item.exact, item.matched_by) for item in found.items] == [("ELEC-M", False, matched_by)]


def test_a_vague_query_finds_every_item_it_fits_strongest_first(world):
    found = worth.lookup("dian gong")
    assert sorted(item.code for item in found.items) == ["ELEC-H", "ELEC-M"]
    assert all(not item.exact for item in found.items)
    # the n-of-m rule takes both: one entry per item, each to be checked
    (result,) = [result for result in found.results if result.programme.code == "P-NOFM"]
    assert sorted(rule.item.code for rule in result.rules) == ["ELEC-H", "ELEC-M"]


def test_another_level_of_the_same_certificate_is_not_offered(items):
    # 电工（高级） shares 电工 and 级 with the query, but is another outcome
    assert [item.code for item in worth.lookup("电工中级证").items] == ["ELEC-M"]
    assert [item.code for item in worth.lookup("dgzj").items] == ["ELEC-M"]


def test_only_one_of_two_names_equal_without_fillers_is_exact(tree):
    make_item(code="NURSE", name="护理", type="degree_course")
    make_item(code="NURSE-T", name="护理培训", type="non_degree_training")
    assert [(item.code, item.exact) for item in worth.lookup("护理培训").items][:1] == [("NURSE-T", True)]
    assert [(item.code, item.exact) for item in worth.lookup("护理").items][:1] == [("NURSE", True)]
    assert sum(item.exact for item in worth.lookup("护理").items) == 1


def test_draft_and_retired_items_are_not_found(tree):
    make_item(code="DRAFT-1", name="电工（中级）职业资格证书", publish=False)
    assert worth.lookup("DRAFT-1").items == []
    assert worth.lookup("电工中级证").items == []


def test_nothing_alike_finds_no_item_and_every_open_programme_is_no_match(world):
    found = worth.lookup("量子力学")
    assert found.items == []
    assert found.results == []
    open_count = Programme.objects.filter(status="active").count()
    assert found.no_match.count == open_count == len(CONVERTING | IGNORED)


# --- verdicts -----------------------------------------------------------------------------------


def test_each_condition_kind_makes_a_maybe_and_only_the_unconditional_rules_match(world):
    found = worth.lookup("ELEC-M")
    assert _verdicts(found) == {
        "P-MATCH": "match",
        "P-ANY": "match",  # any one of two: this one alone is enough
        "P-SCORE": "maybe",
        "P-YEARS": "maybe",
        "P-LEVEL": "maybe",
        "P-ALL": "maybe",
        "P-NOFM": "maybe",
        "P-AGE": "maybe",
    }
    assert _reasons(found, "P-MATCH") == []
    assert _reasons(found, "P-SCORE") == ["min_score"]
    assert _reasons(found, "P-YEARS") == ["within_years"]
    assert _reasons(found, "P-LEVEL") == ["min_level"]
    assert _reasons(found, "P-ALL") == ["all_of"]
    assert _reasons(found, "P-NOFM") == ["n_of_m"]
    assert _reasons(found, "P-AGE") == ["within_years"]  # the programme's own age limit
    # matches come first
    assert [result.verdict for result in found.results[:2]] == ["match", "match"]


def test_the_reasons_say_what_to_check_and_which_other_items_are_needed(world):
    found = worth.lookup("ELEC-M")
    messages = {
        result.programme.code: [r.message for rule in result.rules for r in rule.reasons] for result in found.results
    }
    assert "良好" in messages["P-SCORE"][0]
    assert "3" in messages["P-YEARS"][0]
    assert (timezone.localdate().replace(year=timezone.localdate().year - 3)).isoformat() in messages["P-YEARS"][0]
    assert "全国职业院校技能大赛二等奖（AWARD-2）" in messages["P-ALL"][0]
    assert "ELEC-M" not in messages["P-ALL"][0]
    assert "2" in messages["P-NOFM"][0]
    assert "WEB-M" in messages["P-NOFM"][0]


def test_a_fuzzy_name_makes_even_an_unconditional_rule_a_maybe(world):
    found = worth.lookup("dgzj")
    assert _verdicts(found)["P-MATCH"] == "maybe"
    assert _reasons(found, "P-MATCH") == ["fuzzy_name"]
    (result,) = [result for result in found.results if result.programme.code == "P-MATCH"]
    message = result.rules[0].reasons[0].message
    assert "dgzj" in message
    assert ELEC_NAME in message
    assert "85%" in message


def test_drafts_retired_not_yet_effective_expired_old_versions_and_closed_programmes_are_ignored(world):
    found = worth.lookup("ELEC-M")
    assert set(_verdicts(found)) == CONVERTING
    assert {programme.code for programme in found.no_match.programmes} == IGNORED
    assert found.no_match.count == len(IGNORED)  # P-CLOSED is neither: it is not open


def test_the_current_version_of_a_rule_is_the_one_shown(world):
    found = worth.lookup("CS-BASE")
    assert _verdicts(found) == {"P-NONE": "match", "P-OLD": "match"}
    (result,) = [result for result in found.results if result.programme.code == "P-OLD"]
    assert [(rule.number, rule.version) for rule in result.rules] == [("R01", 2)]


def test_a_match_lists_the_target_courses_credits_and_mode(world):
    found = worth.lookup("电工中级证")
    (result,) = [result for result in found.results if result.programme.code == "P-MATCH"]
    (rule,) = result.rules
    assert [(course.code, course.credits) for course in rule.courses] == [("C1", Decimal(3)), ("C2", Decimal(2))]
    assert (rule.credits, rule.mode, rule.number, rule.version) == (Decimal(5), "exemption", "R01", 1)


def test_no_match_is_capped_but_counted(world):
    found = worth.lookup("ELEC-M", no_match_limit=2)
    assert found.no_match.count == len(IGNORED)
    assert len(found.no_match.programmes) == 2
    assert found.no_match.more == len(IGNORED) - 2


_numbers = itertools.count(1)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["single", "all_of", "n_of_m", "any"]),
    min_score=st.sampled_from(["", "60", "良好"]),
    within_years=st.sampled_from(["", "2"]),
    min_level=st.sampled_from(["", "3", "8"]),
    max_age=st.sampled_from([None, 10]),
    starts=st.sampled_from([None, -30]),
    ends=st.sampled_from([None, 0, 365]),
)
def test_an_exact_code_a_rule_in_effect_takes_is_never_no_match(
    tree, kind, min_score, within_years, min_level, max_age, starts, ends
):
    # given: a fresh item and a published rule in effect today that takes it
    number = next(_numbers)
    code = f"PROP-{number}"
    make_item(code=code, name=f"属性测试成果{number}")
    others = [make_item(code=f"PROP-{number}-{index}", name=f"其他成果{number}{index}").code for index in (1, 2)]
    sources = {"single": code, "all_of": "+".join([code, *others]), "n_of_m": "+".join([code, *others]),
               "any": "|".join([code, *others])}[kind]  # fmt: skip
    programme = make_programme(tree.b, code=f"PROP-P{number}", max_age=max_age)
    make_rule(
        programme, "R1", sources, "C1", min_score=min_score, within_years=within_years, min_level=min_level,
        source_count="2" if kind == "n_of_m" else "",
        effective_from=_day(starts) if starts is not None else "", effective_to=_day(ends) if ends is not None else "",
    )  # fmt: skip
    # when
    found = worth.lookup(code.lower())
    # then
    verdict = _verdicts(found).get(programme.code, worth.Verdict.NO_MATCH)
    assert verdict != worth.Verdict.NO_MATCH
    unconditional = kind in ("single", "any") and not (min_score or within_years or min_level or max_age)
    assert (verdict == worth.Verdict.MATCH) is unconditional
    assert programme.code not in {p.code for p in found.no_match.programmes}


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "worth_query_required"), ("   ", "worth_query_required"), ("（）、", "worth_query_required"),
     ("电" * 65, "worth_query_too_long")],
)  # fmt: skip
def test_empty_and_too_long_queries_are_refused_with_a_clear_code(anon_client, query, code):
    from creditbank.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as raised:
        worth.lookup(query)
    assert raised.value.code == code
    response = anon_client.get(API, {"q": query})
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert response.json()["details"][0]["field"] == "q"


def test_a_query_of_the_longest_length_is_accepted(items, anon_client):
    assert anon_client.get(API, {"q": "电" * worth.MAX_QUERY_LENGTH}).status_code == 200


# --- the API ------------------------------------------------------------------------------------


def test_the_api_answers_items_results_and_no_match(world, anon_client):
    response = anon_client.get(API, {"q": "电工中级证"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "电工中级证"
    assert body["items"] == [
        {
            "code": "ELEC-M",
            "name": ELEC_NAME,
            "similarity": 1.0,
            "exact": True,
            "matched_by": "name",
            "level": 5,
            "outcome_type": "职业资格证书",
            "issuer": "安徽大学",
        }
    ]
    first = body["results"][0]
    assert first["verdict"] == "match"
    assert first["programme"]["code"] in {"P-MATCH", "P-ANY"}
    match = next(result for result in body["results"] if result["programme"]["code"] == "P-MATCH")
    assert match["programme"] == {
        "code": "P-MATCH",
        "name": "电气自动化技术",
        "level": "bachelor",
        "level_label": "本科",  # Chinese by default
        "org": {"code": "B", "name": "安徽师范大学中心"},
        "detail_url": "/api/v1/programmes/P-MATCH",
    }
    (rule,) = match["rules"]
    assert {key: rule[key] for key in ("number", "version", "mode", "verdict", "item_code", "credits", "reasons")} == {
        "number": "R01",
        "version": 1,
        "mode": "exemption",
        "verdict": "match",
        "item_code": "ELEC-M",
        "credits": "5.0",
        "reasons": [],
    }
    assert [course["code"] for course in rule["courses"]] == ["C1", "C2"]
    score = next(result for result in body["results"] if result["programme"]["code"] == "P-SCORE")
    assert score["verdict"] == "maybe"
    assert [reason["code"] for reason in score["rules"][0]["reasons"]] == ["min_score"]
    assert body["no_match"]["count"] == len(IGNORED)
    assert {programme["code"] for programme in body["no_match"]["programmes"]} == IGNORED


def test_anonymous_callers_are_limited_per_address(world, anon_client, monkeypatch):
    monkeypatch.setattr(worth_api, "ANONYMOUS_RATE_LIMIT", (3, 60))
    statuses = [anon_client.get(API, {"q": "ELEC-M"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert anon_client.get(API, {"q": "ELEC-M"}).json()["code"] == "rate_limited"
    # the page counts with the API
    page = anon_client.get(reverse("conversion:worth"), {"q": "ELEC-M"})
    assert page.status_code == 200
    assert b'id="worth-error"' in page.content
    assert b"data-programme=" not in page.content
    # another address is not affected
    assert anon_client.get(API, {"q": "ELEC-M"}, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_signed_in_callers_are_limited_per_account(world, learner_client, monkeypatch):
    monkeypatch.setattr(worth_api, "USER_RATE_LIMIT", (2, 60))
    statuses = [learner_client.get(API, {"q": "ELEC-M"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_refused_queries_do_not_count_against_the_limit(world, anon_client, monkeypatch):
    monkeypatch.setattr(worth_api, "ANONYMOUS_RATE_LIMIT", (1, 60))
    assert anon_client.get(API, {"q": ""}).status_code == 422
    assert anon_client.get(API, {"q": "ELEC-M"}).status_code == 200


@pytest.mark.parametrize("size", [5, 40])
def test_the_query_count_does_not_grow_with_rules_or_programmes(tree, size, django_assert_max_num_queries):
    # given: many programmes with rules of every kind on the items the query finds
    make_item(code="ELEC-M", name=ELEC_NAME, level=5)
    make_item(code="ELEC-H", name="电工（高级）职业资格证书", level=6)
    make_item(code="OTHER", name="其他成果")
    for index in range(size):
        programme = make_programme(tree.b, code=f"Q{index:03d}", courses={"C1": (3, "必修"), "C2": (2, "选修")})
        make_rule(programme, "R1", "ELEC-M", "C1", min_score="60" if index % 2 else "")
        make_rule(programme, "R2", "ELEC-H+OTHER", "C2")
    worth.item_forms.cache_clear()
    worth.item_sounds.cache_clear()
    # when / then: one for the candidates, three for the rules, one for names, two for no match
    with django_assert_max_num_queries(8):
        found = worth.lookup("dian gong")
    assert len(found.results) == size
    assert sum(len(result.rules) for result in found.results) == 2 * size


# --- the page -----------------------------------------------------------------------------------


def test_the_page_renders_without_login_in_chinese_with_the_groups(world, anon_client):
    response = anon_client.get(reverse("conversion:worth"), {"q": "电工中级证"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    for section in ("worth-match", "worth-maybe", "worth-none"):
        assert f'id="{section}"' in html
    assert 'data-programme="P-MATCH" data-verdict="match"' in html
    assert 'data-programme="P-SCORE" data-verdict="maybe"' in html
    assert 'data-reason="min_score"' in html
    assert 'data-no-match="P-DRAFT"' in html
    assert 'id="worth-login-hint"' in html
    assert f'?next={reverse("conversion:me-programmes")}"' in html
    assert 'href="/api/v1/programmes/P-MATCH"' in html


def test_the_page_without_a_query_shows_only_the_form(world, anon_client):
    response = anon_client.get(reverse("conversion:worth"))
    assert response.status_code == 200
    assert b'name="q"' in response.content
    assert b"worth-items" not in response.content
    assert b"worth-error" not in response.content


def test_the_page_shows_a_refused_query_as_a_message(world, anon_client):
    response = anon_client.get(reverse("conversion:worth"), {"q": ""})
    assert response.status_code == 200
    assert b'id="worth-error"' in response.content


def test_htmx_gets_only_the_results(world, anon_client):
    response = anon_client.get(reverse("conversion:worth"), {"q": "dgzj"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'data-programme="P-MATCH" data-verdict="maybe"' in response.content


def test_the_public_navigation_links_to_the_page(tree, anon_client):
    response = anon_client.get(reverse("portal:home"))
    assert f'href="{reverse("conversion:worth")}" id="nav-worth"'.encode() in response.content


def test_a_rule_in_a_programme_that_closes_disappears(world):
    Programme.objects.filter(code="P-MATCH").update(status="closed")
    assert "P-MATCH" not in _verdicts(worth.lookup("ELEC-M"))
    assert ConversionRule.objects.filter(programme__code="P-MATCH", status="published").exists()


# --- page matrix (the completeness check is test_console.test_every_conversion_route_has_a_row) ---

PAGE_ROUTES = {"conversion:worth": {"q": "ELEC-M"}}
PAGE_CASES = [
    ("anonymous", "anon_client"),
    ("learner", "learner_client"),
    ("centre reviewer", "centre_reviewer_client"),
    ("centre administrator", "centre_admin_client"),
    ("management centre", "root_admin_client"),
]


@pytest.mark.parametrize("name", list(PAGE_ROUTES))
@pytest.mark.parametrize(("_case", "client_name"), PAGE_CASES)
def test_public_pages_answer_every_caller_alike(request, world, name, _case, client_name):
    # given
    client = request.getfixturevalue(client_name)
    # when
    response = client.get(reverse(name), PAGE_ROUTES[name])
    # then: public on purpose, the same answer for everyone
    assert response.status_code == 200
    assert b'data-programme="P-MATCH" data-verdict="match"' in response.content


def test_a_short_name_finds_the_catalog_name_that_spells_it_out_with_words_between(tree):
    # given the catalog's name of a skill certificate, and another occupation's of the same grade
    make_item(code="JN-E", name="电工职业技能等级证书（四级/中级工）", type="skill_level_certificate", level=5)
    make_item(code="JN-W", name="焊工职业技能等级证书（四级/中级工）", type="skill_level_certificate", level=5)
    # when a learner types what they call it
    found = worth.lookup("电工中级证")
    # then the electrician's certificate is found, as similar (not exact), and the welder's is not
    assert [(item.code, item.exact) for item in found.items] == [("JN-E", False)]
    assert worth.MIN_SIMILARITY <= found.items[0].similarity < 1


def test_parts_in_order_count_only_from_three_parts_and_only_in_order():
    assert worth.similarity("电工中级", "电工四级中级工") == pytest.approx(0.4 + 0.4 * 4 / 7)
    assert worth.similarity("中级电工", "电工四级中级工") < worth.MIN_SIMILARITY
    assert worth.similarity("电中", "电工四级中级工") < worth.MIN_SIMILARITY
