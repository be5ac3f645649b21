"""The transcript (学习成果证明): a real PDF with real Chinese text in embedded Noto CJK fonts, the
outcomes that count (revoked ones left out), a QR code that reads back as the verification
address of its credential, the learner's own only, staff in scope only, and a clear refusal when
the server cannot print Chinese."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from creditbank.accounts.tests.factories import make_learner
from creditbank.archive import transcripts
from creditbank.archive.tests.factories import make_outcome
from creditbank.audit.models import AuditEntry
from creditbank.catalog.tests.factories import make_item
from creditbank.credentials import services as credential_services
from creditbank.credentials.models import IssuedCredential

pytestmark = pytest.mark.django_db

API = "/api/v1/me/transcript.pdf"


def _pdf_text(pdf: bytes) -> list[str]:
    """The text of each page, without the white space that line wrapping inside cells adds."""
    from pypdf import PdfReader

    return ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the PDF uses: its base name → whether the font program is embedded."""
    from pypdf import PdfReader

    found: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for reference in resources["/Font"].values():
            font: Any = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            found[str(font["/BaseFont"])] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def archive(tree, learner_a):
    """Two certified outcomes, one stored, one revoked; and another learner's outcome."""
    course = make_item(code="KJ-1", name="大数据与会计", credits="4", type="degree_course", level=5)
    cert = make_item(
        code="X-1",
        name="护理学导论",
        credits="3",
        type="one_plus_x",
        level=4,
        issuer_code="AHMU",
        issuer_name="安徽医科大学",
    )
    stored = make_item(code="S-1", name="老年书法课程", credits="2", type="community_elderly", level=2)
    gone = make_item(code="R-1", name="已撤销的电工证书", credits="5")
    mine = [
        make_outcome(
            learner=learner_a,
            item=course,
            status="certified",
            certified_at=timezone.now(),
            certified_by_org=tree.a,
            achieved_on=dt.date(2022, 6, 30),
        ),
        make_outcome(
            learner=learner_a,
            item=cert,
            status="certified",
            certified_at=timezone.now(),
            certified_by_org=tree.a,
            achieved_on=dt.date(2023, 1, 5),
        ),
        make_outcome(learner=learner_a, item=stored, achieved_on=dt.date(2024, 3, 1)),
        make_outcome(learner=learner_a, item=gone, status="revoked", achieved_on=dt.date(2024, 4, 1)),
    ]
    other = make_learner(tree.b)
    make_outcome(learner=other, item=make_item(code="O-1", name="别人的高等数学", credits="6"))
    return {"learner": learner_a, "outcomes": mine, "other": other}


def test_the_learner_downloads_a_pdf_with_real_chinese_text_in_embedded_noto_cjk_fonts(archive, learner_client):
    # when
    response = learner_client.get(reverse("archive:me-archive-transcript"))
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    pdf = _body(response)
    assert pdf.startswith(b"%PDF-")
    text = "".join(_pdf_text(pdf))
    learner = archive["learner"]
    for expected in (
        "学习成果证明",
        settings.CREDITBANK_ISSUER_NAME,
        learner.name,
        learner.id_number_masked,
        learner.account_no,
        "大数据与会计",
        "护理学导论",
        "老年书法课程",
        "安徽医科大学",
        "认证：合肥中心",
        "五级",
        "学历教育课程",
        "合计3项",
        "其中已认证2项，7.0学分",
        "共3项，累计9.0学分",
    ):
        assert expected in text, expected
    assert "已撤销的电工证书" not in text  # revoked: left out
    assert "别人的高等数学" not in text  # someone else's
    assert learner.id_number not in text  # the ID number only masked
    fonts = _fonts(pdf)
    assert fonts, "no fonts"
    assert all("Noto-Sans-CJK-SC" in name or "Noto-Serif-CJK-SC" in name for name in fonts), fonts
    assert all(fonts.values()), "a font is not embedded"


