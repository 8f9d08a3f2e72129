"""The list in Excel: the export bureaus submit upward, the county's import, and the hostile
files an upload can be (R-LIST-1, R-LIST-2, R-LIST-7, R-LIST-8)."""

import io
import threading
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from core.uploads import UploadRejected
from emergency_list.models import (
    PRINT_ORDER,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    EntryRevision,
    ExcelJob,
    ListEntry,
    ReductionTarget,
)
from emergency_list.services import excel_import
from emergency_list.services.entries import POLLUTANTS, entry_update, list_generate
from emergency_list.services.excel_export import (
    COL,
    COLUMNS,
    ENTERPRISE_IDX,
    HEADER_ROWS,
    NCOL,
    SHEET_LIST,
    SHEET_SUMMARY,
    UNGRADED,
    ListWorkbook,
    header_groups,
    list_export,
)
from emergency_list.services.excel_import import import_apply, import_validate
from emergency_list.services.jobs import export_request, import_confirm, import_upload
from grading.models import (
    Enterprise,
    Grade,
    GradeRecord,
    Industry,
    Region,
    User,
)
from grading.services.grades import grade_record_add
from grading.services.lines import equipment_save, process_save, production_line_save
from tests import factories

pytestmark = pytest.mark.django_db
YEAR = date.today().year
FORMULA_NAME = '=HYPERLINK("http://example.com/x","点击领取")有限公司'


# --- data ------------------------------------------------------------------------------------


def _lines(actor, ent, lines: dict[str, list[str]], *, air=True):
    main = ent.industries.get(is_main=True)
    for n, (line_name, processes) in enumerate(lines.items(), start=1):
        line = production_line_save(
            actor=actor,
            enterprise=ent,
            data={
                "name": line_name,
                "products": "产品",
                "design_capacity": Decimal(1000 * n),
                "capacity_unit": "吨/年",
                "industry": main,
            },
        )
        for name in processes:
            p = process_save(actor=actor, line=line, data={"name": name, "is_air_emitting": air})
            equipment_save(actor=actor, process=p, data={"name": f"{name}机", "quantity": 2})
            equipment_save(actor=actor, process=p, data={"name": f"{name}除尘器", "quantity": 1})


def _grade(actor, ent, industry, code):
    grade_record_add(
        actor=actor,
        enterprise=ent,
        industry=Industry.objects.get(code=industry),
        grade=Grade.objects.get(code=code),
        effective_from=date(YEAR, 1, 2),
        source=GradeRecord.Source.REVIEW,
    )


def seed_county(county: str = "410184") -> dict[str, Enterprise]:
    """A county's list with every kind of entry: graded in two industries' guides, ungraded,
    small-micro, stopped, new, guarantee class, a power plant, one without air processes and
    one whose name is a formula."""
    actor = factories.admin_user()
    made = {}

    def ent(key, industry, emissions, lines, grade=None, **fields):
        e = factories.enterprise(
            county=county, industry=industry, emissions=[emissions], name=key, **fields
        )
        _lines(actor, e, lines)
        if grade:
            _grade(actor, e, industry, grade)
        made[key] = e
        return e

    ent(
        "华豫彩印包装有限公司",
        "N31",
        {"nox_tpa": "1.2", "pm_tpa": "0.8", "vocs_tpa": "18.5"},
        {"1号凹版印刷线": ["凹版印刷", "复合", "烘干"], "2号柔版印刷线": ["柔版印刷"]},
        grade="B",
    )
    ent(
        "嵩岳水泥有限公司",
        "N15",
        {"so2_tpa": "40", "nox_tpa": "120.5", "pm_tpa": "30.25"},
        {"1号熟料线": ["原料破碎", "熟料烧成"]},
        grade="C",
    )
    ent(
        "金鼎机械制造有限公司",
        "GENERAL",
        {"vocs_tpa": "2.1", "pm_tpa": "0.3"},
        {"1号喷涂线": ["喷涂"]},
        is_small_micro=True,
    )
    ent(
        "太行铸业有限公司",
        "N06",
        {"so2_tpa": "3", "nox_tpa": "5", "pm_tpa": "12"},
        {"1号熔炼线": ["熔炼", "浇注"]},
        grade="D",
        production_status=Enterprise.ProductionStatus.STOPPED,
    )
    ent(
        "黄河新材料印务有限公司",
        "N31",
        {"vocs_tpa": "6"},
        {"1号印刷线": ["印刷"]},
        production_status=Enterprise.ProductionStatus.NEW,
    )
    ent(
        "伏牛热电有限公司",
        "N15",
        {"so2_tpa": "80", "nox_tpa": "90", "pm_tpa": "10"},
        {"1号锅炉": ["燃烧"]},
        grade="B",
    )
    ent(
        "天瑞仓储有限公司",
        "GENERAL",
        {"pm_tpa": "0.1"},
        {},
    )
    _lines(actor, made["天瑞仓储有限公司"], {"1号仓储线": ["装卸"]}, air=False)
    ent(FORMULA_NAME, "N31", {"vocs_tpa": "3.3"}, {"1号线": ["印刷", "烘干"]}, grade="C")
    county_user = factories.staff_user(User.Role.COUNTY, county)
    list_generate(actor=county_user, county=Region.objects.get(code=county), year=YEAR)
    entry = ListEntry.objects.get(year=YEAR, enterprise=made["伏牛热电有限公司"])
    entry_update(
        actor=county_user,
        entry=entry,
        data={
            "is_power_plant": True,
            "is_guarantee": True,
            "guarantee_scope": "城市集中供热",
            "bulk_transport": True,
            "transport_plan": "-错峰运输，禁止国四及以下车辆进出",
            "gate_system": True,
            "note": "@供热季",
        },
    )
    return made


