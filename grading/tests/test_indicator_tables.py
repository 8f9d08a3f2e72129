"""Indicator tables as content the province maintains (R-GRADE-7, R-DECL-3): the
administrator downloads the documented template, uploads an industry's table per guideline
version, checked row by row before anything is saved; a completeness page lists what is
missing."""

from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from core.models import AuditEvent
from grading.models import (
    GradeScheme,
    GuidelineVersion,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    User,
)
from grading.selectors import indicator_completeness
from grading.services.indicator_tables import (
    IndicatorTableInvalid,
    indicator_table_import,
    table_template,
)
from tests import factories

pytestmark = pytest.mark.django_db
HEAD = [
    "指标类别代码",
    "差异化指标",
    "序号",
    "A级",
    "B级",
    "B-级",
    "C级",
    "D级",
    "原文（是/否）",
    "备注",
]


@pytest.fixture
def admin(db):
    user = factories.admin_user()
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def xlsx(rows, head=HEAD) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "指标要求"
    ws.append(head)
    for row in rows:
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def steel_import(actor, rows, **kw):
    return indicator_table_import(
        actor=actor,
        industry=Industry.objects.get(code="N01"),
        version=GuidelineVersion.objects.get(code="henan-2021"),
        content=xlsx(rows),
        **kw,
    )


def test_r_grade_7_template_has_the_schemes_grade_columns_and_documents_them():
    content = table_template(
        industry=Industry.objects.get(code="N01"),
        version=GuidelineVersion.objects.get(code="henan-2021"),
        scheme=GradeScheme.objects.get(code="ABBCD"),
    )
    wb = load_workbook(BytesIO(content))
    rows = list(wb["指标要求"].iter_rows(values_only=True))
    assert list(rows[0]) == HEAD
    assert len(rows) == 20  # one row per indicator category, nothing entered yet
    assert rows[1][:3] == ("energy", "能源（燃料）类型", 1)
    notes = " ".join(str(c) for r in wb["说明"].iter_rows(values_only=True) for c in r if c)
    assert "任一行有错则不保存" in notes and "长流程联合钢铁" in notes


def test_r_grade_7_upload_saves_the_table_and_the_gaps_show_as_missing(admin):
    result = steel_import(
        admin,
        [
            ["equipment", "装备水平", 1, "A级原文", "B级原文", "B-级原文", "C级原文", "", "是", ""],
            [
                "emission_limits",
                "排放限值",
                "",
                "A限值",
                "B限值",
                "B-限值",
                "C限值",
                "D限值",
                "否",
                "摘录",
            ],
        ],
    )
    s = result.indicator_set
    assert (result.created, result.updated, result.removed) == (9, 0, 0)
    assert result.missing == ["装备水平（1）/D级"]
    assert (
        IndicatorRequirement.objects.get(
            indicator_set=s, category__code="emission_limits", grade__code="B-"
        ).verbatim
        is False
    )
    event = AuditEvent.objects.get(code="grading.indicator_table.imported")
    assert "新增9" in event.summary and event.actor == admin

    row = next(r for r in indicator_completeness() if r["set"] == s)
    assert row["in_force"] and row["filled"] == 9 and row["cells"] == 10
    assert row["missing"] == ["装备水平：D级"]

    # The same version again, as a whole: a changed cell, a removed row.
    again = steel_import(
        admin,
        [
            [
                "equipment",
                "",
                1,
                "A级原文（修订）",
                "B级原文",
                "B-级原文",
                "C级原文",
                "D级原文",
                "",
                "",
            ]
        ],
    )
    assert (again.created, again.updated, again.removed) == (1, 1, 5)
    assert IndicatorRequirement.objects.filter(indicator_set=s).count() == 5


def test_r_grade_7_upload_is_checked_row_by_row_and_saves_nothing_on_error(admin):
    with pytest.raises(IndicatorTableInvalid) as exc:
        steel_import(
            admin,
            [
                ["equipment", "装备水平", 1, "A", "B", "B-", "C", "D", "是", ""],
                ["nope", "", 1, "A", "", "", "", "", "", ""],
                ["equipment", "装备水平", 1, "A", "", "", "", "", "", ""],
                ["emission_limits", "装备水平", "x", "A", "", "", "", "", "", ""],
                ["monitoring", "", 1, "【原文待补录】依据原文录入", "", "", "", "", "也许", ""],
            ],
        )
    problems = exc.value.problems
    assert [r for r, _m in problems] == [3, 4, 5, 5, 6, 6]
    text = " ".join(exc.value.messages)
    assert "第3行：指标类别代码“nope”不存在" in text
    assert "与第2行重复" in text and "序号应为1至99的整数" in text
    assert "原文尚未取得的请留空" in text and "应填“是”或“否”" in text
    assert not IndicatorRequirement.objects.filter(indicator_set__industry__code="N01").exists()


