"""The public page a signboard's or plan's QR code opens (R-LIST-4, R-PUB-1, R-DECL-5): the
current grade and measures per alert level with the list version; an outdated board says so and
shows what changed; no contact data; a confidential enterprise's board only says whether it is
current."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from emergency_list.models import ListEntry
from emergency_list.services.documents import entry_document_context, signboard_render
from emergency_list.services.entries import entry_build, entry_update
from emergency_list.services.public_check import check_url
from publication.tests import builders
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = 2026


def _entry(name, **fields) -> ListEntry:
    ent = factories.enterprise(
        county="410184",
        industry="N31",
        name=name,
        contact_person="王联系",
        contact_mobile="13900001111",
        emissions=[{"vocs_tpa": 20, "pm_tpa": 2}],
        **fields,
    )
    ensure_lines(ent)
    builders.decided(ent, "C")
    return ListEntry.objects.filter(enterprise=ent, year=YEAR).first() or entry_build(
        year=YEAR, enterprise=ent
    )


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_r_list_4_signboard_and_plan_carry_a_qr_code_of_the_public_check_page():
    entry = _entry("二维码印务有限公司")
    context = entry_document_context(entry)
    entry.refresh_from_db()
    assert len(entry.public_key) >= 16 and str(entry.pk) not in entry.public_key
    assert context["check_url"].endswith(f"/public/signboards/{entry.public_key}/1/")
    assert context["qr_svg"].startswith("<svg") and "path" in context["qr_svg"]

    pdf = PdfReader(io.BytesIO(signboard_render(entry)))
    assert len(pdf.pages) == 1 and "扫码核验" in pdf.pages[0].extract_text()


def test_r_pub_1_check_page_shows_current_grade_and_measures_without_contact_data(county_user):
    entry = _entry("核验印务有限公司")
    url = _path(check_url(entry, 1))
    page = Client().get(url).content.decode()
    assert "为最新版本（第1版）" in page and "核验印务有限公司" in page
    assert "C级" in page or "C" in page
    assert "红色" in page and "橙色" in page and "黄色" in page
    assert "王联系" not in page and "13900001111" not in page
    entry_update(
        actor=county_user,
        entry=entry,
        data={"operating_days": 200, "contact_mobile": "13900002222"},
    )
    stale = Client().get(url).content.decode()
    assert "已不是最新版本（第1版）" in stale and "当前为第2版" in stale
    assert "年生产天数" in stale  # what changed
    assert "13900002222" not in stale and "13900001111" not in stale
    assert Client().get(url.replace("/1/", "/9/")).status_code == 404
    assert Client().get("/public/signboards/unknown-key/1/").status_code == 404


def test_r_decl_5_confidential_enterprise_board_only_says_whether_it_is_current(county_user):
    entry = _entry("保密配套有限公司", is_confidential=True)
    url = _path(check_url(entry, 1))
    page = Client().get(url).content.decode()
    assert "为最新版本" in page
    assert "保密配套有限公司" not in page and entry.enterprise.uscc not in page
    assert "signboard-measures" not in page
    entry_update(actor=county_user, entry=entry, data={"operating_days": 200})
    stale = Client().get(url).content.decode()
    assert "已不是最新版本" in stale and "年生产天数" not in stale and "第2版" not in stale
