"""Data for the Excel tests: a county's list with every kind of entry, its export, and edited
copies of the exported file (as a county would edit it)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from django.db.models import Sum
from django.utils import timezone

from emergency_list.excel.export import list_export
from emergency_list.excel.layout import COL, HEADER_ROWS, NCOL, SHEET_LIST
from emergency_list.models import AlertLevel, EntryMeasure, ListEntry
from emergency_list.services.entries import POLLUTANTS, entry_update, list_generate
from grading.models import Enterprise, Grade, GradeRecord, Industry, Region, User
from grading.services.grades import grade_record_add
from grading.services.lines import equipment_save, process_save, production_line_save
from tests import factories

YEAR = timezone.localdate().year
FORMULA_NAME = '=HYPERLINK("http://example.com/x","点击领取")有限公司'


# --- data ------------------------------------------------------------------------------------


def add_lines(actor, ent, lines: dict[str, list[str]], *, air=True):
    """Production lines with their processes (air-emitting unless ``air`` is false), each
    with two pieces of equipment."""
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


def record_grade(actor, ent, industry, code):
    """A reviewed grade of ``code`` for the enterprise's ``industry`` from 2 January."""
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
        add_lines(actor, e, lines)
        if grade:
            record_grade(actor, e, industry, grade)
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
    add_lines(actor, made["天瑞仓储有限公司"], {"1号仓储线": ["装卸"]}, air=False)
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
