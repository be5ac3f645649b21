"""The demo's conversion scenarios (issue 7, item 8): degree-upgrade programmes of three demo
centres with their published conversion rules, and one learner per scenario whose stored
outcomes convert — so that each story can be walked through in the learner space and the console
right after ``creditbank demo``:

- ``worker``: an industrial worker (产业工人) whose utility-model patent (technical innovation) and
  provincial workers' skills-competition award convert into 机电一体化技术 courses;
- ``farmer``: a farmer whose training certificates and a season of field practice convert into
  现代农业技术 courses;
- ``one_plus_x``: a 1+X Web front-end certificate converting into a higher-vocational course;
- ``self_study``: self-study examination courses (自学考试) converting into university courses,
  one of them with a score below the rule's minimum (the audit says why it does not count);
- ``yangtze``: a learner from Shanghai whose outcomes are recognised here (see
  ``creditbank.recognition``: ``creditbank.demo`` adds the import of their Shanghai-signed credentials
  to ``YANGTZE_HOOKS``).

Idempotent: items, programmes, rules, learners and outcomes are found by code or identity first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from creditbank.conversion import services
from creditbank.conversion.models import ConversionRule, Programme

# --- catalog items the stories need beyond the demo catalog -------------------------------------

# code, name, type, issuer code, issuer name, level, credits, hours, evidence
SCENARIO_ITEMS = (
    ("JS-ZG-1", "安徽省职工职业技能大赛一等奖", "competition_award", "AHZGH", "安徽省总工会", 5, "6", None, "获奖证书"),
    ("JS-ZG-2", "安徽省职工职业技能大赛二等奖", "competition_award", "AHZGH", "安徽省总工会", 5, "4", None, "获奖证书"),
    ("JS-ZG-3", "安徽省职工职业技能大赛三等奖", "competition_award", "AHZGH", "安徽省总工会", 5, "3", None, "获奖证书"),
    (
        "SJ-NM-1",
        "农业生产田间实践（一个生产季）",
        "practice",
        "AHNGX",
        "安徽省农业广播电视学校",
        3,
        "4",
        160,
        "乡镇农技站出具的田间实践证明及生产记录",
    ),
)

# --- programmes: code, name, level, centre, total, cap, max age, {group: (minimum, courses)} ----


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    name: str
    level: str
    org_code: str
    total: str
    cap: str
    max_age: int | None
    # group name → (minimum credits or None for 必修, ((course code, name, credits), ...))
    groups: dict[str, tuple[str | None, tuple[tuple[str, str, str], ...]]]
    # number, sources ("+" all of them, "|" any one), targets, mode, min score, within years
    rules: tuple[tuple[str, str, str, str, str, str], ...]


PROGRAMMES = (
    ProgrammeSpec(
        code="AQVC-460301",
        name="机电一体化技术（学历提升）",
        level="junior_college",
        org_code="V-AQVC",
        total="120",
        cap="0.3",
        max_age=10,
        groups={
            "必修": (
                None,
                (
                    ("JD101", "机械制图与CAD", "4"),
                    ("JD102", "电工电子技术", "4"),
                    ("JD103", "PLC应用技术", "4"),
                    ("JD104", "机电设备创新设计", "3"),
                ),
            ),
            "专业拓展": (
                "6",
                (("JD201", "工业机器人应用", "3"), ("JD202", "职业技能竞赛实训", "3"), ("JD203", "电气控制技术", "2")),
            ),
        },
        rules=(
            ("AQJD-01", "GX-1|GX-2", "JD104", "免修免考", "", ""),
            ("AQJD-02", "JS-ZG-1|JS-ZG-2", "JD202", "学分认定", "", ""),
            ("AQJD-03", "JN-01-2|JN-01-3", "JD102", "免修免考", "", ""),
        ),
    ),
    ProgrammeSpec(
        code="AQVC-410101",
        name="现代农业技术（学历提升）",
        level="junior_college",
        org_code="V-AQVC",
        total="120",
        cap="0.3",
        max_age=8,
        groups={
            "必修": (
                None,
                (
                    ("NY101", "作物生产技术", "4"),
                    ("NY102", "植物保护技术", "3"),
                    ("NY103", "农业生产综合实训", "4"),
                    ("NY104", "农产品营销", "2"),
                ),
            ),
            "专业选修": (
                "4",
                (("NY201", "水产养殖技术", "2"), ("NY202", "农村电子商务", "2"), ("NY203", "家庭农场经营", "2")),
            ),
        },
        rules=(
            ("AQNY-01", "NM-01-2", "NY101", "学分认定", "", ""),
            ("AQNY-02", "NM-02-1+NM-11-1", "NY102", "学分认定", "", ""),
            ("AQNY-03", "SJ-NM-1", "NY103", "免修免考", "", "5"),
            ("AQNY-04", "NM-07-1|NM-07-2", "NY202", "学分认定", "", ""),
        ),
    ),
    ProgrammeSpec(
        code="HFVC-510201",
        name="计算机应用技术（学历提升）",
        level="junior_college",
        org_code="V-HFVC",
        total="120",
        cap="0.4",
        max_age=None,
        groups={
            "必修": (
                None,
                (
                    ("JY101", "程序设计基础", "4"),
                    ("JY102", "数据库技术及应用", "4"),
                    ("JY103", "Web前端开发技术", "4"),
                    ("JY104", "计算机网络技术", "4"),
                ),
            ),
            "专业选修": (
                "6",
                (("JY201", "Python程序设计", "3"), ("JY202", "移动应用开发", "3"), ("JY203", "大数据技术导论", "2")),
            ),
        },
        rules=(
            ("HFJY-01", "1X-102-2", "JY103", "免修免考", "", ""),
            ("HFJY-02", "1X-102-3", "JY103+JY202", "免修免考", "", ""),
            ("HFJY-03", "MOOC-01", "JY201", "学分认定", "80", "5"),
        ),
    ),
    ProgrammeSpec(
        code="AHU-080901-ZSB",
        name="计算机科学与技术（专升本）",
        level="bachelor",
        org_code="U-AHU",
        total="80",
        cap="0.3",
        max_age=10,
        groups={
            "必修": (
                None,
                (
                    ("CS301", "马克思主义基本原理", "3"),
                    ("CS302", "数据结构", "4"),
                    ("CS303", "计算机网络", "4"),
                    ("CS304", "数据库系统原理", "4"),
                    ("CS305", "操作系统", "4"),
                    ("CS306", "中国近现代史纲要", "2"),
                ),
            ),
            "专业选修": (
                "4",
                (("CS401", "软件工程", "3"), ("CS402", "人工智能导论", "2"), ("CS403", "Python程序设计", "2")),
            ),
        },
        rules=(
            ("AHUCS-01", "ZK-03709", "CS301", "免修免考", "60", ""),
            ("AHUCS-02", "ZK-02331", "CS302", "免修免考", "60", ""),
            ("AHUCS-03", "ZK-04741", "CS303", "免修免考", "60", ""),
            ("AHUCS-04", "ZK-04735", "CS304", "免修免考", "60", ""),
            ("AHUCS-05", "ZK-02326", "CS305", "免修免考", "60", ""),
            ("AHUCS-06", "MOOC-06", "CS402", "学分认定", "80", "5"),
            ("AHUCS-07", "MOOC-01", "CS403", "学分认定", "80", "5"),
            ("AHUCS-08", "ZK-03708", "CS306", "免修免考", "60", ""),
        ),
    ),
)


# --- the learners of the stories ------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioLearner:
    key: str
    title: str
    name: str
    region: str
    birth: dt.date
    sequence: int
    org_code: str
    programme_code: str
    # item code, date achieved, score, certificate number
    outcomes: tuple[tuple[str, dt.date, str, str], ...] = ()
    phone_suffix: int = 0
    # The region they live in now (an Anhui region), when it is not the one their ID number carries.
    residence: str = ""


SCENARIOS = (
    ScenarioLearner(
        key="worker",
        title="产业工人：技术创新与职工技能竞赛获奖转换为课程学分",
        name="周建国",
        region="340802",
        birth=dt.date(1986, 3, 12),
        sequence=511,
        org_code="I-AQ",
        programme_code="AQVC-460301",
        outcomes=(
            ("GX-2", dt.date(2023, 5, 10), "", "ZL2023-2-0510"),
            ("JS-ZG-2", dt.date(2024, 10, 20), "二等奖", "AHZG-2024-0215"),
            ("JN-01-2", dt.date(2021, 6, 1), "合格", "JN2021-0601-77"),
        ),
        phone_suffix=1,
    ),
    ScenarioLearner(
        key="farmer",
        title="农民：培训证书与田间实践转换为涉农专业课程",
        name="汪春林",
        region="340882",
        birth=dt.date(1976, 8, 3),
        sequence=731,
        org_code="F-QS",
        programme_code="AQVC-410101",
        outcomes=(
            ("NM-01-2", dt.date(2023, 3, 18), "合格", "NGX2023-0318"),
            ("NM-02-1", dt.date(2022, 11, 5), "合格", "NGX2022-1105"),
            ("NM-11-1", dt.date(2023, 4, 22), "合格", "NGX2023-0422"),
            ("SJ-NM-1", dt.date(2024, 10, 30), "", ""),
            ("NM-07-1", dt.date(2025, 5, 16), "合格", "NGX2025-0516"),
        ),
        phone_suffix=2,
    ),
    ScenarioLearner(
        key="one_plus_x",
        title="1+X 证书转换为高职课程",
        name="陈佳琪",
        region="340104",
        birth=dt.date(2001, 11, 27),
        sequence=322,
        org_code="L-HF",
        programme_code="HFVC-510201",
        outcomes=(
            ("1X-102-2", dt.date(2024, 6, 28), "合格", "1X-WEB-2024-0628"),
            ("MOOC-01", dt.date(2023, 12, 20), "86", ""),
        ),
        phone_suffix=3,
    ),
    ScenarioLearner(
        key="self_study",
        title="自学考试课程转换为本科课程",
        name="李思远",
        region="340103",
        birth=dt.date(1995, 2, 14),
        sequence=145,
        org_code="L-HF",
        programme_code="AHU-080901-ZSB",
        outcomes=(
            ("ZK-02331", dt.date(2022, 10, 23), "72", ""),
            ("ZK-04741", dt.date(2023, 4, 16), "65", ""),
            ("ZK-03709", dt.date(2023, 10, 22), "58", ""),
            ("ZK-04735", dt.date(2024, 4, 14), "81", ""),
        ),
        phone_suffix=4,
    ),
    ScenarioLearner(
        key="yangtze",
        title="长三角学习者：上海的学习成果在本省得到互认并转换",
        name="沈晨欣",
        region="310104",
        birth=dt.date(1992, 6, 9),
        sequence=268,
        org_code="L-HF",
        programme_code="AHU-080901-ZSB",
        outcomes=(),  # they come from Shanghai, through mutual recognition (``YANGTZE_HOOKS``)
        phone_suffix=5,
        residence="340111",
    ),
)

# Functions ``(learner) -> int`` that bring the Yangtze-Delta learner's outcomes in (the mutual
# recognition app registers one); each returns how many outcomes it stored.
YANGTZE_HOOKS: list[Callable[[Any], int]] = []


@dataclass
class Loaded:
    programmes: int = 0
    rules: int = 0
    learners: list[tuple[ScenarioLearner, Any]] = field(default_factory=list)
    outcomes: int = 0


def load_items() -> int:
    from creditbank.catalog import services as catalog_services
    from creditbank.catalog.models import CatalogItem

    existing = set(
        CatalogItem.objects.filter(code__in=[row[0] for row in SCENARIO_ITEMS]).values_list("code", flat=True)
    )
    lookups = catalog_services.Lookups()
    added = 0
    for code, name, item_type, issuer_code, issuer_name, level, credits, hours, evidence in SCENARIO_ITEMS:
        if code in existing:
            continue
        catalog_services.create_item(
            catalog_services.ItemData(
                code=code,
                name=name,
                type=item_type,
                issuer_code=issuer_code,
                issuer_name=issuer_name,
                level=level,
                credits=Decimal(credits),
                hours=hours,
                evidence_required=evidence,
            ),
            actor=None,
            publish=True,
            lookups=lookups,
        )
        added += 1
    return added


def load_programme(spec: ProgrammeSpec) -> tuple[Programme, int]:
    """The programme with its groups, courses and published rules; rules already there are kept."""
    from creditbank.orgs.models import OrgUnit

    org = OrgUnit.objects.get(code=spec.org_code)
    programme, _status = services.save_programme(
        services.ProgrammeValues(
            code=spec.code,
            name=spec.name,
            level=spec.level,
            org=org,
            total_credits=Decimal(spec.total),
            conversion_cap=Decimal(spec.cap),
            max_outcome_age_years=spec.max_age,
        ),
        actor=None,
    )
    for group_name, (minimum, courses) in spec.groups.items():
        group, _status = services.save_group(
            programme, name=group_name, min_credits=Decimal(minimum) if minimum else None, actor=None
        )
        for code, name, credits in courses:
            services.save_course(programme, code=code, name=name, credits=Decimal(credits), group=group, actor=None)
    existing = set(ConversionRule.objects.filter(programme=programme).values_list("number", flat=True))
    added = 0
    for number, sources, targets, mode, min_score, within in spec.rules:
        if number in existing:
            continue
        services.create_rule(
            services.RuleData(
                programme_code=spec.code,
                number=number,
                sources=sources,
                targets=targets,
                mode=mode,
                min_score=min_score,
                within_years=within,
                effective_from="2024-01-01",
            ),
            actor=None,
            publish=True,
        )
        added += 1
    return programme, added


def scenario_learner(scenario: ScenarioLearner, *, password: str) -> Any:
    """The scenario's learner, opened at the counter of its centre with ``password``."""
    from creditbank.accounts import services as account_services
    from creditbank.accounts.choices import LearnerStatus, OpeningChannel
    from creditbank.accounts.demo_data import resident_id
    from creditbank.accounts.identity import validate_identity
    from creditbank.accounts.models import Learner
    from creditbank.orgs.models import OrgUnit

    identity = validate_identity(
        name=scenario.name,
        id_number=resident_id(scenario.region, scenario.birth, scenario.sequence),
        phone=f"1370000{scenario.phone_suffix:04d}",
        region=scenario.residence or scenario.region,
    )
    learner = Learner.objects.filter(id_number_hash=identity.id_number_hash).first()
    if learner is not None:
        return learner
    return account_services.create_learner_record(
        identity,
        org=OrgUnit.objects.get(code=scenario.org_code),
        channel=OpeningChannel.COUNTER,
        status=LearnerStatus.ACTIVE,
        password=password,
    )


