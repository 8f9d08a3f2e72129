"""The list exported as the workbook bureaus submit upward: its rows, totals and summary, the
province-scale layout, reading ahead in one snapshot (R-LIST-1, R-LIST-2, R-LIST-7)."""

import threading
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import Sum

from emergency_list.excel import export as excel_export
from emergency_list.excel import layout
from emergency_list.excel.export import list_export
from emergency_list.excel.importing import import_validate
from emergency_list.excel.layout import (
    COL,
    COLUMNS,
    ENTERPRISE_IDX,
    HEADER_ROWS,
    NCOL,
    SHEET_LIST,
    SHEET_SUMMARY,
    UNGRADED,
    header_groups,
)
from emergency_list.models import (
    PRINT_ORDER,
    AlertLevel,
    EntryProcess,
    ListEntry,
    ReductionTarget,
)
from emergency_list.services.entries import POLLUTANTS
from emergency_list.tests.excel_data import (
    FORMULA_NAME,
    YEAR,
    column_sum,
    county_entries,
    data_rows,
    db_sums,
    export,
    seed_county,
    sheet_rows,
)
from grading.models import Region
from tests import factories

pytestmark = pytest.mark.django_db


def test_r_list_2_rows_are_the_enterprise_processes(tmp_path):
    """The Done-when export: two header rows, one row per enterprise and controlled process,
    enterprise cells merged, measures red → orange → yellow, frozen panes and widths."""
    seed_county()
    path, result = export(tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET_LIST, SHEET_SUMMARY]
    ws = wb[SHEET_LIST]
    row1 = [ws.cell(1, c + 1).value for c in range(NCOL)]
    row2 = [ws.cell(2, c + 1).value for c in range(NCOL)]
    assert row2 == [c.label for c in COLUMNS]
    for group, first, last in header_groups():
        assert row1[first] == group
        if last > first:
            assert f"{openpyxl.utils.get_column_letter(first + 1)}1" in {
                str(r).split(":")[0] for r in ws.merged_cells.ranges
            }
    levels = [g for g, _f, _l in header_groups() if "预警" in g]
    assert levels == ["红色预警减排措施", "橙色预警减排措施", "黄色预警减排措施"]
    assert ws.freeze_panes == "F3"
    assert ws.column_dimensions["E"].width == 30  # 企业名称
    assert ws["A2"].font.b and ws["A2"].alignment.wrap_text

    rows = data_rows(path)
    processes = EntryProcess.objects.filter(entry__in=county_entries())
    no_process = county_entries().exclude(processes__isnull=False).count()
    assert no_process == 1  # 天瑞仓储: on the list without air processes (R-LIST-1)
    assert len(rows) == processes.count() + no_process == result["rows"]
    listed = {
        (r[COL["uscc"]] or "", r[COL["line"]], r[COL["process"]]) for r in rows if r[COL["process"]]
    }
    assert len(listed) == processes.count()
    # every controlled process once, under its enterprise (continuation rows carry no USCC)
    current, seen = None, set()
    for r in rows:
        current = r[COL["uscc"]] or current
        if r[COL["process"]]:
            seen.add((current, r[COL["line"]], r[COL["process"]]))
    expected = {
        (ep.entry.enterprise.uscc, ep.process.line.name, ep.process.name)
        for ep in processes.select_related("entry__enterprise", "process__line")
    }
    assert seen == expected
    # merged enterprise cells over each enterprise's rows
    merged = {str(r) for r in ws.merged_cells.ranges}
    first = HEADER_ROWS + 1
    for entry in county_entries().order_by("enterprise__name"):
        n = max(entry.processes.count(), 1)
        if n > 1:
            for idx in ENTERPRISE_IDX:
                letter = openpyxl.utils.get_column_letter(idx + 1)
                assert f"{letter}{first}:{letter}{first + n - 1}" in merged
        first += n
    assert ws.cell(HEADER_ROWS + 1, COL["name"] + 1).alignment.vertical == "center"
    # the cement plant's kiln: C grade, N15 guide: red and orange stop, yellow stops 50%
    kiln = next(r for r in rows if r[COL["process"]] == "熟料烧成")
    assert kiln[COL["red_action"]] == "停产" and kiln[COL["orange_action"]] == "停产"
    assert kiln[COL["yellow_action"]] in ("停工序", "停产") and kiln[COL["yellow_ratio"]] == 50
    assert COL["red_action"] < COL["orange_action"] < COL["yellow_action"]
    wb.close()


