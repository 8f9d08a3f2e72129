"""What the enterprise declared reaches the list (reference/domain.md §6(d), R-LIST-2, R-LIST-5):
the county's export, reopened, has every column of the 工业源 sheet filled for an enterprise
whose declaration was decided, and both sheets are set up to be printed and filtered."""

from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from openpyxl.utils import get_column_letter

from declarations.models import Declaration, MaterialUse
from emergency_list.excel.layout import COL, COLUMNS, HEADER_ROWS, NCOL, SHEET_LIST, SHEET_SUMMARY
from emergency_list.models import ListEntry
from emergency_list.services import entries as svc
from emergency_list.tests.excel_data import data_rows, export
from grading.models import Grade, Industry
from grading.services.grades import grade_record_add
from tests import factories
from tests.declaration_builders import complete, draft

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def decided_enterprise(county_user):
    ent = factories.enterprise(
        industry="N31",
        name="华豫彩印包装有限公司",
        emissions=[{"so2_tpa": 2, "nox_tpa": 5, "pm_tpa": 3, "vocs_tpa": 24}],
        address="郑州市新郑市薛店镇华豫路8号",
        longitude=Decimal("113.781200"),
        latitude=Decimal("34.472300"),
    )
    user = factories.enterprise_user(ent)
    d = complete(draft(user, industry="N31"), user)
    MaterialUse.objects.create(
        declaration=d, kind="fuel", name="天然气", annual_amount=Decimal(120), unit="万立方米"
    )
    Declaration.objects.filter(pk=d.pk).update(
        permit_number="91410184MA3X0000XX001V", status=Declaration.Status.DECIDED
    )
    guarantee = Declaration.objects.create(
        number=f"G{d.number}"[:30],
        enterprise=ent,
        year=YEAR - 1,
        industry=d.industry,
        control_type=Declaration.ControlType.GUARANTEE,
        guarantee_category=Declaration.GuaranteeCategory.LIVELIHOOD,
        requested_grade=d.requested_grade,
        indicator_set=d.indicator_set,
        created_by=user,
    )
    Declaration.objects.filter(pk=guarantee.pk).update(status=Declaration.Status.DECIDED)
    grade_record_add(
        actor=county_user,
        enterprise=ent,
        industry=Industry.objects.get(code="N31"),
        grade=Grade.objects.get(code="B"),
        effective_from=timezone.localdate(),
        source="review",
    )
    entry = ListEntry.objects.filter(enterprise=ent, year=YEAR).first() or svc.entry_build(
        year=YEAR, enterprise=ent
    )
    svc.entry_update(
        actor=county_user,
        entry=entry,
        data={
            "is_guarantee": True,
            "guarantee_scope": "居民供暖期间保障包装供应",
            "bulk_transport": True,
            "transport_plan": "预警期间错峰运输，禁止国四及以下车辆进出",
            "gate_system": True,
            "note": "保障类",
        },
    )
    return ent


def test_r_list_2_every_column_is_filled_for_a_decided_declaration(county_user, tmp_path):
    """The case tried: permit number, last year's output and natural-gas fuel entered in the
    declaration were blank; 乡镇/街道, 减排基准 and 行业类别代码 always empty; the 保障类
    category, heavy vehicles and their stages and the enterprise's own share missing."""
    ent = decided_enterprise(county_user)
    path, _ = export(tmp_path)
    rows = [r for r in data_rows(path) if r[COL["uscc"]] == ent.uscc]
    assert len(rows) == 1
    row = rows[0]
    empty = [c.label for i, c in enumerate(COLUMNS) if row[i] is None or row[i] == ""]
    assert empty == []
    assert row[COL["town"]] == "薛店镇"
    assert row[COL["permit"]] == "91410184MA3X0000XX001V"
    assert row[COL["gbt4754"]] == "2319"
    assert row[COL["guarantee_category"]] == "民生保障"
    assert row[COL["output"]] == 2600
    assert row[COL["basis"]] == "8.6667 吨/日"  # min(3000, 3000, 2600) / 300 days
    assert row[COL["fuel"]] == "天然气 120万立方米"
    assert row[COL["vehicles"]] == 1 and row[COL["vehicle_stages"]] == "国六1辆"
    assert 0 <= row[COL["red_share"]] <= 100


def test_r_list_7_sheets_print_landscape_a3_fit_to_width_with_filters(county_user, tmp_path):
    decided_enterprise(county_user)
    path, _ = export(tmp_path)
    wb = openpyxl.load_workbook(path)
    for name in (SHEET_LIST, SHEET_SUMMARY):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape"
        assert str(ws.page_setup.paperSize) == "8"  # A3
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    ws = wb[SHEET_LIST]
    assert ws.print_title_rows == f"$1:${HEADER_ROWS}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROWS}:")
    assert ws.auto_filter.ref.split(":")[1].rstrip("0123456789") == get_column_letter(NCOL)
    # Figures at the list's precision: no float noise such as 0.882799999999999.
    for row in wb[SHEET_SUMMARY].iter_rows(values_only=True):
        for v in row:
            if isinstance(v, float):
                assert round(v, 4) == v, v