def export(tmp_path, code="410184", name="list.xlsx") -> tuple[Path, dict]:
    path = tmp_path / name
    result = list_export(region=Region.objects.get(code=code), year=YEAR, out_path=path)
    return path, result


def sheet_rows(path: Path, sheet: str = SHEET_LIST) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(r) + (None,) * (NCOL - len(r)) for r in wb[sheet].iter_rows(values_only=True)]
    wb.close()
    return rows


def data_rows(path: Path) -> list[tuple]:
    return sheet_rows(path)[HEADER_ROWS:]


def county_entries(code="410184"):
    return ListEntry.objects.filter(year=YEAR, county__code=code)


def db_sums(code="410184") -> dict:
    entries = county_entries(code)
    base = entries.aggregate(**{p: Sum(f"{p}_tpa") for p in POLLUTANTS})
    out = {"baseline": {p: base[p] or Decimal(0) for p in POLLUTANTS}}
    for level in AlertLevel.values:
        cuts = EntryMeasure.objects.filter(entry_process__entry__in=entries, level=level).aggregate(
            **{p: Sum(f"{p}_td") for p in POLLUTANTS}
        )
        out[level] = {p: cuts[p] or Decimal(0) for p in POLLUTANTS}
    return out


def column_sum(rows, key) -> Decimal:
    return sum((Decimal(str(r[COL[key]])) for r in rows if r[COL[key]] is not None), Decimal(0))


def write_rows(path: Path, rows: list[list], out: Path) -> Path:
    """A copy of an exported file with its 工业源 data rows replaced (as a county would edit)."""
    src = openpyxl.load_workbook(path)
    ws = src[SHEET_LIST]
    for rng in [r for r in ws.merged_cells.ranges if r.min_row > HEADER_ROWS]:
        ws.unmerge_cells(str(rng))
    for r in range(HEADER_ROWS + 1, ws.max_row + 1):
        for c in range(1, NCOL + 1):
            ws.cell(r, c).value = None
    for i, row in enumerate(rows, start=HEADER_ROWS + 1):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(i, c)
            cell.value = v
            if isinstance(v, str) and v.startswith("=") and v != "=1+1":
                cell.data_type = "s"  # text that looks like a formula stays text, as in Excel
    src.save(out)
    return out


def empty_county(code: str) -> None:
    """Remove a county's list and enterprises (a county starting over)."""
    ents = Enterprise.objects.filter(county__code=code)
    ListEntry.objects.filter(enterprise__in=ents).delete()
    GradeRecord.objects.filter(enterprise__in=ents).delete()
    ents.delete()


# --- export ----------------------------------------------------------------------------------


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


