"""Measure tables as content the province maintains (R-LIST-8, R-GRADE-7): the administrator
downloads the documented template, uploads an industry's table per guideline version, checked
row by row before anything is saved; the list takes it; the completeness page lists what is
missing. Before, 41 industries used a copy of the cement measures."""

from io import BytesIO

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from emergency_list.models import Action, AlertLevel, EntryMeasure, MeasureTemplate
from emergency_list.selectors import measure_completeness
from emergency_list.services import entries as svc
from emergency_list.services.measure_tables import (
    HEAD,
    SHEET,
    MeasureTableInvalid,
    measure_table_import,
    table_template,
)
from emergency_list.services.measures import TemplateIndex
from grading.models import Industry
from grading.selectors import indicator_set_in_force
from tests import factories
from tests.declaration_builders import ensure_lines

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year
COATING = "N39"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def in_force(code=COATING):
    industry = Industry.objects.get(code=code)
    s = indicator_set_in_force(industry=industry, on=timezone.localdate())
    return industry, s.guideline_version, s.scheme


def completeness_row(industry, version) -> dict:
    return next(
        r
        for r in measure_completeness()
        if r["set"].industry == industry and r["set"].guideline_version == version
    )


def workbook(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(HEAD))
    for r in rows:
        ws.append(r)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


COATING_TABLE = [
    ["A级", "黄色", "", "自主减排", None, "", "", "", "A级企业鼓励自主采取减排措施。", "许昌"],
    ["B级", "黄色", "黄色", "停工序", 30, "以工序计", "", "", "黄色预警：停止喷涂工序30%。", ""],
    ["B级", "橙色", "", "停工序", None, "以工序计", "", "", "橙色及以上：停止喷涂、烘干。", ""],
    ["C级", "黄色", "", "停工序", None, "以工序计", "", "", "黄色及以上：停止涉VOCs工序。", ""],
    ["D级", "黄色", "", "停产", None, "", "", "停止公路运输", "黄色及以上：停产。", ""],
]


def test_r_list_8_measure_table_checked_row_by_row_before_anything_is_saved():
    admin = factories.admin_user()
    industry, version, scheme = in_force()
    bad = workbook(
        [
            COATING_TABLE[0],
            ["E级", "黄色", "", "停产", None, "", "", "", "x", ""],  # not in the scheme
            ["B级", "紫色", "", "限产", None, "", "", "", "", ""],  # level, ratio, text
            ["B级", "红色", "黄色", "限产", 120, "", "", "", "限产", ""],  # order, ratio
        ]
    )
    with pytest.raises(MeasureTableInvalid) as exc:
        measure_table_import(
            actor=admin, industry=industry, version=version, scheme=scheme, content=bad
        )
    rows = {r for r, _m in exc.value.problems}
    assert rows == {3, 4, 5}
    messages = " ".join(exc.value.messages)
    assert "第3行" in messages and "不属于分级体系" in messages
    assert "限产措施须填写比例" in messages and "截止预警级别不能低于起始预警级别" in messages
    assert not MeasureTemplate.objects.filter(industry=industry, guideline_version=version).exists()


def test_r_list_8_uploaded_table_drives_the_list_and_completeness(county_user):
    admin = factories.admin_user()
    industry, version, scheme = in_force()
    before = next(
        r
        for r in measure_completeness()
        if r["set"].industry == industry and r["set"].guideline_version == version
    )
    assert before["empty"] and not before["table"]

    # The template documents itself and reads back as a (still empty) table.
    template = openpyxl.load_workbook(
        BytesIO(table_template(industry=industry, version=version, scheme=scheme))
    )
    assert template.sheetnames == [SHEET, "说明"]
    assert [c.value for c in template[SHEET][1]] == list(HEAD)

    result = measure_table_import(
        actor=admin,
        industry=industry,
        version=version,
        scheme=scheme,
        content=workbook(COATING_TABLE[:4]),  # no D
    )
    assert result.created == 4 and result.missing == ["D级/黄色", "D级/橙色", "D级/红色"]
    after = next(
        r
        for r in measure_completeness()
        if r["set"].industry == industry and r["set"].guideline_version == version
    )
    assert after["table"] and after["missing"] == ["D级/黄色", "D级/橙色", "D级/红色"]

    # An enterprise of the industry graded B takes the uploaded measures, not the general pattern.
    ent = factories.enterprise(industry=COATING, emissions=[{"vocs_tpa": 30}])
    ensure_lines(ent)
    ent.industries.update(current_grade=scheme.ordered_grades()[1])
    ent.overall_grade = scheme.ordered_grades()[1]
    ent.save()
    entry = svc.entry_build(year=YEAR, enterprise=ent, index=TemplateIndex())
    yellow = EntryMeasure.objects.get(entry_process__entry=entry, level=AlertLevel.YELLOW)
    assert yellow.action == Action.STOP_PROCESS and yellow.text == "黄色预警：停止喷涂工序30%。"


def test_r_list_8_only_the_administrator_keeps_measure_tables(county_user):
    industry, version, scheme = in_force()
    with pytest.raises(PermissionDenied):
        measure_table_import(
            actor=county_user,
            industry=industry,
            version=version,
            scheme=scheme,
            content=workbook(COATING_TABLE),
        )
    page = Client()
    page.force_login(county_user)
    assert page.get("/admin/emergency_list/measuretemplate/upload/").status_code in (302, 403)
    admin = Client()
    admin.force_login(factories.admin_user())
    assert admin.get("/admin/emergency_list/measuretemplate/upload/").status_code == 200
    response = admin.post(
        "/admin/emergency_list/measuretemplate/upload/",
        {"industry": industry.pk, "guideline_version": version.pk, "template": "1"},
    )
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    response = admin.post(
        "/admin/emergency_list/measuretemplate/upload/",
        {
            "industry": industry.pk,
            "guideline_version": version.pk,
            "upload": "1",
            "file": SimpleUploadedFile("m.xlsx", workbook(COATING_TABLE), content_type=XLSX),
        },
    )
    assert response.status_code == 302
    html = admin.get("/admin/emergency_list/measuretemplate/completeness/").content.decode()
    assert f'data-industry="{COATING}"' in html
    assert MeasureTemplate.objects.filter(industry=industry, guideline_version=version).count() == 5
