"""Demo data (``creditbank demo``): the management centre, centres of every category with
sub-centres and points in several Anhui cities, staff of every role, and learners.

Idempotent: everything is found by its code or username before it is created. Institution
names come from the MOE list of Anhui's higher-education institutions (shared/data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from creditbank.accounts import services as account_services
from creditbank.accounts.choices import LearnerStatus, OpeningChannel
from creditbank.accounts.demo_data import person
from creditbank.accounts.identity import validate_identity
from creditbank.accounts.models import Learner, User
from creditbank.catalog import demo_data as catalog_demo
from creditbank.ledger import services as ledger_services
from creditbank.orgs import services as org_services
from creditbank.orgs.models import OrgUnit
from creditbank.reviews import services as review_services

DEMO_PASSWORD = "Demo@2026cb"  # noqa: S105 - the published demo password, printed by `creditbank demo`

# code, name, kind, category, region, parent code, address, contact
ORGS: list[tuple[str, str, str, str, str, str | None, str, str]] = [
    (
        "AHLECB",
        "安徽省终身教育学分银行管理中心",
        "management",
        "",
        "340000",
        None,
        "合肥市蜀山区 安徽开放大学",
        "0551-63517282",
    ),
    (
        "U-AHU",
        "安徽大学学习成果认证服务中心",
        "centre",
        "university",
        "340100",
        "AHLECB",
        "合肥市蜀山区肥西路3号",
        "0551-65107001",
    ),
    (
        "U-AHNU",
        "安徽师范大学学习成果认证服务中心",
        "centre",
        "university",
        "340200",
        "AHLECB",
        "芜湖市弋江区九华南路189号",
        "0553-5910001",
    ),
    (
        "U-AQNU",
        "安庆师范大学学习成果认证服务中心",
        "centre",
        "university",
        "340800",
        "AHLECB",
        "安庆市宜秀区集贤北路1318号",
        "0556-5500001",
    ),
    (
        "U-FYNU",
        "阜阳师范大学学习成果认证服务中心",
        "centre",
        "university",
        "341200",
        "AHLECB",
        "阜阳市颍州区清河西路100号",
        "0558-2596001",
    ),
    (
        "L-HF",
        "合肥地方认证服务中心（合肥开放大学）",
        "centre",
        "local",
        "340100",
        "AHLECB",
        "合肥市包河区徽州大道",
        "0551-62000001",
    ),
    (
        "L-WH",
        "芜湖地方认证服务中心（芜湖开放大学）",
        "centre",
        "local",
        "340200",
        "AHLECB",
        "芜湖市镜湖区",
        "0553-3800001",
    ),
    (
        "L-AQ",
        "安庆地方认证服务中心（安庆开放大学）",
        "centre",
        "local",
        "340800",
        "AHLECB",
        "安庆市迎江区",
        "0556-5200001",
    ),
    (
        "L-FY",
        "阜阳地方认证服务中心（阜阳开放大学）",
        "centre",
        "local",
        "341200",
        "AHLECB",
        "阜阳市颍州区",
        "0558-2200001",
    ),
    (
        "V-HFVC",
        "合肥职业技术学院认证服务中心",
        "centre",
        "vocational",
        "340100",
        "AHLECB",
        "合肥市巢湖市",
        "0551-82300001",
    ),
    (
        "V-AQVC",
        "安庆职业技术学院认证服务中心",
        "centre",
        "vocational",
        "340800",
        "AHLECB",
        "安庆市宜秀区",
        "0556-5300001",
    ),
    ("F-QS", "潜山农民学分银行服务中心", "centre", "farmer", "340882", "AHLECB", "安庆市潜山市梅城镇", "0556-8900001"),
    ("F-YS", "颍上农民学分银行服务中心", "centre", "farmer", "341226", "AHLECB", "阜阳市颍上县慎城镇", "0558-4500001"),
    (
        "I-AQ",
        "产业工人学分银行（安庆）服务中心",
        "centre",
        "industry",
        "340800",
        "AHLECB",
        "安庆市大观区",
        "0556-5400001",
    ),
    ("L-HF-SS", "蜀山区认证分中心", "subcentre", "", "340104", "L-HF", "合肥市蜀山区", "0551-65300001"),
    ("L-HF-LY", "庐阳区认证分中心", "subcentre", "", "340103", "L-HF", "合肥市庐阳区", "0551-65600001"),
    ("L-WH-JH", "镜湖区认证分中心", "subcentre", "", "340202", "L-WH", "芜湖市镜湖区", "0553-3100001"),
    ("L-FY-YZ", "颍州区认证分中心", "subcentre", "", "341202", "L-FY", "阜阳市颍州区", "0558-2300001"),
    ("U-AHU-CE", "安徽大学继续教育学院分中心", "subcentre", "", "340104", "U-AHU", "合肥市蜀山区", "0551-65108001"),
    (
        "P-HF-SS-SLA",
        "三里庵街道社区受理点",
        "point",
        "",
        "340104",
        "L-HF-SS",
        "合肥市蜀山区三里庵街道",
        "0551-65300011",
    ),
    ("P-HF-LY-LNDX", "庐阳区老年大学受理点", "point", "", "340103", "L-HF-LY", "合肥市庐阳区", "0551-65600011"),
    ("P-WH-JH-QY", "镜湖区企业受理点", "point", "", "340202", "L-WH-JH", "芜湖市镜湖区", "0553-3100011"),
    ("P-FY-YZ-XZ", "颍州区乡镇受理点", "point", "", "341202", "L-FY-YZ", "阜阳市颍州区", "0558-2300011"),
    ("P-AQ-DS", "安庆大湖社区受理点", "point", "", "340803", "L-AQ", "安庆市大观区", "0556-5200011"),
]

# role, org code, username, display name
STAFF: list[tuple[str, str, str, str]] = [
    ("administrator", "AHLECB", "mc_admin", "管理中心管理员"),
    ("reviewer", "AHLECB", "mc_reviewer", "管理中心审核员"),
    ("auditor", "AHLECB", "mc_auditor", "管理中心审计员"),
    ("administrator", "L-HF", "hf_admin", "合肥中心管理员"),
    ("reviewer", "L-HF", "hf_reviewer", "合肥中心审核员"),
    ("operator", "L-HF", "hf_operator", "合肥中心操作员"),
    ("administrator", "U-AHU", "ahu_admin", "安徽大学中心管理员"),
    ("reviewer", "U-AHU", "ahu_reviewer", "安徽大学中心审核员"),
    ("reviewer", "V-AQVC", "aqvc_reviewer", "安庆职院中心审核员"),
    ("reviewer", "V-HFVC", "hfvc_reviewer", "合肥职院中心审核员"),
    ("administrator", "L-WH", "wh_admin", "芜湖中心管理员"),
    ("operator", "L-HF-SS", "ss_operator", "蜀山分中心操作员"),
    ("operator", "P-HF-SS-SLA", "sla_operator", "三里庵受理点操作员"),
]

LEARNER_ORGS = ["L-HF", "L-HF-SS", "P-HF-SS-SLA", "U-AHU", "L-WH", "L-FY", "F-QS", "I-AQ", "V-AQVC", "L-AQ"]


@dataclass(frozen=True)
class Login:
    role: str
    org: str
    username: str
    password: str


def load_demo(*, learners: int = 40) -> list[Login]:
    """Everything, in two steps: organisations, staff, learners, catalog and outcomes in one
    transaction; then the conversion stories (mutual recognition imports in a transaction of its
    own, as an import does); then one signed checkpoint of the ledger."""
    logins = _load_demo_base(learners=learners)
    logins.extend(load_demo_scenarios())
    # Every account and outcome above appended its ledger leaf; sign the tree as it now stands.
    ledger_services.make_checkpoint()
    return logins


@transaction.atomic
def _load_demo_base(*, learners: int) -> list[Login]:
    org_services.ensure_roles()
    orgs: dict[str, OrgUnit] = {org.code: org for org in OrgUnit.objects.all()}
    for code, name, kind, category, region, parent, address, contact in ORGS:
        if code in orgs:
            continue
        orgs[code] = org_services.create_org(
            actor=None,
            parent=orgs[parent] if parent else None,
            kind=kind,
            code=code,
            name=name,
            region=region,
            category=category,
            address=address,
            contact_phone=contact,
            contact_name="",
        )
    logins: list[Login] = []
    for role, org_code, username, display_name in STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            org_services.create_staff_user(
                actor=None,
                org=orgs[org_code],
                username=username,
                password=DEMO_PASSWORD,
                display_name=display_name,
                roles=[role],
            )
        logins.append(Login(role=role, org=org_code, username=username, password=DEMO_PASSWORD))
    for index in range(learners):
        data = person(index)
        identity = validate_identity(
            name=data["name"], id_number=data["id_number"], phone=data["phone"], region=data["region"]
        )
        learner = Learner.objects.filter(id_number_hash=identity.id_number_hash).first()
        org = orgs[LEARNER_ORGS[index % len(LEARNER_ORGS)]]
        if learner is None:
            learner = _demo_learner(index, data, org)
        if index < 2 and learner.user is not None:
            logins.append(Login(role="learner", org=org.code, username=learner.account_no, password=DEMO_PASSWORD))
    load_demo_catalog()
    load_demo_outcomes(learners)
    return logins


def load_demo_scenarios() -> list[Login]:
    """The conversion stories (creditbank/conversion/demo_data.py): programmes, rules and one
    learner per story, whose logins are printed with the others."""
    from creditbank.conversion import demo_data as conversion_demo

    if _recognise_shanghai_outcomes not in conversion_demo.YANGTZE_HOOKS:
        conversion_demo.YANGTZE_HOOKS.append(_recognise_shanghai_outcomes)
    loaded = conversion_demo.load_scenarios(password=DEMO_PASSWORD)
    return [
        Login(role="learner", org=scenario.org_code, username=learner.account_no, password=DEMO_PASSWORD)
        for scenario, learner in loaded.learners
        if learner.user is not None
    ]


# The Yangtze-Delta story: what the learner achieved in Shanghai (partner code, score, date).
SHANGHAI_OUTCOMES = (("SH-ZK-03709", "85", "2024-04-20"), ("SH-ZK-03708", "78", "2024-10-26"))


def _recognise_shanghai_outcomes(learner: Learner) -> int:
    """Import the Shanghai-signed credentials of the Yangtze-Delta learner under the demo's
    mutual-recognition standard, as the learner would upload them; idempotent (fixed ids)."""
    import datetime as dt
    import uuid

    from creditbank.recognition import demo_data as recognition_demo
    from creditbank.recognition import services as recognition_services

    standard = recognition_demo.load_demo_recognition()
    names = {row[0]: row[1] for row in recognition_demo.DEMO_MAPPINGS}
    key, did, method = recognition_demo.demo_issuer_key()
    stored = 0
    for code, score, achieved_on in SHANGHAI_OUTCOMES:
        document = recognition_demo.partner_credential(
            did=did,
            achievement_code=code,
            achievement_name=names[code],
            achieved_on=dt.date.fromisoformat(achieved_on),
            id_number=learner.id_number,
            score=score,
            credential_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'demo:{learner.account_no}:{code}')}",
        )
        result = recognition_services.import_credential(
            learner, recognition_demo.sign(document, key, method), standard=standard, actor=None
        )
        stored += result.imported
    return stored


def load_demo_catalog() -> int:
    """The learning-outcome catalog (≥ 300 items, standards, disciplines); idempotent."""
    return catalog_demo.load_catalog()


def load_demo_outcomes(learners: int) -> int:
    """A few outcomes for every demo learner with an account (3 to 7 each, 2018-2025), deposited
    through the bulk deposit's own path, and one self-deposit with evidence waiting for review;
    idempotent (a second run finds only duplicates)."""
    import datetime as dt

    from django.core.files.base import ContentFile

    from creditbank.archive.choices import OutcomeSource
    from creditbank.archive.deposits import DepositData, submit_deposit
    from creditbank.archive.models import Deposit
    from creditbank.catalog.models import CatalogItem
    from creditbank.imports.outcomes import deposit_outcome_records

    items = list(
        CatalogItem.objects.filter(is_current=True, status="published")
        .order_by("code")
        .values_list("code", "outcome_type__code")
    )
    if not items:
        return 0
    by_org: dict[str, list[dict[str, Any]]] = {}
    for index in range(learners):
        data = person(index)
        org_code = LEARNER_ORGS[index % len(LEARNER_ORGS)]
        for number in range(3 + index % 5):
            code, type_code = items[(index * 37 + number * 101) % len(items)]
            certificate = type_code in ("one_plus_x", "skill_level_certificate", "professional_qualification")
            by_org.setdefault(org_code, []).append(
                {
                    "id_number": data["id_number"],
                    "name": data["name"],
                    "item_code": code,
                    "achieved_on": dt.date(2018 + (index + number) % 8, 1 + (index * 5 + number) % 12, 1 + number * 3),
                    "score": str(70 + (index * 7 + number * 3) % 30) if not certificate else "合格",
                    "certificate_no": f"DEMO{index:03d}{number:02d}" if certificate else "",
                }
            )
    stored = 0
    orgs = {org.code: org for org in OrgUnit.objects.filter(code__in=by_org)}
    for org_code, records in by_org.items():
        stored += deposit_outcome_records(
            records, org=orgs[org_code], actor=None, source=OutcomeSource.BULK
        ).summary.imported
    data = person(0)
    first_identity = validate_identity(
        name=data["name"], id_number=data["id_number"], phone=data["phone"], region=data["region"]
    )
    first = Learner.objects.filter(id_number_hash=first_identity.id_number_hash).first()
    if (
        first is not None
        and first.status == LearnerStatus.ACTIVE
        and not Deposit.objects.filter(learner=first).exists()
    ):
        photo = ContentFile(_DEMO_PNG, name="证书照片.png")
        submit_deposit(
            first,
            DepositData(item_code=items[7][0], achieved_on="2025-06-20", score="优秀", certificate_no="DEMO-SELF-1"),
            [photo],
            actor=first.user,
        )
    return stored


# A 1 × 1 PNG: the demo's evidence photo.
_DEMO_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _demo_learner(index: int, data: dict[str, str], org: OrgUnit) -> Learner:
    """Most demo learners are active; every fifth is imported and waits for activation, and
    every seventh registered itself and waits in its centre's review queue."""
    identity = validate_identity(
        name=data["name"], id_number=data["id_number"], phone=data["phone"], region=data["region"]
    )
    waits_for_review = index % 7 == 6
    waits_for_activation = index % 5 == 4 and not waits_for_review
    if waits_for_review:
        channel = OpeningChannel.SELF
    elif waits_for_activation:
        channel = OpeningChannel.IMPORT
    else:
        channel = OpeningChannel.COUNTER
    learner = account_services.create_learner_record(
        identity,
        org=org,
        channel=channel,
        status=LearnerStatus.PENDING if (waits_for_review or waits_for_activation) else LearnerStatus.ACTIVE,
        password=None if waits_for_activation else DEMO_PASSWORD,
    )
    if waits_for_review:
        review_services.submit_application(kind="account_opening", learner=learner, org=org, actor=learner.user)
    return learner


def as_json(logins: list[Login]) -> dict[str, Any]:
    return {"logins": [login.__dict__ for login in logins]}