def test_r_grade_7_upload_refuses_columns_outside_the_scheme(admin):
    bad_head = [h for h in HEAD if h != "B-级"]
    with pytest.raises(IndicatorTableInvalid) as exc:
        indicator_table_import(
            actor=admin,
            industry=Industry.objects.get(code="N01"),
            version=GuidelineVersion.objects.get(code="henan-2021"),
            content=xlsx([["equipment", "", 1, "A", "B", "C", "D", "", ""]], head=bad_head),
        )
    assert "缺少等级列：B-级" in " ".join(exc.value.messages)
    with pytest.raises(IndicatorTableInvalid) as exc:
        indicator_table_import(
            actor=admin,
            industry=Industry.objects.get(code="N01"),
            version=GuidelineVersion.objects.get(code="henan-2021"),
            content=b"not a workbook",
        )
    assert "无法读取文件" in " ".join(exc.value.messages)


def test_r_grade_7_a_new_version_needs_its_scheme(admin):
    version = GuidelineVersion.objects.get(code="2026")
    industry = Industry.objects.get(code="N31")
    content = xlsx(
        [["equipment", "", 1, "A+原文", "A原文", "", "", ""]],
        head=[
            "指标类别代码",
            "差异化指标",
            "序号",
            "A+级",
            "A级",
            "B级",
            "C级",
            "D级",
            "原文（是/否）",
            "备注",
        ],
    )
    with pytest.raises(ValidationError) as exc:
        indicator_table_import(actor=admin, industry=industry, version=version, content=content)
    assert "请选择分级体系" in " ".join(exc.value.messages)
    result = indicator_table_import(
        actor=admin,
        industry=industry,
        version=version,
        content=content,
        scheme=GradeScheme.objects.get(code="APABCD"),
    )
    assert result.indicator_set.scheme.code == "APABCD" and result.created == 2


def test_r_grade_7_only_the_administrator_uploads(county_user):
    with pytest.raises(PermissionDenied):
        steel_import(county_user, [["equipment", "", 1, "A", "", "", "", "", "", ""]])


def test_r_grade_7_admin_pages_download_upload_and_completeness(client, admin):
    client.force_login(admin)
    steel, version = (
        Industry.objects.get(code="N01"),
        GuidelineVersion.objects.get(code="henan-2021"),
    )
    url = reverse("admin:grading_indicatorset_upload")
    assert client.get(url).status_code == 200
    template = client.post(
        url, {"industry": steel.pk, "guideline_version": version.pk, "template": "1"}
    )
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(template.content))
    assert list(next(wb["指标要求"].iter_rows(values_only=True))) == HEAD

    bad = SimpleUploadedFile("t.xlsx", xlsx([["nope", "", 1, "", "", "", "", "", "", ""]]))
    page = client.post(
        url, {"industry": steel.pk, "guideline_version": version.pk, "file": bad, "upload": "1"}
    )
    assert "第2行：指标类别代码“nope”不存在" in page.content.decode()

    good = SimpleUploadedFile(
        "t.xlsx", xlsx([["equipment", "", 1, "A原文", "B原文", "B-原文", "C原文", "D原文", "", ""]])
    )
    done = client.post(
        url, {"industry": steel.pk, "guideline_version": version.pk, "file": good, "upload": "1"}
    )
    assert done.status_code == 302
    page = client.get(reverse("admin:grading_indicatorset_completeness")).content.decode()
    assert "长流程联合钢铁（N01）" in page and "未录入任何指标要求" in page
    assert "包装印刷（N31）" in page and "原辅材料：C级、D级" in page

    listing = client.get(reverse("admin:grading_indicatorset_changelist")).content.decode()
    assert "上传指标要求（Excel）" in listing and "指标要求完整性" in listing


def test_r_grade_7_admin_pages_refuse_other_staff(client):
    staff = factories.staff_user(User.Role.PROVINCE, "410000")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    response = client.get(reverse("admin:grading_indicatorset_completeness"))
    assert response.status_code in (302, 403)


def test_r_grade_7_set_without_rows_misses_everything():
    row = next(
        r
        for r in indicator_completeness()
        if r["set"]
        == IndicatorSet.objects.get(industry__code="N01", guideline_version__code="henan-2021")
    )
    assert row["empty"] and row["in_force"]
