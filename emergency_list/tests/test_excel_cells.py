"""One guard for every cell the platform writes: text a spreadsheet could take for a formula or
an error code is written as text, in the list export and in an alert's workbook alike."""

import datetime

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.cell.cell import Cell

from emergency_list.excel.alerts import alert_export
from emergency_list.excel.cells import is_formula_like, safe_cell, safe_text
from emergency_list.models import Alert, AlertDuty, AlertLevel
from grading.models import Region
from tests import factories

FORMULA_LIKE = ["=1+1", "+86 371", "-错峰运输", "@供热季", "\t制表", "\n换行", "#N/A", "#REF!"]
PLAIN = ["新郑水泥有限公司", "限产20%", "N/A", "#1号线", ""]


@pytest.fixture
def ws():
    return Workbook(write_only=True).create_sheet()


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_is_written_as_quoted_text(ws, text):
    assert is_formula_like(text)
    for cell in (safe_text(text, ws=ws), safe_cell(ws, text)):
        assert isinstance(cell, Cell)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


@pytest.mark.parametrize("value", [*PLAIN, 12.5, 0, None])
def test_other_values_are_left_as_they_are(ws, value):
    assert safe_text(value, ws=ws) == value
    assert safe_cell(ws, value).value == value


def test_characters_xml_cannot_carry_are_dropped(ws):
    assert safe_text("新郑\x00水泥\x1f", ws=ws) == "新郑水泥"
    cell = safe_text("=\x07SUM(A1)", ws=ws)
    assert cell.value == "=SUM(A1)" and cell.data_type == "s"


@pytest.mark.django_db
def test_an_alerts_workbook_keeps_an_error_code_as_text(tmp_path):
    day = datetime.date(2026, 1, 10)
    alert = Alert.objects.create(
        level=AlertLevel.RED,
        year=2026,
        start_on=day,
        end_on=day,
        called_by=factories.admin_user(),
        status=Alert.Status.READY,
        results={"level_label": "红色"},
    )
    county = Region.objects.get(code="410184")
    AlertDuty.objects.create(
        alert=alert,
        position=1,
        county=county,
        entry_id=1,
        revision=1,
        enterprise_id=1,
        name="#DIV/0!",
        city_name="郑州市",
        county_name=county.name,
        county_code=county.code,
        grade_code="D",
        grade_name="D级",
        is_power_plant=False,
        is_heating_boiler=False,
        is_small_micro=False,
        is_guarantee=False,
        bulk_transport=False,
    )
    book = openpyxl.load_workbook(alert_export(alert, tmp_path / "alert.xlsx"))
    cell = book["企业责任"]["D3"]
    assert (cell.value, cell.data_type) == ("#DIV/0!", "s")
