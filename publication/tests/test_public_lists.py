"""Published lists (R-PUB-1): public pages and API without login, filters, frozen numbered
versions, and their Excel and PDF downloads."""

import io
import re
import subprocess
import tempfile

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from grading.models import GradeRecord
from publication.models import VersionFile
from publication.services import lists
from publication.services.downloads import version_file_render
from publication.tests import builders
from tests import factories

pytestmark = pytest.mark.django_db
IMPORT = GradeRecord.Source.IMPORT


@pytest.fixture
def published(province, django_capture_on_commit_callbacks):
    names = {
        "A": ("410184", "新郑市甲包装有限公司"),
        "B": ("410311", "洛阳乙印务有限公司"),
    }
    for code, (county, name) in names.items():
        builders.decided(factories.enterprise(county=county, name=name), code, source=IMPORT)
    with django_capture_on_commit_callbacks(execute=True):
        return lists.list_publish(actor=province, issuer=province.region, tier="province")


def test_r_pub_1_the_province_list_is_public_with_filters(published):
    client = Client()
    page = client.get("/public/lists/410000/").content.decode()
    assert "新郑市甲包装有限公司" in page and "洛阳乙印务有限公司" in page
    assert "第1版" in page
    only_zz = client.get("/public/lists/410000/?city=410100").content.decode()
    assert "新郑市甲包装有限公司" in only_zz and "洛阳乙印务有限公司" not in only_zz
    only_b = client.get("/public/lists/410000/?grade=B").content.decode()
    assert "洛阳乙印务有限公司" in only_b and "新郑市甲包装有限公司" not in only_b
    by_name = client.get("/public/lists/410000/?q=甲包装").content.decode()
    assert "新郑市甲包装有限公司" in by_name and "洛阳乙印务有限公司" not in by_name
    assert client.get("/public/lists/410000/9/").status_code == 404
    assert client.get("/public/lists/999999/").status_code == 404


def test_r_pub_1_the_public_api_answers_anonymously(published):
    client = APIClient()
    index = client.get("/api/v1/public/lists/").json()
    assert [v["number"] for v in index] == [1]
    rows = client.get("/api/v1/public/lists/410000/versions/1/rows/?grade=A").json()
    assert [r["enterprise_name"] for r in rows["results"]] == ["新郑市甲包装有限公司"]
    assert "contact_person" not in rows["results"][0]
    assert client.get("/api/v1/public/lists/410000/versions/x/rows/").status_code == 404


def test_r_pub_1_a_later_change_is_a_new_version_and_the_old_one_stays(published, province):
    ent = factories.enterprise(county="410184", name="新郑市丙彩印有限公司")
    builders.decided(ent, "B", source=IMPORT)
    v2 = lists.list_publish(actor=province, issuer=province.region, tier="province")
    assert (v2.number, v2.added) == (2, 1)
    client = Client()
    assert "新郑市丙彩印有限公司" not in client.get("/public/lists/410000/1/").content.decode()
    assert "新郑市丙彩印有限公司" in client.get("/public/lists/410000/").content.decode()


def test_r_pub_1_downloads_hold_the_version(published, django_capture_on_commit_callbacks):
    files = {f.format: f for f in VersionFile.objects.filter(version=published)}
    assert set(files) == {"xlsx", "pdf"}
    assert all(f.status == "ready" for f in files.values())
    response = Client().get("/public/lists/410000/1/xlsx/")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert "第1版" in rows[0][0]
    assert rows[2] == (
        "序号",
        "省辖市",
        "县（市、区）",
        "企业名称",
        "统一社会信用代码",
        "行业",
        "绩效等级",
        "评定日期",
    )
    assert [r[3] for r in rows[3:]] == ["新郑市甲包装有限公司", "洛阳乙印务有限公司"]

    pdf = b"".join(Client().get("/public/lists/410000/1/pdf/").streaming_content)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        text = subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True).stdout
        fonts = subprocess.run(["pdffonts", fh.name], capture_output=True, text=True).stdout
    assert "新郑市甲包装有限公司" in text
    cjk = [line for line in fonts.splitlines() if "NotoSansCJKSC" in line.replace("-", "")]
    assert cjk and all(
        re.search(r"\b(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+", line).group(1) == "yes" for line in cjk
    )


def test_a_download_not_rendered_yet_says_so(province):
    builders.decided(factories.enterprise(county="410184"), "A", source=IMPORT)
    lists.list_publish(actor=province, issuer=province.region, tier="province")  # no callbacks
    response = Client().get("/public/lists/410000/1/xlsx/")
    assert response.status_code == 202
    assert "正在生成" in response.content.decode()
    pending = VersionFile.objects.filter(format="xlsx").first()
    version_file_render(pending.pk)
    assert Client().get("/public/lists/410000/1/xlsx/").status_code == 200


def test_a_rendered_file_is_never_rendered_twice(published):
    row = VersionFile.objects.get(version=published, format="xlsx")
    before = (row.file.name, row.sha256)
    version_file_render(row.pk)
    row.refresh_from_db()
    assert (row.file.name, row.sha256) == before