def test_export_totals_equal_database_sums(tmp_path):
    seed_county()
    path, result = export(tmp_path)
    rows = data_rows(path)
    sums = db_sums()
    for p in POLLUTANTS:
        assert column_sum(rows, p) == sums["baseline"][p] == result["sums"]["baseline"][p]
        for level in AlertLevel.values:
            assert column_sum(rows, f"{level}_{p}") == sums[level][p]
            assert result["sums"]["cuts"][level][p] == sums[level][p]
    assert sums["baseline"]["so2"] > 0 and sums[AlertLevel.RED]["so2"] > 0
    # the processes share out their entries' baseline
    shares = EntryProcess.objects.filter(entry__in=county_entries()).aggregate(
        **{p: Sum(f"{p}_tpa") for p in POLLUTANTS}
    )
    for p in POLLUTANTS:
        assert column_sum([r for r in rows if r[COL["process"]]], p) == shares[p]


def test_r_list_1_every_enterprise_on_the_list_including_stopped_and_new(tmp_path):
    made = seed_county()
    factories.enterprise(county="410122", industry="N31", name="中牟县另一家企业")
    path, _result = export(tmp_path)
    rows = data_rows(path)
    names = [r[COL["name"]] for r in rows if r[COL["name"]]]
    assert sorted(names) == sorted(made)  # every enterprise of the county, nothing else
    status = {r[COL["name"]]: r[COL["status"]] for r in rows if r[COL["name"]]}
    assert status["太行铸业有限公司"] == "停产（具备复产条件）"
    assert status["黄河新材料印务有限公司"] == "新建"
    grade = {r[COL["name"]]: r[COL["grade"]] for r in rows if r[COL["name"]]}
    assert grade["黄河新材料印务有限公司"] == UNGRADED and grade["嵩岳水泥有限公司"] == "C级"
    control = {r[COL["name"]]: r[COL["control"]] for r in rows if r[COL["name"]]}
    assert control["伏牛热电有限公司"] == "电厂"
    assert control["金鼎机械制造有限公司"] == "小微涉气企业"
    # the enterprise without air processes is one row with no process
    storage = next(r for r in rows if r[COL["name"]] == "天瑞仓储有限公司")
    assert storage[COL["process"]] is None


def test_r_list_7_summary_checks_targets(tmp_path):
    seed_county()
    city = Region.objects.get(code="410100")
    ReductionTarget.objects.create(
        region=city,
        year=YEAR,
        level=AlertLevel.YELLOW,
        so2_pct=Decimal(99),
        nox_pct=Decimal(0),
        pm_pct=Decimal(0),
        vocs_pct=Decimal(0),
    )
    path, _result = export(tmp_path)
    rows = [r for r in sheet_rows(path, SHEET_SUMMARY)]
    text = [[c for c in r if c is not None] for r in rows]
    assert text[0][0] == f"新郑市{YEAR}年重污染天气应急减排清单汇总"
    # counts by industry and grade
    at = next(i for i, r in enumerate(text) if r and str(r[0]).startswith("二、"))
    header = text[at + 1]
    assert header[0] == "所属重点行业" and header[-1] == "合计" and UNGRADED in header
    table = {}
    i = at + 2
    while text[i] and text[i][0] != "合计":
        table[text[i][0]] = dict(zip(header[1:], text[i][1:], strict=True))
        i += 1
    assert table["包装印刷"]["B级"] == 1 and table["包装印刷"]["C级"] == 1
    assert table["包装印刷"][UNGRADED] == 1 and table["包装印刷"]["合计"] == 3
    assert table["水泥"]["C级"] == 1 and table["水泥"]["B级"] == 1
    assert text[i][-1] == county_entries().count() == 8
    # the R-LIST-7 check: yellow SO2 fails the city's 99%, the rest meet their targets
    at = next(i for i, r in enumerate(text) if r and str(r[0]).startswith("四、"))
    checks = {(r[0], r[1]): r for r in text[at + 2 : at + 2 + 12]}
    assert checks[("黄色预警", "SO2")][5] == 99 and checks[("黄色预警", "SO2")][6] == "未达标"
    assert checks[("黄色预警", "NOx")][6] == "达标"
    assert checks[("红色预警", "SO2")][5] == 30  # the 10/20/30 default elsewhere
    assert [k[0] for k in checks][::4] == ["红色预警", "橙色预警", "黄色预警"]
    # totals block equals the sheet's columns
    at = next(i for i, r in enumerate(text) if r and str(r[0]).startswith("三、"))
    so2 = text[at + 2]
    assert so2[0] == "SO2"
    assert Decimal(str(so2[1])) == column_sum(data_rows(path), "so2")


