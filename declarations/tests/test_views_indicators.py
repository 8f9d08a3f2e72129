"""The indicators page: what is typed in every row and the files chosen are saved together by
any of the page's buttons, and nothing typed is lost when an upload is refused (R-DECL-3)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from declarations.models import Evidence
from declarations.services import drafting, lifecycle
from declarations.tests.helpers import events
from tests import declaration_builders as builders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def declaration(enterprise_user):
    return builders.draft(enterprise_user, grade="B")


@pytest.fixture
def signed_in(client, enterprise_user):
    client.force_login(enterprise_user)
    return client


def as_browser_sends(response, **changes) -> dict:
    """The page form as shown, with ``changes``; unticked boxes and empty selects as the
    browser sends them."""
    data = {}
    for item in response.context["items"]:
        form = item["form"]
        for name in form.fields:
            value = form[name].value()
            if name == "applicable":
                if value:
                    data[form.add_prefix(name)] = "on"
                continue
            data[form.add_prefix(name)] = form.fields[name].prepare_value(value) or ""
    data["other-section"] = "basic"
    data.update(changes)
    return data


def url(declaration) -> str:
    return reverse("declarations:indicators", args=[declaration.pk])


def test_typing_a_statement_then_uploading_keeps_both(signed_in, declaration):
    row = declaration.indicator_rows.order_by("seq").first()
    data = as_browser_sends(
        signed_in.get(url(declaration)),
        **{
            f"r{row.pk}-statement": "全部使用水性油墨，VOCs含量检测报告见附件",
            f"r{row.pk}-meets": "true",
            f"u{row.pk}-title": "油墨检测报告",
            f"u{row.pk}-file": builders.pdf_upload("油墨检测报告.pdf"),
            "go": f"row-{row.pk}",
        },
    )
    response = signed_in.post(url(declaration), data)
    assert response.status_code == 302
    assert response["Location"] == f"{url(declaration)}#row-{row.pk}"
    row.refresh_from_db()
    assert row.statement == "全部使用水性油墨，VOCs含量检测报告见附件" and row.meets is True
    (evidence,) = row.evidence.all()
    assert evidence.title == "油墨检测报告" and evidence.section == Evidence.Section.INDICATOR
    # The saved self-assessment is shown as saved (and so is not lost by the next save).
    body = signed_in.get(url(declaration)).content.decode()
    assert '<option value="true" selected>' in body


def test_save_all_keeps_every_row_typed_and_touches_no_other(signed_in, declaration):
    first, second, *rest = declaration.indicator_rows.order_by("seq")
    data = as_browser_sends(
        signed_in.get(url(declaration)),
        **{
            f"r{first.pk}-statement": "第一项对标情况",
            f"r{second.pk}-applicable": "",
            f"r{second.pk}-not_applicable_reason": "本企业不涉及",
            "go": "",
        },
    )
    del data[f"r{second.pk}-applicable"]
    response = signed_in.post(url(declaration), data, follow=True)
    assert "已保存2项指标，上传0个文件" in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.statement == "第一项对标情况"
    assert (second.applicable, second.not_applicable_reason) == (False, "本企业不涉及")
    assert len(events(declaration, "declaration.indicator_saved")) == 2
    # Saving the page again as shown saves nothing.
    response = signed_in.post(url(declaration), as_browser_sends(signed_in.get(url(declaration))))
    assert len(events(declaration, "declaration.indicator_saved")) == 2


def test_a_refused_file_keeps_what_was_typed_and_saves_nothing(signed_in, declaration):
    first, second, *rest = declaration.indicator_rows.order_by("seq")
    fake = SimpleUploadedFile("报告.pdf", b"MZ" + b"\0" * 200, content_type="application/pdf")
    data = as_browser_sends(
        signed_in.get(url(declaration)),
        **{
            f"r{first.pk}-statement": "已完成密闭改造",
            f"r{second.pk}-statement": "第二项",
            f"u{first.pk}-file": fake,
        },
    )
    response = signed_in.post(url(declaration), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "已完成密闭改造" in body and "第二项" in body
    assert "可执行程序" in body and "已选择的文件需要重新选择" in body
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.statement == second.statement == ""
    assert not declaration.evidence.exists()


def test_a_title_without_a_file_is_not_silently_dropped(signed_in, declaration):
    row = declaration.indicator_rows.order_by("seq").first()
    data = as_browser_sends(signed_in.get(url(declaration)), **{f"u{row.pk}-title": "检测报告"})
    response = signed_in.post(url(declaration), data)
    assert response.status_code == 200 and "请选择要上传的文件" in response.content.decode()


def test_a_file_is_replaced_and_other_material_uploaded_from_the_same_page(
    signed_in, declaration, enterprise_user
):
    row = declaration.indicator_rows.order_by("seq").first()
    old = drafting.evidence_upload(
        actor=enterprise_user,
        declaration=declaration,
        upload=builders.pdf_upload(),
        title="检测报告",
        section="indicator",
        indicator_row=row,
    )
    data = as_browser_sends(
        signed_in.get(url(declaration)),
        **{
            f"x{old.pk}-file": builders.pdf_upload("新检测报告.pdf"),
            "other-section": "compliance",
            "other-title": "环评批复",
            "other-file": builders.pdf_upload("环评批复.pdf"),
        },
    )
    response = signed_in.post(url(declaration), data, follow=True)
    assert "已保存0项指标，上传2个文件" in response.content.decode()
    old.refresh_from_db()
    new = old.replaced_by
    assert (new.title, new.indicator_row, new.section) == ("检测报告", row, "indicator")
    assert declaration.evidence.get(section="compliance").title == "环评批复"


def test_staff_read_the_page_but_cannot_save_it(
    client, declaration, enterprise_user, county_user, media
):
    submitted = builders.complete(declaration, enterprise_user)
    lifecycle.declaration_submit(actor=enterprise_user, declaration=submitted)
    client.force_login(county_user)
    response = client.get(url(declaration))
    assert response.status_code == 200 and response.context["editable"] is False
    assert 'id="indicators-form"' not in response.content.decode()
    response = client.post(url(declaration), {"go": ""}, follow=True)
    assert "只有企业本身的账户可以填报本企业的申报" in response.content.decode()
