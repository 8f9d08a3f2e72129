"""A county's list imported from the workbook: round trips, idempotence, and every problem of a
file named by Excel row and column before anything is saved (R-LIST-1, R-LIST-2, R-LIST-8)."""

import openpyxl
import pytest

from emergency_list.excel.importing import ImportInvalid, import_apply, import_validate
from emergency_list.excel.layout import (
    COL,
    HEADER_ROWS,
    SHEET_LIST,
)
from emergency_list.models import (
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    EntryRevision,
    ListEntry,
)
from emergency_list.tests.excel_data import (
    YEAR,
    data_rows,
    db_sums,
    empty_county,
    export,
    seed_county,
    write_rows,
)
from grading.models import Enterprise, GradeRecord, Region, User
from tests import factories

pytestmark = pytest.mark.django_db


def test_round_trip_export_import_into_an_empty_county_export_again(tmp_path):
    """Export 新郑市, import the file into 中牟县 (empty; the enterprises re-registered there
    under new codes), export 中牟县: the same rows."""
    seed_county("410184")
    first, _ = export(tmp_path, "410184", "first.xlsx")
    rows = [list(r) for r in data_rows(first)]
    mapping = {}
    for n, r in enumerate(rows, start=1):
        if r[COL["uscc"]]:
            mapping[r[COL["uscc"]]] = factories.valid_uscc("410122", 5000 + n)
            r[COL["uscc"]] = mapping[r[COL["uscc"]]]
            r[COL["county"]] = "中牟县"
    moved = write_rows(first, rows, tmp_path / "moved.xlsx")
    county = Region.objects.get(code="410122")
    assert not Enterprise.objects.filter(county=county).exists()
    report = import_validate(county=county, year=YEAR, path=moved)
    assert report["ok"], report["errors"][:5]
    assert report["new_enterprises"] == 8
    actor = factories.staff_user(User.Role.COUNTY, "410122")
    counts = import_apply(actor=actor, county=county, year=YEAR, path=moved)
    assert counts["enterprises_created"] == counts["entries_created"] == 8
    again, _ = export(tmp_path, "410122", "again.xlsx")
    assert [list(r) for r in data_rows(again)] == rows
    assert db_sums("410122") == db_sums("410184")


def test_round_trip_after_the_county_starts_over(tmp_path):
    """Export, remove the county's enterprises and list, import the file, export: same file
    contents, codes included."""
    seed_county("410184")
    first, _ = export(tmp_path, "410184", "first.xlsx")
    before = data_rows(first)
    empty_county("410184")
    county = Region.objects.get(code="410184")
    actor = factories.staff_user(User.Role.COUNTY, "410184")
    import_apply(actor=actor, county=county, year=YEAR, path=first)
    again, _ = export(tmp_path, "410184", "again.xlsx")
    assert data_rows(again) == before
    kiln = Enterprise.objects.get(name="嵩岳水泥有限公司")
    assert kiln.overall_grade.code == "C"
    assert kiln.grade_records.get().source == GradeRecord.Source.IMPORT


def test_reimport_is_idempotent(tmp_path):
    seed_county()
    path, _ = export(tmp_path)
    county = Region.objects.get(code="410184")
    actor = factories.staff_user(User.Role.COUNTY, "410184")
    revisions = EntryRevision.objects.count()
    measures = set(EntryMeasure.objects.values_list("pk", flat=True))
    counts = import_apply(actor=actor, county=county, year=YEAR, path=path)
    assert counts["entries_unchanged"] == 8 and counts["enterprises_created"] == 0
    counts = import_apply(actor=actor, county=county, year=YEAR, path=path)
    assert counts["entries_unchanged"] == 8
    assert EntryRevision.objects.count() == revisions
    assert set(EntryMeasure.objects.values_list("pk", flat=True)) == measures
    # a stricter yellow measure in the file is imported once, as a county override
    rows = [list(r) for r in data_rows(path)]
    r = next(r for r in rows if r[COL["process"]] == "凹版印刷")
    r[COL["yellow_action"]], r[COL["yellow_ratio"]] = "限产", 20  # as strict as orange
    r[COL["yellow_text"]] = "黄色预警期间：限产20%。"
    edited = write_rows(path, rows, tmp_path / "edited.xlsx")
    assert import_apply(actor=actor, county=county, year=YEAR, path=edited)["entries_updated"] == 1
    assert import_apply(actor=actor, county=county, year=YEAR, path=edited)["entries_updated"] == 0
    m = EntryMeasure.objects.get(entry_process__process__name="凹版印刷", level=AlertLevel.YELLOW)
    assert m.is_override and m.action == "limit" and m.ratio_pct == 20
    assert EntryRevision.objects.count() == revisions + 1