def test_the_transcript_carries_the_credential_of_the_certified_outcomes(archive, learner_client):
    # when
    pdf = _body(learner_client.get(reverse("archive:me-archive-transcript")))
    # then one transcript credential, listing exactly the certified outcomes, whose number is printed
    issued = IssuedCredential.objects.get(kind="transcript")
    certified = {outcome.pk for outcome in archive["outcomes"] if outcome.status == "certified"}
    assert set(issued.included_outcomes.values_list("pk", flat=True)) == certified
    text = "".join(_pdf_text(pdf))
    assert f"证明编号：{issued.uuid}" in text
    assert "".join(credential_services.verify_url(issued).split()) in text  # the footer's address
    # and a second download is the same credential (the QR code of the first paper stays valid)
    _body(learner_client.get(reverse("archive:me-archive-transcript")))
    assert IssuedCredential.objects.filter(kind="transcript").count() == 1


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (Debian poppler-utils) is not installed")
def test_the_qr_code_reads_back_as_the_verification_address(archive, learner_client, tmp_path, client):
    import zxingcpp
    from PIL import Image

    # given
    pdf = _body(learner_client.get(reverse("archive:me-archive-transcript")))
    (tmp_path / "t.pdf").write_bytes(pdf)
    # when page 1 is printed at 150 dpi and scanned
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(tmp_path / "t.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "p.png"))
    # then
    issued = IssuedCredential.objects.get(kind="transcript")
    assert [code.text for code in codes] == [credential_services.verify_url(issued)]
    assert [code.format for code in codes] == [zxingcpp.BarcodeFormat.QRCode]
    # and the address is the credential's public verification page
    assert client.get(urlparse(codes[0].text).path).status_code == 200


def test_without_a_certified_outcome_the_paper_says_it_carries_no_credential(tree, learner_a, learner_client):
    # given only a stored outcome
    make_outcome(learner=learner_a, item=make_item(name="计算机应用基础", credits="3"))
    # when
    pdf = _body(learner_client.get(reverse("archive:me-archive-transcript")))
    # then
    text = "".join(_pdf_text(pdf))
    assert "计算机应用基础" in text
    assert "不附可验证电子凭证" in text
    assert "证明编号" not in text
    assert IssuedCredential.objects.exists() is False


def test_an_empty_archive_prints_a_transcript_that_says_so(learner_a, learner_client):
    pdf = _body(learner_client.get(reverse("archive:me-archive-transcript")))
    assert "档案中尚无已存入的学习成果" in "".join(_pdf_text(pdf))


def test_a_long_archive_runs_over_pages_with_numbers_and_a_running_head(tree, learner_a):
    # given 30 certified outcomes
    item = make_item(name="高等数学", credits="2")
    for day in range(30):
        make_outcome(
            learner=learner_a,
            item=item,
            certificate_no=f"N{day}",
            status="certified",
            certified_at=timezone.now(),
            certified_by_org=tree.a,
        )
    # when
    transcript = transcripts.generate_transcript(learner_a, actor=learner_a.user)
    # then
    pages = _pdf_text(transcript.pdf)
    assert len(pages) >= 2
    assert f"第1页共{len(pages)}页" in pages[0]
    assert f"第2页共{len(pages)}页" in pages[1]
    assert f"学习成果证明·{learner_a.name}·账号{learner_a.account_no}" in pages[1]
    assert "合计30项" in pages[-1]
    assert transcript.content.credits == Decimal("60.0")


def test_the_api_serves_the_learner_their_own_transcript(archive, learner_client):
    # when
    response = learner_client.get(API)
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "大数据与会计" in "".join(_pdf_text(_body(response)))


def test_another_learner_gets_their_own_transcript_and_cannot_reach_the_console_one(archive, client):
    # given learner B, signed in
    other = archive["other"]
    client.force_login(other.user)
    # when
    own = client.get(reverse("archive:me-archive-transcript"))
    console = client.get(reverse("archive:learner-archive-transcript", args=[archive["learner"].account_no]))
    # then B's paper lists B's outcomes only; the console route refuses a learner before any lookup
    text = "".join(_pdf_text(_body(own)))
    assert "别人的高等数学" in text
    assert "大数据与会计" not in text
    assert console.status_code == 403
    assert IssuedCredential.objects.filter(learner=archive["learner"]).exists() is False


def test_staff_in_scope_print_it_and_the_print_is_logged(archive, centre_operator_client, centre_operator):
    # when
    response = centre_operator_client.get(
        reverse("archive:learner-archive-transcript", args=[archive["learner"].account_no])
    )
    # then
    assert response.status_code == 200
    assert "大数据与会计" in "".join(_pdf_text(_body(response)))
    entry = AuditEntry.objects.get(action="archive.transcript")
    issued = IssuedCredential.objects.get(kind="transcript")
    assert (entry.actor, entry.object_id, entry.after["credential"], entry.after["outcomes"]) == (
        centre_operator,
        str(archive["learner"].pk),
        str(issued.uuid),
        3,
    )


def test_staff_out_of_scope_get_404_and_nothing_is_issued(archive, other_admin_client):
    # when
    response = other_admin_client.get(
        reverse("archive:learner-archive-transcript", args=[archive["learner"].account_no])
    )
    # then
    assert response.status_code == 404
    assert IssuedCredential.objects.exists() is False
    assert AuditEntry.objects.filter(action="archive.transcript").exists() is False


def test_a_learner_printing_their_own_is_not_logged_as_a_staff_print(archive, learner_client):
    _body(learner_client.get(reverse("archive:me-archive-transcript")))
    assert AuditEntry.objects.filter(action="archive.transcript").exists() is False


@pytest.fixture
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(transcripts, "cjk_font_families", lambda: ())


def test_without_a_chinese_font_the_learner_is_told_and_no_pdf_of_boxes_is_made(archive, learner_client, no_cjk_font):
    # when
    response = learner_client.get(reverse("archive:me-archive-transcript"))
    # then back to the archive, with the reason naming the package
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:me-archive")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "fonts-noto-cjk" in message
    assert IssuedCredential.objects.exists() is False
    # and the archive page shows it
    page = learner_client.get(response["Location"])
    assert "fonts-noto-cjk" in page.content.decode()


def test_without_a_chinese_font_the_api_answers_503_with_a_code(archive, learner_client, no_cjk_font):
    response = learner_client.get(API)
    assert response.status_code == 503
    assert response.json()["code"] == "transcript_font_missing"
    assert "fonts-noto-cjk" in response.json()["message"]


def test_without_a_chinese_font_staff_are_sent_back_to_the_archive_page(archive, centre_operator_client, no_cjk_font):
    account_no = archive["learner"].account_no
    response = centre_operator_client.get(reverse("archive:learner-archive-transcript", args=[account_no]))
    assert response.status_code == 302
    assert response["Location"] == reverse("archive:learner-archive", args=[account_no])
    assert AuditEntry.objects.filter(action="archive.transcript").exists() is False


def test_the_font_check_asks_fontconfig_for_chinese_fonts():
    transcripts.cjk_font_families.cache_clear()
    assert any("CJK" in family for family in transcripts.cjk_font_families())


def test_printing_is_rate_limited_per_user(archive, learner_client, monkeypatch):
    # given a limit of one a minute
    monkeypatch.setattr(transcripts, "RATE_LIMITS", ((1, 60),))
    assert learner_client.get(API).status_code == 200
    # when
    response = learner_client.get(API)
    # then
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    # and the page says so on the archive
    page = learner_client.get(reverse("archive:me-archive-transcript"))
    assert page.status_code == 302


def test_the_content_takes_one_query(archive, django_assert_num_queries):
    with django_assert_num_queries(1):
        content = transcripts.transcript_content(archive["learner"])
    assert [row.name for row in content.rows] == ["大数据与会计", "护理学导论", "老年书法课程"]
    assert [row.certified for row in content.rows] == [True, True, False]
    assert (content.count, content.credits, content.certified_count, content.certified_credits) == (
        3,
        Decimal("9.0"),
        2,
        Decimal("7.0"),
    )


def test_the_seal_draws_each_character_of_its_text_escaped():
    svg = str(transcripts.seal_svg('学分<银行>&"'))
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count("<text ") == 8
    assert [ch for ch in ("&lt;", "&gt;", "&amp;", "&quot;") if ch not in svg] == []
    assert "<银行>" not in svg


def test_css_strings_cannot_close_the_style_element():
    value = str(transcripts._css_string('张"三</style><script>\\'))
    assert value == '"张\\"三\\3c /style\\3e \\3c script\\3e \\\\"'


def test_a_learner_name_with_markup_prints_as_text(tree, learner_client, learner_a):
    # given a name that tries to close the style element (names are validated, so set it directly)
    learner_a.name = '张</style><h1>伪造</h1>"'
    learner_a.save(update_fields=["name"])
    make_outcome(learner=learner_a, item=make_item(name="计算机应用基础", credits="3"))
    # when
    pdf = transcripts.render_pdf(
        transcripts.render_html(
            learner_a,
            transcripts.transcript_content(learner_a),
            verify_url="",
            number="",
            issued_on=dt.date(2026, 1, 2),
        )
    )
    # then the name is printed as it is, nowhere turned into markup
    text = "".join(_pdf_text(pdf))
    assert '张</style><h1>伪造</h1>"' in text


def test_the_archive_pages_offer_the_download(archive, learner_client, centre_operator_client):
    own = learner_client.get(reverse("archive:me-archive")).content.decode()
    staff = centre_operator_client.get(
        reverse("archive:learner-archive", args=[archive["learner"].account_no])
    ).content.decode()
    assert f'href="{reverse("archive:me-archive-transcript")}" id="download-transcript">下载学习成果证明 (PDF)' in own
    staff_url = reverse("archive:learner-archive-transcript", args=[archive["learner"].account_no])
    assert f'href="{staff_url}" id="download-transcript">打印学习成果证明 (PDF)' in staff
