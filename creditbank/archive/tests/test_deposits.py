"""Self-deposit: a learner asks to store one outcome with evidence; refused input changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from creditbank.archive.deposits import DepositData, submit_deposit
from creditbank.archive.models import Deposit, Evidence
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog import services as catalog_services
from creditbank.catalog.tests.factories import make_item
from creditbank.core.errors import ApplicationError, Conflict, ValidationFailed
from creditbank.reviews.models import Application

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def pdf(name: str = "证书.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _state():
    return (
        Deposit.objects.count(),
        Evidence.objects.count(),
        Application.objects.count(),
        AuditEntry.objects.filter(action__startswith="archive.").count(),
    )


def _stored_files():
    try:
        _dirs, files = default_storage.listdir("evidence")
    except FileNotFoundError:
        return 0
    total = 0
    for directory in _dirs:
        total += len(default_storage.listdir(f"evidence/{directory}")[1])
    return total + len(files)


@pytest.fixture
def item(tree):
    return make_item(code="WEB-1", name="Web前端开发", type="one_plus_x", level=5, credits=None, hours=None)


def test_a_deposit_becomes_an_application_of_the_learners_organisation(tree, learner_a, item):
    # when
    deposit = submit_deposit(
        learner_a,
        DepositData(item_code="web-1", achieved_on="2024年5月17日", score="优秀", certificate_no="ah 2024 001"),
        [pdf(), SimpleUploadedFile("photo.JPG", JPEG)],
        actor=learner_a.user,
    )
    # then
    application = deposit.application
    assert (application.kind, application.status, application.org) == ("deposit", "submitted", learner_a.org)
    assert (deposit.item, str(deposit.achieved_on), deposit.score, deposit.certificate_no) == (
        item,
        "2024-05-17",
        "优秀",
        "AH2024001",
    )
    files = list(deposit.evidence.values_list("filename", "content_type"))
    assert files == [("证书.pdf", "application/pdf"), ("photo.JPG", "image/jpeg")]
    assert application.events.get().kind == "submitted"
    assert AuditEntry.objects.filter(action="archive.deposit_submit").count() == 1
    stored = deposit.evidence.first()
    assert stored.file.name.startswith(f"evidence/{learner_a.pk}/")
    assert "证书" not in stored.file.name  # a random name on disk
    assert len(stored.sha256) == 64


def test_other_needs_a_description(tree, learner_a):
    with pytest.raises(ValidationFailed) as refused:
        submit_deposit(learner_a, DepositData(item_code="other", achieved_on="2024-05-17"), [pdf()], actor=None)
    assert [detail["field"] for detail in refused.value.details] == ["other_name"]
    deposit = submit_deposit(
        learner_a,
        DepositData(
            item_code="other", achieved_on="2024-05-17", other_name="社区合唱团指挥培训", other_issuer="包河区老年大学"
        ),
        [pdf()],
        actor=None,
    )
    assert (deposit.item, deposit.title) == (None, "社区合唱团指挥培训")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"achieved_on": "2024-02-30"}, "achieved_on"),
        ({"achieved_on": "2999-01-01"}, "achieved_on"),
        ({"achieved_on": "yesterday"}, "achieved_on"),
        ({"achieved_on": ""}, "achieved_on"),
        ({"score": "很好"}, "score"),
        ({"score": "不及格"}, "score"),
        ({"score": "101"}, "score"),
        ({"hours": "-3"}, "hours"),
        ({"item_code": "NO-SUCH"}, "item_code"),
        ({"item_code": ""}, "item_code"),
        ({"certificate_no": "X" * 70}, "certificate_no"),
    ],
)
def test_bad_facts_are_refused_and_nothing_is_stored(tree, learner_a, item, data, field):
    before, files_before = _state(), _stored_files()
    values = {"item_code": "WEB-1", "achieved_on": "2024-05-17", **data}
    with pytest.raises(ValidationFailed) as refused:
        submit_deposit(learner_a, DepositData(**values), [pdf()], actor=None)
    assert field in [detail["field"] for detail in refused.value.details]
    assert (_state(), _stored_files()) == (before, files_before)


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([], "deposit_evidence_required"),
        ([SimpleUploadedFile("fake.pdf", PNG)], "upload_type_not_allowed"),  # a PNG named .pdf
        ([SimpleUploadedFile("cert.pdf", b"MZ\x90\x00" + b"\x00" * 64)], "upload_type_not_allowed"),
        ([SimpleUploadedFile("notes.docx", b"PK\x03\x04" + b"\x00" * 64)], "upload_type_not_allowed"),
        ([SimpleUploadedFile("empty.pdf", b"")], "upload_empty"),
        ([pdf(f"{n}.pdf") for n in range(11)], "deposit_too_many_files"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(tree, learner_a, item, files, code):
    before, files_before = _state(), _stored_files()
    with pytest.raises(ValidationFailed) as refused:
        submit_deposit(learner_a, DepositData(item_code="WEB-1", achieved_on="2024-05-17"), files, actor=None)
    assert code in [detail["code"] for detail in refused.value.details]
    assert (_state(), _stored_files()) == (before, files_before)


def test_a_file_over_the_size_limit_is_refused(tree, learner_a, item, settings):
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationFailed) as refused:
        submit_deposit(learner_a, DepositData(item_code="WEB-1", achieved_on="2024-05-17"), [big], actor=None)
    assert refused.value.details[0]["code"] == "upload_too_large"


def test_a_retired_or_draft_item_cannot_be_deposited(tree, learner_a, item):
    catalog_services.retire_item(item, actor=None)
    make_item(code="DRAFT-1", publish=False)
    for code in ("WEB-1", "DRAFT-1"):
        with pytest.raises(ValidationFailed) as refused:
            submit_deposit(learner_a, DepositData(item_code=code, achieved_on="2024-05-17"), [pdf()], actor=None)
        assert refused.value.details[0]["code"] in ("catalog_item_retired", "catalog_item_not_published")
    assert Deposit.objects.count() == 0


def test_an_outcome_already_stored_or_already_asked_for_is_refused(tree, learner_a, item):
    make_outcome(learner=learner_a, item=item, certificate_no="C-1")
    with pytest.raises(Conflict) as stored:
        submit_deposit(
            learner_a,
            DepositData(item_code="WEB-1", achieved_on="2024-05-17", certificate_no="c-1"),
            [pdf()],
            actor=None,
        )
    assert stored.value.code == "deposit_already_stored"
    submit_deposit(learner_a, DepositData(item_code="WEB-1", achieved_on="2024-05-17"), [pdf()], actor=None)
    with pytest.raises(Conflict) as asked:
        submit_deposit(learner_a, DepositData(item_code="WEB-1", achieved_on="2024-05-17"), [pdf()], actor=None)
    assert asked.value.code == "deposit_already_requested"
    assert Deposit.objects.count() == 1


def test_a_pending_account_cannot_deposit(tree, item):
    from creditbank.accounts.tests.factories import make_learner

    pending = make_learner(tree.a_point, status="pending")
    with pytest.raises(ApplicationError) as refused:
        submit_deposit(pending, DepositData(item_code="WEB-1", achieved_on="2024-05-17"), [pdf()], actor=None)
    assert refused.value.code == "deposit_account_not_active"


def test_a_failure_while_storing_removes_the_files_already_written(tree, learner_a, item, monkeypatch):
    from creditbank.audit import services as audit

    before = _stored_files()

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", boom)
    with pytest.raises(RuntimeError):
        submit_deposit(
            learner_a, DepositData(item_code="WEB-1", achieved_on="2024-05-17"), [pdf(), pdf("b.pdf")], actor=None
        )
    assert _stored_files() == before
    assert Deposit.objects.count() == Evidence.objects.count() == 0


def test_the_upload_check_reads_the_content_not_the_name():
    from creditbank.core import uploads

    checked = uploads.check_upload(SimpleUploadedFile("a.png", PNG), allowed=uploads.IMAGES, max_bytes=1024)
    assert checked.content_type == "image/png"
    with pytest.raises(ValidationFailed):
        uploads.check_upload(SimpleUploadedFile("a.jpg", PNG), allowed=uploads.IMAGES, max_bytes=1024)