def test_bad_file_reports_the_five_bad_rows_and_saves_nothing(tmp_path):
    made = seed_county()
    path, _ = export(tmp_path)
    rows = [list(r) for r in data_rows(path)]

    def first_row(name):
        return next(i for i, r in enumerate(rows) if r[COL["name"]] == name)

    bad = {}
    i = first_row("华豫彩印包装有限公司") + 1  # a continuation row: 复合
    rows[i][COL["so2"]] = -1.5
    bad[i] = ("SO2", "不能为负数")
    i = first_row("金鼎机械制造有限公司")
    code = rows[i][COL["uscc"]]
    rows[i][COL["uscc"]] = code[:-1] + ("0" if code[-1] != "0" else "1")
    bad[i] = ("统一社会信用代码", "校验位")
    i = first_row("太行铸业有限公司")
    rows[i][COL["industry"]] = "不存在的行业"
    bad[i] = ("所属重点行业", "不在重点行业名录")
    i = first_row("嵩岳水泥有限公司") + 1  # 熟料烧成
    rows[i][COL["red_so2"]] = rows[i][COL["so2"]]  # a year's emissions cut in one day
    bad[i] = ("红色预警减排措施·SO2减排量（吨/日）", "大于该工序日均排放量")
    i = first_row("黄河新材料印务有限公司")
    rows[i][COL["process"]] = "不存在的工序"
    bad[i] = ("涉气工序", "不是该企业登记的涉气工序")
    broken = write_rows(path, rows, tmp_path / "broken.xlsx")
    county = Region.objects.get(code="410184")
    before = (
        Enterprise.objects.count(),
        ListEntry.objects.count(),
        EntryProcess.objects.count(),
        EntryMeasure.objects.count(),
        EntryRevision.objects.count(),
        list(EntryMeasure.objects.order_by("pk").values_list("pk", "text", "so2_td")),
    )
    report = import_validate(county=county, year=YEAR, path=broken)
    excel_rows = {i + HEADER_ROWS + 1: v for i, v in bad.items()}
    assert not report["ok"] and report["file_error"] == ""
    assert report["error_rows"] == sorted(excel_rows)
    for err in report["errors"]:
        column, words = excel_rows[err["row"]]
        if err["column"] == column:
            assert words in err["message"]
    for row, (column, _words) in excel_rows.items():
        assert any(e["row"] == row and e["column"] == column for e in report["errors"])
    actor = factories.staff_user(User.Role.COUNTY, "410184")
    with pytest.raises(ImportInvalid) as exc:
        import_apply(actor=actor, county=county, year=YEAR, path=broken)
    assert exc.value.report["error_rows"] == sorted(excel_rows)
    after = (
        Enterprise.objects.count(),
        ListEntry.objects.count(),
        EntryProcess.objects.count(),
        EntryMeasure.objects.count(),
        EntryRevision.objects.count(),
        list(EntryMeasure.objects.order_by("pk").values_list("pk", "text", "so2_td")),
    )
    assert after == before
    assert Enterprise.objects.filter(pk__in=[e.pk for e in made.values()]).count() == 8


def test_r_list_8_import_refuses_a_measure_weaker_than_the_guide(tmp_path):
    seed_county()
    path, _ = export(tmp_path)
    rows = [list(r) for r in data_rows(path)]
    i = next(i for i, r in enumerate(rows) if r[COL["process"]] == "熟料烧成")
    rows[i][COL["red_action"]], rows[i][COL["red_ratio"]] = "限产", 10
    report = import_validate(
        county=Region.objects.get(code="410184"),
        year=YEAR,
        path=write_rows(path, rows, tmp_path / "weak.xlsx"),
    )
    errs = [e for e in report["errors"] if e["column"] == "红色预警减排措施·措施类型"]
    assert report["error_rows"] == [i + HEADER_ROWS + 1]
    assert any("地方措施只能从严" in e["message"] for e in errs)  # weaker than the guide's 停产
    assert any("不能弱于橙色" in e["message"] for e in errs)  # and than its own orange


def test_an_enterprise_of_another_county_is_refused_per_row(tmp_path):
    seed_county("410184")
    path, _ = export(tmp_path)
    rows = [list(r) for r in data_rows(path)]
    for r in rows:
        if r[COL["county"]]:
            r[COL["county"]] = "中牟县"
    moved = write_rows(path, rows, tmp_path / "moved.xlsx")
    report = import_validate(county=Region.objects.get(code="410122"), year=YEAR, path=moved)
    firsts = [i + HEADER_ROWS + 1 for i, r in enumerate(rows) if r[COL["uscc"]]]
    assert report["error_rows"] == firsts
    assert {e["message"] for e in report["errors"]} == {
        "该统一社会信用代码的企业已登记在其他县（市、区），不能列入本县清单"
    }


def test_formula_cells_in_an_upload_are_refused_per_row(tmp_path):
    seed_county()
    path, _ = export(tmp_path)
    rows = [list(r) for r in data_rows(path)]
    rows[1][COL["so2"]] = "=1+1"
    report = import_validate(
        county=Region.objects.get(code="410184"),
        year=YEAR,
        path=write_rows(path, rows, tmp_path / "formula.xlsx"),
    )
    assert report["error_rows"] == [HEADER_ROWS + 2]
    assert report["errors"][0]["column"] == "SO2" and "公式" in report["errors"][0]["message"]


def test_wrong_layout_and_not_a_workbook_are_refused(tmp_path):
    county = Region.objects.get(code="410184")
    wb = openpyxl.Workbook()
    wb.active.title = SHEET_LIST
    wb.active.append(["序号", "企业名称"])
    wb.save(tmp_path / "other.xlsx")
    report = import_validate(county=county, year=YEAR, path=tmp_path / "other.xlsx")
    assert report["file_error_code"] == "wrong_layout" and "表头" in report["file_error"]
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "nosheet.xlsx")
    report = import_validate(county=county, year=YEAR, path=tmp_path / "nosheet.xlsx")
    assert report["file_error_code"] == "wrong_layout" and "工业源" in report["file_error"]
    (tmp_path / "text.xlsx").write_text("企业名称,统一社会信用代码\n")
    report = import_validate(county=county, year=YEAR, path=tmp_path / "text.xlsx")
    assert report["file_error_code"] == "not_xlsx" and not report["ok"]