def test_export_failure_leaves_no_file_and_a_failed_job(
    tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    calls = []
    original = ListWorkbook.add_enterprise

    def failing(self, enterprise, rows):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return original(self, enterprise, rows)

    monkeypatch.setattr(ListWorkbook, "add_enterprise", failing)
    user = factories.staff_user(User.Role.COUNTY, "410184")
    with django_capture_on_commit_callbacks(execute=True):
        job = export_request(actor=user, region=Region.objects.get(code="410184"), year=YEAR)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and not job.file
    assert "导出失败" in job.error and "未生成文件" in job.error
    exports = Path(settings.MEDIA_ROOT) / "list_exports"
    assert not exports.exists() or list(exports.iterdir()) == []
    # and a direct call removes its partial file as well
    out = tmp_path / "partial.xlsx"
    calls.clear()
    with pytest.raises(RuntimeError):
        list_export(region=Region.objects.get(code="410184"), year=YEAR, out_path=out)
    assert not out.exists()


def test_export_job_offers_the_file_only_when_complete(
    settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    user = factories.staff_user(User.Role.CITY, "410100")
    seen = []
    from emergency_list import tasks_excel

    real = tasks_excel._update

    def spy(job_pk, **fields):
        if "progress" in fields:
            seen.append((fields.get("status"), fields["progress"], fields.get("file")))
        real(job_pk, **fields)

    tasks_excel._update = spy
    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = export_request(actor=user, region=Region.objects.get(code="410100"), year=YEAR)
    finally:
        tasks_excel._update = real
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY and job.progress == 100
    assert job.rows == len(data_rows(Path(job.file.path)))
    from emergency_list.services.excel_export import file_sha256

    assert job.sha256 == file_sha256(job.file.path)
    assert job.finished_at is not None
    # no file was named before the last update; no temporary file is left next to it
    assert all(not f for _s, _p, f in seen[:-1]) and seen[-1][2] == job.file.name
    assert [p.name for p in Path(job.file.path).parent.iterdir()] == [Path(job.file.name).name]


def test_jurisdiction_of_exports_and_imports(county_user, other_county_user, city_user, tmp_path):
    county = Region.objects.get(code="410184")
    with pytest.raises(PermissionDenied):
        export_request(actor=other_county_user, region=county, year=YEAR)
    with pytest.raises(PermissionDenied):
        export_request(actor=county_user, region=Region.objects.get(code="410100"), year=YEAR)
    with pytest.raises(PermissionDenied):
        export_request(actor=city_user, region=Region.objects.get(code="410000"), year=YEAR)
    with pytest.raises(PermissionDenied):
        export_request(actor=city_user, region=Region.objects.get(code="410300"), year=YEAR)
    assert export_request(actor=city_user, region=county, year=YEAR).kind == "export"
    upload = SimpleUploadedFile("清单.xlsx", b"PK\x03\x04")
    with pytest.raises(PermissionDenied):
        import_upload(actor=other_county_user, county=county, year=YEAR, upload=upload)


# --- import ----------------------------------------------------------------------------------


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
    with pytest.raises(excel_import.ImportInvalid) as exc:
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
    assert any("R-LIST-8" in e["message"] for e in errs)  # weaker than the guide's 停产
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


def _workbook_bytes(tmp_path) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = SHEET_LIST
    wb.active.append(["x"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_entries(data: bytes, extra) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        replaced = {name for name, _ in extra}
        for info in src.infolist():
            if info.filename not in replaced:
                dst.writestr(info, src.read(info.filename))
        for name, payload in extra:
            if callable(payload):
                payload(dst, name)
            else:
                dst.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _never_parse(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not see this file")

    monkeypatch.setattr(excel_import.openpyxl, "load_workbook", refuse)


def test_zip_bombs_are_refused_before_parsing(tmp_path, monkeypatch):
    county = Region.objects.get(code="410184")
    base = _workbook_bytes(tmp_path)
    many = _with_entries(base, [(f"xl/media/pad{i}.bin", b"") for i in range(2001)])
    (tmp_path / "many.xlsx").write_bytes(many)

    def huge(dst, name):
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(201):
                fh.write(block)

    big = _with_entries(base, [("xl/media/big.bin", huge)])
    (tmp_path / "big.xlsx").write_bytes(big)
    assert len(big) < 2 * 1024 * 1024  # tiny upload, 201 MB expanded
    _never_parse(monkeypatch)
    for name, words in (("many.xlsx", "条目超过"), ("big.xlsx", "解压后总大小")):
        report = import_validate(county=county, year=YEAR, path=tmp_path / name)
        assert report["file_error_code"] == "zip_bomb" and words in report["file_error"]
        assert not report["ok"] and report["errors"] == []
    with pytest.raises(UploadRejected):  # and the upload itself is refused at the door
        import_upload(
            actor=factories.staff_user(User.Role.COUNTY, "410184"),
            county=county,
            year=YEAR,
            upload=SimpleUploadedFile("清单.xlsx", big),
        )
    assert not ExcelJob.objects.exists()


BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    "</sheetData></worksheet>"
)


def test_an_xml_bomb_is_refused_not_parsed(tmp_path, monkeypatch):
    county = Region.objects.get(code="410184")
    bomb = _with_entries(_workbook_bytes(tmp_path), [("xl/worksheets/sheet1.xml", BILLION_LAUGHS)])
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    # the first line: the DTD is seen in the archive, openpyxl never runs
    with monkeypatch.context() as m:
        _never_parse(m)
        report = import_validate(county=county, year=YEAR, path=path)
    assert report["file_error_code"] == "xml_bomb" and "XML" in report["file_error"]
    # the second line: defusedxml refuses the entities inside openpyxl itself
    assert openpyxl.DEFUSEDXML
    with pytest.raises((DefusedXmlException, ValueError)) as raised:
        wb = openpyxl.load_workbook(path, read_only=True)
        list(wb[SHEET_LIST].iter_rows(values_only=True))
    assert excel_import.refused_by_defusedxml(raised.value)
    assert isinstance(
        raised.value.__cause__ or raised.value.__context__ or raised.value, DefusedXmlException
    )
    # and with the first line switched off, the import still reports it cleanly
    monkeypatch.setattr(excel_import, "_declares_dtd", lambda fh: False)
    report = import_validate(county=county, year=YEAR, path=path)
    assert report["file_error_code"] == "xml_bomb" and not report["ok"]


def test_import_jobs_validate_then_import_on_confirmation(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county("410184")
    first, _ = export(tmp_path)
    empty_county("410184")
    county = Region.objects.get(code="410184")
    user = factories.staff_user(User.Role.COUNTY, "410184")
    upload = SimpleUploadedFile("新郑市清单.xlsx", first.read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(actor=user, county=county, year=YEAR, upload=upload)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.VALIDATED and job.report["ok"]
    assert job.report["original_name"] == "新郑市清单.xlsx"
    assert not ListEntry.objects.exists()  # validation writes nothing
    with pytest.raises(PermissionDenied):
        import_confirm(actor=factories.staff_user(User.Role.COUNTY, "410122"), job=job)
    with django_capture_on_commit_callbacks(execute=True):
        import_confirm(actor=user, job=job)
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.READY, job.error
    assert job.report["counts"]["entries_created"] == 8
    assert ListEntry.objects.filter(county=county, year=YEAR).count() == 8
    with pytest.raises(ValidationError):
        import_confirm(actor=user, job=job)  # only a validated upload, once


def test_an_invalid_upload_fails_validation_and_cannot_be_confirmed(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    seed_county()
    path, _ = export(tmp_path)
    rows = [list(r) for r in data_rows(path)]
    rows[0][COL["vocs"]] = -3
    bad = write_rows(path, rows, tmp_path / "bad.xlsx")
    user = factories.staff_user(User.Role.COUNTY, "410184")
    with django_capture_on_commit_callbacks(execute=True):
        job = import_upload(
            actor=user,
            county=Region.objects.get(code="410184"),
            year=YEAR,
            upload=SimpleUploadedFile("bad.xlsx", bad.read_bytes()),
        )
    job.refresh_from_db()
    assert job.status == ExcelJob.Status.FAILED and "1行有错误" in job.error
    assert job.report["errors"][0] == {
        "row": HEADER_ROWS + 1,
        "column": "VOCs",
        "message": "不能为负数",
    }
    with pytest.raises(ValidationError):
        import_confirm(actor=user, job=job)


def test_measures_print_red_orange_yellow():
    assert PRINT_ORDER == (AlertLevel.RED, AlertLevel.ORANGE, AlertLevel.YELLOW)


def test_province_scale_layout_merges_fewer_columns_and_reads_back_the_same(tmp_path, monkeypatch):
    """Above MERGE_ALL_UP_TO enterprises only 序号, 企业名称 and 统一社会信用代码 are merged; the
    other enterprise cells sit on the first row only, so the file imports the same way."""
    from emergency_list.services import excel_export

    seed_county()
    full, _ = export(tmp_path, name="full.xlsx")
    monkeypatch.setattr(excel_export, "MERGE_ALL_UP_TO", 2)
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
    from emergency_list.services import excel_export

    threads = []

    def broken(*args, **kwargs):
        threads.append(threading.current_thread().name)
        raise RuntimeError("connection lost")
        yield

    original = excel_export._chunks
    excel_export._chunks = broken
    try:
        with pytest.raises(RuntimeError, match="connection lost"):
            list_export(region=county, year=YEAR, out_path=tmp_path / "x.xlsx")
    finally:
        excel_export._chunks = original
    assert not (tmp_path / "x.xlsx").exists()
    assert threads == ["list-export-prefetch"]