def store_outcomes(scenario: ScenarioLearner, learner: Any) -> int:
    """The scenario's outcomes, stored by its centre through the bulk deposit's own path."""
    from creditbank.accounts.demo_data import resident_id
    from creditbank.archive.choices import OutcomeSource
    from creditbank.imports.outcomes import deposit_outcome_records
    from creditbank.orgs.models import OrgUnit

    if not scenario.outcomes:
        return 0
    records = [
        {
            "id_number": resident_id(scenario.region, scenario.birth, scenario.sequence),
            "name": scenario.name,
            "item_code": code,
            "achieved_on": achieved_on,
            "score": score,
            "certificate_no": certificate_no,
            "external_id": f"demo-{scenario.key}-{code}",
        }
        for code, achieved_on, score, certificate_no in scenario.outcomes
    ]
    result = deposit_outcome_records(
        records, org=OrgUnit.objects.get(code=scenario.org_code), actor=None, source=OutcomeSource.BULK
    )
    return result.summary.imported


def load_scenarios(*, password: str) -> Loaded:
    """Everything the five stories need (after the demo's organisations and catalog)."""
    loaded = Loaded()
    load_items()
    for spec in PROGRAMMES:
        _programme, added = load_programme(spec)
        loaded.programmes += 1
        loaded.rules += added
    for scenario in SCENARIOS:
        learner = scenario_learner(scenario, password=password)
        loaded.outcomes += store_outcomes(scenario, learner)
        if scenario.key == "yangtze":
            loaded.outcomes += sum(hook(learner) for hook in YANGTZE_HOOKS)
        loaded.learners.append((scenario, learner))
    return loaded