def test_export_of_a_city_and_of_the_province_covers_their_counties(tmp_path):
    seed_county("410184")
    seed_county("410122")
    _path, city = export(tmp_path, "410100", "city.xlsx")
    _path, province = export(tmp_path, "410000", "province.xlsx")
    n = ListEntry.objects.filter(year=YEAR).count()
    assert city["enterprises"] == province["enterprises"] == n == 16


def test_formula_injection_exports_as_text_and_numbers_stay_numbers(tmp_path):
    seed_county()
    path, _result = export(tmp_path)
    ws = openpyxl.load_workbook(path)[SHEET_LIST]
    name_cells = [ws.cell(r, COL["name"] + 1) for r in range(HEADER_ROWS + 1, ws.max_row + 1)]
    cell = next(c for c in name_cells if c.value == FORMULA_NAME)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK(")
    assert cell.quotePrefix  # Excel keeps it text when the cell is edited
    plan = next(
        ws.cell(r, COL["transport_plan"] + 1)
        for r in range(HEADER_ROWS + 1, ws.max_row + 1)
        if ws.cell(r, COL["transport_plan"] + 1).value
    )
    assert plan.data_type == "s" and plan.value.startswith("-错峰")
    number = ws.cell(cell.row, COL["vocs"] + 1)
    assert number.data_type == "n" and isinstance(number.value, int | float)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet  # no formula anywhere in the sheet


def test_measures_print_red_orange_yellow():
    assert PRINT_ORDER == (AlertLevel.RED, AlertLevel.ORANGE, AlertLevel.YELLOW)


def test_province_scale_layout_merges_fewer_columns_and_reads_back_the_same(tmp_path, monkeypatch):
    """Above MERGE_ALL_UP_TO enterprises only 序号, 企业名称 and 统一社会信用代码 are merged; the
    other enterprise cells sit on the first row only, so the file imports the same way."""
    seed_county()
    full, _ = export(tmp_path, name="full.xlsx")
    monkeypatch.setattr(layout, "MERGE_ALL_UP_TO", 2)
    slim, _ = export(tmp_path, name="slim.xlsx")
    assert data_rows(slim) == data_rows(full)
    merged = openpyxl.load_workbook(slim)[SHEET_LIST].merged_cells.ranges
    columns = {r.min_col - 1 for r in merged if r.min_row > HEADER_ROWS}
    assert columns == {COL["seq"], COL["name"], COL["uscc"]}
    county = Region.objects.get(code="410184")
    report = import_validate(county=county, year=YEAR, path=slim)
    assert report["ok"] and report["enterprises"] == 8


@pytest.mark.django_db(transaction=True)
def test_export_reads_ahead_on_a_second_connection_in_the_same_snapshot(reference_data, tmp_path):
    """Outside a transaction the export reads in a REPEATABLE READ snapshot that a second
    connection shares to read ahead; the file is the same as read in one thread."""
    seed_county()
    county = Region.objects.get(code="410184")
    ahead = tmp_path / "ahead.xlsx"
    plain = tmp_path / "plain.xlsx"
    result = list_export(region=county, year=YEAR, out_path=ahead, chunk=3)
    list_export(region=county, year=YEAR, out_path=plain, chunk=3, prefetch=False)
    assert data_rows(ahead) == data_rows(plain)
    assert result["enterprises"] == 8 and result["rows"] == len(data_rows(ahead))
    # a failure while reading ahead reaches the caller, and no file is left
    threads = []

    def broken(*args, **kwargs):
        threads.append(threading.current_thread().name)
        raise RuntimeError("connection lost")
        yield

    original = excel_export.read_chunks
    excel_export.read_chunks = broken
    try:
        with pytest.raises(RuntimeError, match="connection lost"):
            list_export(region=county, year=YEAR, out_path=tmp_path / "x.xlsx")
    finally:
        excel_export.read_chunks = original
    assert not (tmp_path / "x.xlsx").exists()
    assert threads == ["list-export-prefetch"]
