"""The catalog console pages: search, propose, publish, edit as a new version, retire, import with
a preview, export, standards and their attachments."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from creditbank.audit.models import AuditEntry
from creditbank.catalog import services, standards, transfer
from creditbank.catalog.models import CatalogItem, Standard, StandardAttachment
from creditbank.catalog.tests.factories import item_data, make_item

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(**extra):
    data = {
        "code": "web-1",
        "name": "Web前端开发",
        "type": "one_plus_x",
        "issuer_code": "MIIT",
        "issuer_name": "工业和信息化部教育与考试中心",
        "level": "5",
        "credits": "",
        "hours": "",
        "validity_years": "3",
    }
    data.update(extra)
    return data


def test_search_finds_by_pinyin_initials_and_filters_by_status(tree, centre_admin_client):
    # given
    make_item(code="JSJ-1", name="计算机应用技术")
    make_item(code="KJ-1", name="大数据与会计")
    draft = make_item(code="JSJ-2", name="计算机网络", publish=False)
    # when
    response = centre_admin_client.get(reverse("catalog:item-list"), {"q": "jsj"})
    # then: the published item is found, the management centre's draft is not shown to a centre
    codes = [item.code for item in response.context["page_obj"]]
    assert codes == ["JSJ-1"]
    assert draft.code not in response.content.decode()
    response = centre_admin_client.get(reverse("catalog:item-list"), {"status": "published", "type": "degree_course"})
    assert [item.code for item in response.context["page_obj"]] == ["JSJ-1", "KJ-1"]


def test_htmx_search_answers_with_the_rows_only(tree, centre_admin_client):
    make_item(code="JSJ-1", name="计算机应用技术")
    response = centre_admin_client.get(reverse("catalog:item-list"), {"q": "JSJ"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"JSJ-1" in response.content


def test_a_centre_proposes_a_draft_and_its_credits_come_from_the_rule(tree, centre_admin_client):
    # when
    response = centre_admin_client.post(reverse("catalog:item-create"), _form(publish="on"))
    # then: saved as a draft (a centre's "publish" is ignored: the field is not offered), credits by level 5
    assert response.status_code == 302
    item = CatalogItem.objects.get(code="WEB-1")
    assert (item.status, str(item.credits), item.proposed_by.code) == ("draft", "6.0", tree.a.code)


def test_bad_input_is_shown_on_the_form_and_nothing_is_stored(tree, root_admin_client):
    before = (CatalogItem.objects.count(), AuditEntry.objects.count())
    response = root_admin_client.post(reverse("catalog:item-create"), _form(credits="-1", type="other_kind"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert (CatalogItem.objects.count(), AuditEntry.objects.count()) == before


def test_editing_a_published_item_makes_a_new_version(tree, root_admin_client):
    # given
    item = make_item(code="VER-1", name="高等数学", credits="4")
    # when
    response = root_admin_client.post(
        reverse("catalog:item-edit", args=["VER-1"]),
        _form(code="ignored", name="高等数学（上）", type="degree_course", level="", credits="5", hours="80"),
    )
    # then
    assert response.status_code == 302
    versions = list(
        CatalogItem.objects.filter(code="VER-1").order_by("version").values_list("version", "is_current", "credits")
    )
    assert [(v, c, str(cr)) for v, c, cr in versions] == [(1, False, "4.0"), (2, True, "5.0")]
    page = root_admin_client.get(reverse("catalog:item-detail", args=["VER-1"]))
    assert page.context["item"].version == 2
    assert len(page.context["versions"]) == 2
    assert item.pk != page.context["item"].pk


def test_the_management_centre_publishes_and_retires(tree, centre_admin, root_admin_client):
    draft = services.create_item(item_data(code="PUB-1"), actor=centre_admin, publish=False)
    root_admin_client.post(reverse("catalog:item-publish", args=["PUB-1"]))
    draft.refresh_from_db()
    assert draft.status == "published"
    root_admin_client.post(reverse("catalog:item-retire", args=["PUB-1"]))
    draft.refresh_from_db()
    assert draft.status == "retired"
    # a second retire is a clear message, not an error page
    response = root_admin_client.post(reverse("catalog:item-retire", args=["PUB-1"]), follow=True)
    assert "停用" in response.content.decode() or "retired" in response.content.decode()


def test_import_previews_then_imports_and_stores_nothing_before(tree, root_admin_client):
    # given a file with one good row, one changed row and one bad row
    make_item(code="OLD-1", name="旧课程", credits="2", hours=None, level=None)
    content = (
        "成果编码,成果名称,成果类型,颁发机构编码,颁发机构名称,等级,学分,学时\n"
        "NEW-1,新课程,学历教育课程,AHU,安徽大学,,,32\n"
        "OLD-1,旧课程,学历教育课程,AHU,安徽大学,,3,\n"
        "BAD-1,坏行,学位证书,AHU,安徽大学,,1,\n"
    ).encode("gb18030")
    upload = SimpleUploadedFile("catalog.csv", content, content_type="text/csv")
    # when previewing
    response = root_admin_client.post(reverse("catalog:catalog-import"), {"file": upload})
    # then nothing is stored yet, and every row is counted
    preview = response.context["preview"]
    assert (preview.rows, preview.imported, preview.updated, preview.errors) == (3, 1, 1, 1)
    assert response.context["errors"][0]["line"] == 4
    assert not CatalogItem.objects.filter(code="NEW-1").exists()
    # when confirming
    response = root_admin_client.post(
        reverse("catalog:catalog-import"), {"token": response.context["token"], "draft": "0", "strict": "0"}
    )
    # then
    result = response.context["result"]
    assert (result.imported, result.updated, result.errors) == (1, 1, 1)
    assert CatalogItem.objects.get(code="NEW-1", is_current=True).credits == 2
    assert CatalogItem.objects.get(code="OLD-1", is_current=True).version == 2
    # and the token is spent
    again = root_admin_client.post(reverse("catalog:catalog-import"), {"token": response.context.get("token") or "x"})
    assert again.status_code == 302


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_form(tree, root_admin_client):
    upload = SimpleUploadedFile("catalog.xlsx", b"not a zip", content_type="application/octet-stream")
    response = root_admin_client.post(reverse("catalog:catalog-import"), {"file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_centre_imports_drafts_only(tree, centre_admin_client):
    content = "code,name,type,issuer_code,issuer_name,level,credits,hours\nC-IMP,课程,degree_course,AHU,安徽大学,,2,\n"
    upload = SimpleUploadedFile("c.csv", content.encode(), content_type="text/csv")
    assert centre_admin_client.post(reverse("catalog:catalog-import"), {"file": upload}).status_code == 403
    upload = SimpleUploadedFile("c.csv", content.encode(), content_type="text/csv")
    preview = centre_admin_client.post(reverse("catalog:catalog-import"), {"file": upload, "draft": "on"})
    centre_admin_client.post(reverse("catalog:catalog-import"), {"token": preview.context["token"], "draft": "1"})
    assert CatalogItem.objects.get(code="C-IMP").status == "draft"


def test_export_round_trips_through_the_import(tree, root_admin_client):
    make_item(code="RT-1", name="=cmd|' /C calc'!A0", credits="2")
    make_item(code="RT-2", name="大学英语", credits="3")
    exported = root_admin_client.get(reverse("catalog:catalog-export", args=["xlsx"]))
    assert exported.status_code == 200
    before = list(CatalogItem.objects.values_list("code", "version", "name", "credits"))
    outcome = transfer.run_catalog_import(io.BytesIO(exported.content), filename="c.xlsx")
    assert (outcome.duplicates, outcome.imported, outcome.updated, outcome.errors) == (2, 0, 0, 0)
    assert list(CatalogItem.objects.values_list("code", "version", "name", "credits")) == before
    assert root_admin_client.get(reverse("catalog:catalog-export", args=["pdf"])).status_code == 404


def test_the_template_is_an_excel_file(tree, centre_admin_client):
    response = centre_admin_client.get(reverse("catalog:catalog-template"))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_standards_are_created_edited_and_carry_attachments(tree, root_admin_client):
    # when
    response = root_admin_client.post(
        reverse("catalog:standard-create"),
        {
            "number": "长三角-互认-001",
            "title": "计算机应用技术专业互认标准",
            "kind": "mutual_recognition",
            "issuing_org": "长三角学分银行联盟",
        },
    )
    standard = Standard.objects.get(number="长三角-互认-001")
    assert response.status_code == 302
    # a PDF is attached; a PNG that claims to be a PDF, and an executable, are refused
    url = reverse("catalog:standard-attach", args=[standard.pk])
    root_admin_client.post(url, {"file": SimpleUploadedFile("标准.pdf", PDF)})
    root_admin_client.post(url, {"file": SimpleUploadedFile("fake.pdf", PNG)})
    root_admin_client.post(url, {"file": SimpleUploadedFile("run.pdf", b"MZ\x90\x00" + b"\x00" * 60)})
    assert list(StandardAttachment.objects.values_list("filename", "content_type")) == [("标准.pdf", "application/pdf")]
    attachment = StandardAttachment.objects.get()
    download = root_admin_client.get(reverse("catalog:standard-attachment", args=[standard.pk, attachment.pk]))
    assert b"".join(download.streaming_content) == PDF
    # a duplicate number is refused on the form
    response = root_admin_client.post(
        reverse("catalog:standard-create"),
        {"number": "长三角-互认-001", "title": "另一个", "kind": "certification", "issuing_org": "x"},
    )
    assert response.status_code == 200
    assert "number" in response.context["form"].errors
    # edit
    root_admin_client.post(
        reverse("catalog:standard-edit", args=[standard.pk]),
        {
            "number": "长三角-互认-001",
            "title": "新标题",
            "kind": "mutual_recognition",
            "issuing_org": "联盟",
            "effective_on": "2025-01-01",
        },
    )
    standard.refresh_from_db()
    assert (standard.title, str(standard.effective_on)) == ("新标题", "2025-01-01")
    # remove the attachment
    root_admin_client.post(reverse("catalog:standard-detach", args=[standard.pk, attachment.pk]))
    assert not StandardAttachment.objects.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "catalog.standard_create",
        "catalog.standard_update",
        "catalog.standard_attach",
        "catalog.standard_detach",
    } <= actions


def test_standard_detail_lists_the_items_it_governs(tree, root_admin, root_admin_client):
    standard = standards.create_standard(
        standards.StandardData(number="CB-1", title="认证标准", kind="certification", issuing_org="管理中心"),
        actor=root_admin,
    )
    make_item(code="GOV-1", standard_number="CB-1")
    response = root_admin_client.get(reverse("catalog:standard-detail", args=[standard.pk]))
    assert [item.code for item in response.context["items"]] == ["GOV-1"]


def test_an_import_keeps_no_file_behind(tree, root_admin_client, settings):
    from django.core.files.storage import default_storage

    def waiting():
        try:
            return default_storage.listdir("catalog-imports")[1]
        except FileNotFoundError:
            return []

    content = "code,name,type,issuer_code,issuer_name,level,credits,hours\nK-1,课程,degree_course,AHU,安徽大学,,2,\n"
    first = root_admin_client.post(
        reverse("catalog:catalog-import"), {"file": SimpleUploadedFile("a.csv", content.encode())}
    )
    second = root_admin_client.post(
        reverse("catalog:catalog-import"), {"file": SimpleUploadedFile("b.csv", content.encode())}
    )
    assert len(waiting()) == 1  # a new upload replaced the first one
    assert first.context["token"] != second.context["token"]
    root_admin_client.post(
        reverse("catalog:catalog-import"), {"token": second.context["token"], "draft": "0", "strict": "0"}
    )
    assert waiting() == []


def test_an_oversized_catalog_file_is_refused_on_the_form(tree, root_admin_client, monkeypatch):
    from creditbank.catalog.console_forms import CatalogImportForm

    monkeypatch.setattr(CatalogImportForm, "MAX_BYTES", 10)
    response = root_admin_client.post(
        reverse("catalog:catalog-import"), {"file": SimpleUploadedFile("a.csv", b"x" * 11)}
    )
    assert "file" in response.context["form"].errors
