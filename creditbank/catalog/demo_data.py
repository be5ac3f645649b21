"""The demo catalog: real certificates, qualifications, majors and Anhui institutions from
``catalog/data/`` (sources in its README), plus illustrative courses, trainings, elderly-education
classes, awards and standards. Loading is idempotent: items and standards already there are kept."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from creditbank.catalog import services
from creditbank.catalog.models import CatalogItem, Discipline, Standard

DATA = Path(__file__).resolve().parent / "data"
CERTIFICATE_LEVELS = (("初级", 4), ("中级", 5), ("高级", 6))

# (number, title, kind, issuing org, scope)
STANDARDS = (
    (
        "CSJ-HR-510201-2024",
        "长三角计算机应用技术专业学习成果互认标准",
        "mutual_recognition",
        "长三角终身教育学分银行联盟",
        "沪苏浙皖学分银行之间 510201 计算机应用技术专业课程的学分互认",
    ),
    (
        "CSJ-HR-530302-2024",
        "长三角大数据与会计专业学习成果互认标准",
        "mutual_recognition",
        "长三角终身教育学分银行联盟",
        "沪苏浙皖学分银行之间 530302 大数据与会计专业课程的学分互认",
    ),
    (
        "AHLECB-RZ-1X-2024",
        "1+X职业技能等级证书学习成果认证标准",
        "certification",
        "安徽省终身教育学分银行管理中心",
        "1+X证书按初级、中级、高级认定学分",
    ),
    (
        "AHLECB-ZH-NM-2024",
        "农民培训学习成果转换标准",
        "conversion",
        "安徽省终身教育学分银行管理中心",
        "农民教育培训每16学时折合1学分，可转换为涉农专业课程学分",
    ),
    (
        "AHLECB-RZ-LN-2024",
        "社区与老年教育学习成果认证标准",
        "certification",
        "安徽省终身教育学分银行管理中心",
        "老年大学与社区教育课程的学分认定",
    ),
)

MAJOR_COURSES = {
    "510201": (
        ("CSJ-HR-510201-2024", ("4134013058", "4134012814", "4134010869")),
        (
            "程序设计基础",
            "数据库技术及应用",
            "计算机网络技术",
            "Web前端开发技术",
            "操作系统",
            "数据结构",
            "Python程序设计",
            "移动应用开发",
        ),
    ),
    "530302": (
        ("CSJ-HR-530302-2024", ("4134012072", "4134013845", "4134013058")),
        (
            "基础会计",
            "财务会计实务",
            "成本核算与管理",
            "管理会计",
            "税费计算与申报",
            "财务大数据分析",
            "审计基础与实务",
            "会计信息系统应用",
        ),
    ),
}

SELF_STUDY = (
    ("03709", "马克思主义基本原理概论", 4),
    ("03708", "中国近现代史纲要", 2),
    ("00015", "英语（二）", 14),
    ("00022", "高等数学（工专）", 10),
    ("00018", "计算机应用基础", 2),
    ("00054", "管理学原理", 6),
    ("00041", "基础会计学", 5),
    ("00067", "财务管理学", 6),
    ("00160", "审计学", 4),
    ("00043", "经济法概论（财经类）", 4),
    ("02331", "数据结构", 4),
    ("02326", "操作系统", 4),
    ("04741", "计算机网络原理", 4),
    ("04735", "数据库系统原理", 4),
)

FARMER_TOPICS = (
    "水稻绿色高产栽培",
    "小麦病虫害绿色防控",
    "设施蔬菜栽培",
    "茶叶加工技术",
    "生猪健康养殖",
    "稻虾综合种养",
    "农村电商与直播销售",
    "农产品质量安全",
    "农机操作与维护",
    "家庭农场经营管理",
    "农药安全科学使用",
    "果树整形修剪",
    "食用菌栽培",
    "中药材种植",
    "淡水鱼健康养殖",
    "农民合作社规范运营",
    "乡村民宿经营",
    "秸秆综合利用",
    "测土配方施肥",
    "高素质农民经营素养",
)

ELDERLY_TOPICS = (
    "书法",
    "中国画",
    "太极拳",
    "智能手机应用",
    "声乐",
    "摄影",
    "中医养生",
    "舞蹈",
    "旅游英语",
    "健康管理",
    "葫芦丝",
    "电子琴",
    "诗词鉴赏",
    "手工编织",
    "家庭园艺",
    "防范电信诈骗",
    "八段锦",
    "短视频制作",
    "营养与膳食",
    "合唱",
)

COMPETITIONS = (
    ("NSC", "全国职业院校技能大赛", "QGZYYXJNDS", "全国职业院校技能大赛组织委员会", ("6", "4", "3")),
    ("AHSC", "安徽省职业院校技能大赛", "AHZYYXJNDS", "安徽省职业院校技能大赛组织委员会", ("4", "3", "2")),
    ("CIC", "中国国际大学生创新大赛", "ZGGJDXSCXDS", "中国国际大学生创新大赛组织委员会", ("6", "4", "3")),
    ("MCM", "全国大学生数学建模竞赛", "QGDXSSXJMJS", "全国大学生数学建模竞赛组织委员会", ("5", "3", "2")),
)
PRIZES = ("一等奖", "二等奖", "三等奖")

SKILL_OCCUPATIONS = ("电工", "焊工", "育婴员", "保育师", "养老护理员", "中式烹调师")
SKILL_GRADES = (("五级/初级工", 3), ("四级/中级工", 4), ("三级/高级工", 5))

MOOCS = (
    ("Python语言程序设计", 48),
    ("大学计算机基础", 32),
    ("数据结构与算法", 48),
    ("会计学原理", 48),
    ("财务报表分析", 32),
    ("人工智能导论", 32),
    ("中国传统文化", 24),
    ("心理健康教育", 16),
    ("大学英语口语", 32),
    ("创新创业基础", 32),
)


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def demo_items() -> Iterator[tuple[services.ItemData, bool]]:
    """Every demo item as ``ItemData`` and whether it is published."""
    organisations: dict[str, str] = {}
    for row in _rows("one_plus_x_certificates.csv"):
        issuer_code = organisations.setdefault(
            row["training_evaluation_organisation"], f"PJZZ-{int(row['batch'])}{int(row['seq_in_batch']):02d}"
        )
        for index, (grade, level) in enumerate(CERTIFICATE_LEVELS, start=1):
            yield (
                services.ItemData(
                    code=f"1X-{int(row['batch'])}{int(row['seq_in_batch']):02d}-{index}",
                    name=f"{row['certificate_name']}（{grade}）",
                    type="one_plus_x",
                    issuer_code=issuer_code,
                    issuer_name=row["training_evaluation_organisation"],
                    level=level,
                    validity_years=3,
                    evidence_required="证书扫描件及全国职业技能等级证书信息管理服务平台查询截图",
                    standard_number="AHLECB-RZ-1X-2024",
                ),
                True,
            )
    authorities = {"教育部": "MOE", "司法部": "MOJ", "财政部": "MOF", "自然资源部": "MNR", "生态环境部": "MEE"}
    authorities.update({"国防科工局": "SASTIND"})
    for row in _rows("occupational_qualifications.csv"):
        first = row["implementing_authority"].split("、")[0]
        code = authorities.get(first, "MOHRSS")
        skill = row["kind"] == "技能人员职业资格"
        yield (
            services.ItemData(
                code=f"ZYZG-{int(row['list_position']):03d}",
                name=row["name"],
                type="professional_qualification",
                issuer_code=code,
                issuer_name=first if code != "MOHRSS" else "人力资源和社会保障部",
                level=5 if skill else 6,
                evidence_required="职业资格证书及全国专业技术人员职业资格证书查询验证截图",
            ),
            True,
        )
    colleges = {row["moe_code"]: row["name"] for row in _rows("anhui_higher_education.csv")}
    for major, ((standard, issuers), courses) in MAJOR_COURSES.items():
        for issuer in issuers:
            for number, course in enumerate(courses, start=1):
                yield (
                    services.ItemData(
                        code=f"{major}-{issuer[-5:]}-{number:02d}",
                        name=course,
                        type="degree_course",
                        issuer_code=issuer,
                        issuer_name=colleges[issuer],
                        level=5,
                        hours=64 if number % 2 else 48,
                        evidence_required="课程成绩单（加盖教务处公章）",
                        standard_number=standard,
                        discipline_code=major,
                    ),
                    True,
                )
    for exam_code, exam_name, exam_credits in SELF_STUDY:
        yield (
            services.ItemData(
                code=f"ZK-{exam_code}",
                name=exam_name,
                type="self_study_exam",
                issuer_code="AHEEA",
                issuer_name="安徽省教育招生考试院",
                level=5,
                credits=Decimal(exam_credits),
                evidence_required="自学考试课程合格成绩证明",
            ),
            True,
        )
    for number, topic in enumerate(FARMER_TOPICS, start=1):
        for suffix, (grade, hours) in enumerate((("基础班", 16), ("提高班", 32)), start=1):
            yield (
                services.ItemData(
                    code=f"NM-{number:02d}-{suffix}",
                    name=f"{topic}（{grade}）",
                    type="non_degree_training",
                    issuer_code="AHNGX" if number % 2 else "4134010364",
                    issuer_name="安徽省农业广播电视学校" if number % 2 else "安徽农业大学",
                    level=2 + suffix,
                    hours=hours,
                    evidence_required="培训结业证书及考勤记录",
                    standard_number="AHLECB-ZH-NM-2024",
                ),
                True,
            )
    for number, topic in enumerate(ELDERLY_TOPICS, start=1):
        for suffix, (grade, hours) in enumerate((("初级班", 32), ("提高班", 48)), start=1):
            yield (
                services.ItemData(
                    code=f"LN-{number:02d}-{suffix}",
                    name=f"{topic}（{grade}）",
                    type="community_elderly",
                    issuer_code="AHLNDX" if number % 2 else "HFLNDX",
                    issuer_name="安徽老年大学" if number % 2 else "合肥老年大学",
                    level=1 + suffix,
                    hours=hours,
                    evidence_required="结业证书",
                    standard_number="AHLECB-RZ-LN-2024",
                ),
                True,
            )
    for short, contest, issuer_code, issuer_name, prize_credits in COMPETITIONS:
        for index, (prize, credit_value) in enumerate(zip(PRIZES, prize_credits, strict=True), start=1):
            yield (
                services.ItemData(
                    code=f"JS-{short}-{index}",
                    name=f"{contest}{prize}",
                    type="competition_award",
                    issuer_code=issuer_code,
                    issuer_name=issuer_name,
                    level=6,
                    credits=Decimal(credit_value),
                    evidence_required="获奖证书",
                ),
                True,
            )
    for index, (patent, patent_credits) in enumerate(
        (("发明专利（第一发明人）", "8"), ("实用新型专利（第一发明人）", "4"), ("外观设计专利（第一设计人）", "2")),
        start=1,
    ):
        yield (
            services.ItemData(
                code=f"GX-{index}",
                name=patent,
                type="technical_innovation",
                issuer_code="CNIPA",
                issuer_name="国家知识产权局",
                level=6,
                credits=Decimal(patent_credits),
                evidence_required="专利证书及国家知识产权局专利检索截图",
            ),
            True,
        )
    for index, (practice, practice_credits) in enumerate(
        (("企业顶岗实习（六个月）", "6"), ("志愿服务（一百小时）", "1"), ("社会实践调研", "2")), start=1
    ):
        yield (
            services.ItemData(
                code=f"SJ-{index}",
                name=practice,
                type="practice",
                issuer_code="AHLECB",
                issuer_name="安徽省终身教育学分银行管理中心",
                level=4,
                credits=Decimal(practice_credits),
                evidence_required="单位证明及实践报告",
            ),
            True,
        )
    for occupation_index, occupation in enumerate(SKILL_OCCUPATIONS, start=1):
        for index, (grade, level) in enumerate(SKILL_GRADES, start=1):
            yield (
                services.ItemData(
                    code=f"JN-{occupation_index:02d}-{index}",
                    name=f"{occupation}职业技能等级证书（{grade}）",
                    type="skill_level_certificate",
                    issuer_code="AHZYJNJD",
                    issuer_name="安徽省职业技能鉴定中心",
                    level=level,
                    evidence_required="职业技能等级证书及技能人才评价证书查询截图",
                ),
                True,
            )
    for index, (course, course_hours) in enumerate(MOOCS, start=1):
        yield (
            services.ItemData(
                code=f"MOOC-{index:02d}",
                name=course,
                type="mooc",
                issuer_code="ICOURSE",
                issuer_name="中国大学MOOC",
                level=5,
                hours=course_hours,
                evidence_required="平台颁发的课程合格证书",
            ),
            True,
        )
    # One proposal waiting for the management centre.
    yield (
        services.ItemData(
            code="NM-DRAFT-1",
            name="智慧农业无人机植保（提议）",
            type="non_degree_training",
            issuer_code="AHNGX",
            issuer_name="安徽省农业广播电视学校",
            level=3,
            hours=24,
        ),
        False,
    )


def load_catalog() -> int:
    """Standards, disciplines and the demo items that are not there yet; returns how many were added."""
    for number, title, kind, issuing_org, scope in STANDARDS:
        Standard.objects.get_or_create(
            number=number,
            defaults={
                "title": title,
                "kind": kind,
                "issuing_org": issuing_org,
                "scope": scope,
                "body": scope,
                "effective_on": dt.date(2024, 1, 1),
            },
        )
    majors = {row["code"]: row["name"] for row in _rows("vocational_majors_2021.csv")}
    for code in MAJOR_COURSES:
        Discipline.objects.get_or_create(code=code, defaults={"name": majors[code]})
    existing = set(CatalogItem.objects.values_list("code", flat=True))
    lookups = services.Lookups()
    added = 0
    for data, published in demo_items():
        if data.code in existing:
            continue
        services.create_item(data, actor=None, publish=published, lookups=lookups)
        existing.add(data.code)
        added += 1
    return added
