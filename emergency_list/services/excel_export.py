"""The list as the workbook bureaus submit upward (R-LIST-1, R-LIST-2, R-LIST-5, R-LIST-7).

Sheet 工业源 has the columns of reference/domain.md §6(d): two header rows (group, column), one
row per enterprise and controlled process (R-LIST-2), the enterprise's cells merged over its
rows, and per process the measures of 红色, 橙色 and 黄色 alerts in the order city lists print
them. Sheet 汇总 counts the enterprises by industry and grade and checks the per-pollutant cuts
against the targets (R-LIST-7). Columns the platform does not hold (乡镇/街道, 排污许可证编号,
实际产量, 减排基准, 燃料) are kept in the layout and left empty.

Province scale (100,000 enterprises, ~400,000 rows) streams: openpyxl's write-only mode with
lxml; the database read in chunks of entries inside one REPEATABLE READ snapshot (rows, totals
and the summary agree even while counties edit), a second connection in the same snapshot
reading the next chunks while openpyxl writes; numbers read as floats; merged ranges kept as
two integer arrays and written as XML at the end. openpyxl's own ``ws.merged_cells`` is not
usable at this size: ``MultiCellRange.add`` checks every existing range (24,000 ranges took
214 s here) and each ``CellRange`` costs ~300 bytes. Above 10,000 enterprises only three
columns are merged (see ``merged_columns``). Measured (bench/export_province.py): the province
in ~210-230 s at ~180 MiB peak, the same time as openpyxl alone writing the same file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import batched
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, FilteredRelation, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange

from emergency_list.models import (
    PRINT_ORDER,
    Action,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    ListEntry,
    TransportRule,
)
from emergency_list.services.ratios import POLLUTANTS, ratio_check, units_of
from grading.models import Enterprise, Equipment, Region

SHEET_LIST = "工业源"
SHEET_SUMMARY = "汇总"
HEADER_ROWS = 2
UNGRADED = "未分级"
YES, NO = "是", "否"
EQUIPMENT_SEP, QUANTITY_SEP = "、", "×"
CHUNK = 2000  # entries per round trip to the database

POLLUTANT_LABELS = {"so2": "SO2", "nox": "NOx", "pm": "颗粒物", "vocs": "VOCs"}
LEVEL_GROUPS = {
    AlertLevel.RED: "红色预警减排措施",
    AlertLevel.ORANGE: "橙色预警减排措施",
    AlertLevel.YELLOW: "黄色预警减排措施",
}
LEVEL_NAMES = {
    AlertLevel.RED: "红色预警",
    AlertLevel.ORANGE: "橙色预警",
    AlertLevel.YELLOW: "黄色预警",
}
# 管控类型: the enterprises R-LIST-3 lists without forcing them to stop or limit.
CONTROL_POWER, CONTROL_HEATING, CONTROL_SMALL = "电厂", "供暖锅炉", "小微涉气企业"
CONTROL_SEP = "、"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    group: str
    width: float
    enterprise: bool = False  # one value per enterprise, merged over its rows
    number: bool = False
    stored: bool = True  # False: in the layout, not held by the platform


def _columns() -> tuple[Column, ...]:
    g1, g2, g3, g4, g9 = (
        "企业基本信息",
        "行业及管控类型",
        "涉气生产线、工序及设备",
        "年排放量（吨/年）",
        "运输管控及责任人",
    )
    cols = [
        Column("seq", "序号", g1, 6, enterprise=True, number=True),
        Column("city", "省辖市", g1, 10, enterprise=True),
        Column("county", "县（市、区）", g1, 12, enterprise=True),
        Column("town", "乡镇/街道", g1, 12, enterprise=True, stored=False),
        Column("name", "企业名称", g1, 30, enterprise=True),
        Column("uscc", "统一社会信用代码", g1, 21, enterprise=True),
        Column("permit", "排污许可证编号", g1, 20, enterprise=True, stored=False),
        Column("address", "详细地址", g1, 30, enterprise=True),
        Column("longitude", "经度", g1, 11, enterprise=True, number=True),
        Column("latitude", "纬度", g1, 11, enterprise=True, number=True),
        Column("gbt4754", "行业类别代码", g2, 12, enterprise=True),
        Column("industry", "所属重点行业", g2, 16, enterprise=True),
        Column("grade", "绩效等级", g2, 10, enterprise=True),
        Column("guarantee", "是否保障类", g2, 8, enterprise=True),
        Column("guarantee_scope", "保障任务范围", g2, 20, enterprise=True),
        Column("control", "管控类型", g2, 14, enterprise=True),
        Column("status", "生产状态", g2, 12, enterprise=True),
        Column("operating_days", "年生产天数", g2, 8, enterprise=True, number=True),
        Column("line", "生产线", g3, 16),
        Column("products", "主要产品", g3, 16),
        Column("capacity", "设计产能", g3, 10, number=True),
        Column("capacity_unit", "产能单位", g3, 8),
        Column("output", "实际产量（前一年）", g3, 10, number=True, stored=False),
        Column("basis", "减排基准", g3, 12, stored=False),
        Column("process", "涉气工序", g3, 14),
        Column("equipment", "主要设备", g3, 20),
        Column("fuel", "燃料类型及用量", g3, 14, stored=False),
    ]
    cols += [Column(p, POLLUTANT_LABELS[p], g4, 10, number=True) for p in POLLUTANTS]
    for level in PRINT_ORDER:
        g = LEVEL_GROUPS[level]
        cols += [
            Column(f"{level}_action", "措施类型", g, 10),
            Column(f"{level}_ratio", "停限产比例（%）", g, 9, number=True),
            Column(f"{level}_transport", "运输管控", g, 16),
            Column(f"{level}_text", "减排措施", g, 40),
        ]
        cols += [
            Column(f"{level}_{p}", f"{POLLUTANT_LABELS[p]}减排量（吨/日）", g, 11, number=True)
            for p in POLLUTANTS
        ]
    cols += [
        Column("bulk_transport", "大宗物料运输", g9, 8, enterprise=True),
        Column("transport_plan", "应急运输响应方案", g9, 24, enterprise=True),
        Column("gate_system", "门禁系统", g9, 8, enterprise=True),
        Column("responsible_person", "措施落实责任人", g9, 10, enterprise=True),
        Column("contact_mobile", "联系方式", g9, 13, enterprise=True),
        Column("note", "备注", g9, 20, enterprise=True),
    ]
    return tuple(cols)


COLUMNS = _columns()
COL = {c.key: i for i, c in enumerate(COLUMNS)}  # key → 0-based index
NCOL = len(COLUMNS)
ENTERPRISE_IDX = tuple(i for i, c in enumerate(COLUMNS) if c.enterprise)
_label_counts: dict[str, int] = {}
for _c in COLUMNS:
    _label_counts[_c.label] = _label_counts.get(_c.label, 0) + 1


def column_title(index: int) -> str:
    """The column's name as users read it: the label, with its group where the label repeats
    (``红色预警减排措施·措施类型``). Used in error reports."""
    c = COLUMNS[index]
    return c.label if _label_counts[c.label] == 1 else f"{c.group}·{c.label}"


def header_groups() -> list[tuple[str, int, int]]:
    """(group label, first index, last index) in column order."""
    out: list[tuple[str, int, int]] = []
    for i, c in enumerate(COLUMNS):
        if out and out[-1][0] == c.group:
            out[-1] = (c.group, out[-1][1], i)
        else:
            out.append((c.group, i, i))
    return out


# ---------------------------------------------------------------------------------------------
# Formula injection
# ---------------------------------------------------------------------------------------------

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")


def clean_text(value: str) -> str:
    """Control characters XML cannot carry are dropped (openpyxl would refuse the cell)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def safe_text(value, *, ws, alignment: Alignment | None = None):
    """A value as it must be written: a string that a spreadsheet could take for a formula
    (starting with = + - @, a tab, CR or LF) or an error code (#N/A) becomes a string cell
    (``data_type 's'``, an inline string in the XML, which Excel never evaluates) with the
    quote-prefix style, so that editing the cell in Excel or WPS keeps it text too. Excel shows
    the text exactly as written; prefixing an apostrophe instead would put the apostrophe into
    the data. Everything else, numbers included, is returned unchanged."""
    if not isinstance(value, str):
        return value
    if not value.isprintable() and ILLEGAL_CHARACTERS_RE.search(value):
        value = clean_text(value)
    if value[:1] in FORMULA_TRIGGERS or value in ERROR_CODES:
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        cell.quotePrefix = True
        if alignment is not None:
            cell.alignment = alignment
        return cell
    return value


# ---------------------------------------------------------------------------------------------
# Streaming merged ranges
# ---------------------------------------------------------------------------------------------


class StreamedMerges:
    """Merged ranges as integers: fixed ranges (the header) plus, per enterprise, its first and
    last row, merged in every enterprise column. 8 bytes per enterprise."""

    def __init__(self, columns: Iterable[int]) -> None:
        self.letters = [get_column_letter(i + 1) for i in columns]
        self.fixed: list[str] = []
        self.first = array("I")
        self.last = array("I")

    def add_fixed(self, ref: str) -> None:
        self.fixed.append(ref)

    def add_rows(self, first: int, last: int) -> None:
        if last > first:
            self.first.append(first)
            self.last.append(last)

    def __len__(self) -> int:
        return len(self.fixed) + len(self.first) * len(self.letters)

    def refs(self):
        yield from self.fixed
        letters = self.letters
        for a, b in zip(self.first, self.last, strict=True):
            for col in letters:
                yield f"{col}{a}:{col}{b}"


class _MergeStreamingWriter(WorksheetWriter):
    """openpyxl's worksheet writer, except that ``<mergeCells>`` is written one element at a
    time from ``StreamedMerges`` (the same protocol openpyxl uses to stream ``<sheetData>``)."""

    def __init__(self, ws, merges: StreamedMerges) -> None:
        super().__init__(ws)
        self.merges = merges

    def write_merged_cells(self) -> None:
        if not len(self.merges):
            return
        xf = self.xf.send(True)
        with xf.element("mergeCells", count=str(len(self.merges))):
            for ref in self.merges.refs():
                with xf.element("mergeCell", ref=ref):
                    pass
        self.xf.send(None)


# ---------------------------------------------------------------------------------------------
# The workbook
# ---------------------------------------------------------------------------------------------

THIN = Side(style="thin", color="808080")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
MERGED_ALIGN = Alignment(vertical="center", wrap_text=True)
TITLE_FONT = Font(bold=True, size=14)
FREEZE_AT = "F3"  # two header rows, and 序号 … 企业名称 stay in view


def header_cells(ws) -> list[list[Cell]]:
    """The two header rows as styled cells (row 1: groups, row 2: columns)."""

    def cell(value):
        c = WriteOnlyCell(ws, value)
        c.font, c.fill, c.alignment, c.border = (
            HEADER_FONT,
            HEADER_FILL,
            HEADER_ALIGN,
            HEADER_BORDER,
        )
        return c

    row1 = [cell(None) for _ in COLUMNS]
    for group, first, _last in header_groups():
        row1[first] = cell(group)
    row2 = [cell(c.label) for c in COLUMNS]
    return [row1, row2]


def sheet_setup(ws) -> None:
    """Widths, frozen panes and row heights: set before the first row is written."""
    for i, c in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = c.width
    ws.freeze_panes = FREEZE_AT
    ws.row_dimensions[2].height = 42


MERGE_ALL_UP_TO = 10_000  # enterprises
IDENTITY_KEYS = ("seq", "name", "uscc")


def merged_columns(n_enterprises: int) -> tuple[int, ...]:
    """The enterprise columns merged over each enterprise's rows: all of them for a county
    or a city; for more than 10,000 enterprises (the province) only 序号, 企业名称 and
    统一社会信用代码. 24 columns would be 2.4 million merged ranges: ~5 s more to write,
    ~85 MB more XML, and spreadsheet programs are slow with that many merges (not measured
    here). The other enterprise cells are then filled on the enterprise's first row only,
    exactly as inside a merged range, so the file reads back the same."""
    if n_enterprises <= MERGE_ALL_UP_TO:
        return ENTERPRISE_IDX
    return tuple(COL[k] for k in IDENTITY_KEYS)


class ListWorkbook:
    """Writes the 工业源 sheet one enterprise at a time and the 汇总 sheet at the end."""

    def __init__(self, path: Path | str, merged: tuple[int, ...] = ENTERPRISE_IDX) -> None:
        self.path = Path(path)
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(SHEET_LIST)
        self.summary = self.wb.create_sheet(SHEET_SUMMARY)
        self.merges = StreamedMerges(merged)
        for _group, first, last in header_groups():
            if last > first:
                self.merges.add_fixed(
                    f"{get_column_letter(first + 1)}1:{get_column_letter(last + 1)}1"
                )
        sheet_setup(self.ws)
        self.ws._writer = _MergeStreamingWriter(self.ws, self.merges)
        self.ws._writer.write_top()
        for row in header_cells(self.ws):
            self.ws.append(row)
        self.row = HEADER_ROWS
        # One reusable styled cell per merged column: the style is resolved once.
        self._ent_cells = {i: self._merged_cell() for i in merged}

    def _merged_cell(self) -> Cell:
        c = WriteOnlyCell(self.ws)
        c.alignment = MERGED_ALIGN
        return c

    def add_enterprise(self, enterprise: list, rows: list[list]) -> None:
        """``enterprise``: NCOL values of which the enterprise columns are used; ``rows``: one
        list of NCOL values per process (at least one row is written)."""
        rows = rows or [[None] * NCOL]
        first = rows[0]
        ws = self.ws
        styled = self._ent_cells
        for i in ENTERPRISE_IDX:
            v = enterprise[i]
            if v is None or v == "":
                continue
            cell = styled.get(i)
            if isinstance(v, str):
                v = safe_text(v, ws=ws, alignment=MERGED_ALIGN if cell is not None else None)
                if isinstance(v, Cell) or cell is None:
                    first[i] = v
                    continue
            if cell is None:
                first[i] = v
                continue
            cell.value = v
            first[i] = cell
        start = self.row + 1
        append = ws.append
        for row in rows:
            append(row)
        self.row += len(rows)
        self.merges.add_rows(start, self.row)

    def write_summary(self, rows: Iterable[list], merges: Iterable[str] = ()) -> None:
        ws = self.summary
        ws.column_dimensions["A"].width = 22
        for col in "BCDEFGHIJKLMN":
            ws.column_dimensions[col].width = 14
        for ref in merges:
            ws.merged_cells.add(CellRange(ref))
        for row in rows:
            ws.append(row)

    def save(self) -> None:
        self.wb.save(self.path)

    def abandon(self) -> None:
        """After a failure: close openpyxl's streams in order and remove its temporary files,
        so that nothing is left behind and nothing complains when collected."""
        for ws in (self.ws, self.summary):
            rows, writer = getattr(ws, "_rows", None), getattr(ws, "_writer", None)
            with contextlib.suppress(Exception):
                if rows is not None:
                    rows.close()
            with contextlib.suppress(Exception):
                if writer is not None:
                    writer.xf.close()
                    writer.out and os.path.exists(writer.out) and os.remove(writer.out)


def text_row_cells(ws, values: list, bold: bool = False) -> list:
    out = []
    for v in values:
        c = WriteOnlyCell(ws, v)
        if bold:
            c.font = HEADER_FONT
            c.fill = HEADER_FILL
            c.alignment = HEADER_ALIGN
        c.border = HEADER_BORDER
        out.append(c)
    return out


# ---------------------------------------------------------------------------------------------
# From the database
# ---------------------------------------------------------------------------------------------

# Numbers are read as float8: the cell text openpyxl writes is the same (it formats a Decimal
# through float with "%.16g", and numeric(14,4) has at most 14 significant digits), and both
# the driver and openpyxl handle floats several times faster.
_ENTRY_NUMBERS = {
    "f_longitude": "enterprise__longitude",
    "f_latitude": "enterprise__latitude",
    **{f"f_{p}_tpa": f"{p}_tpa" for p in POLLUTANTS},
}
_ENTRY_FIELDS = (
    "id",
    "county__name",
    "county__level",
    "county__parent__name",
    "enterprise__name",
    "enterprise__uscc",
    "enterprise__address",
    "f_longitude",
    "f_latitude",
    "main__industry__gbt4754",
    "main__industry__name",
    "grade__name",
    "graded",
    "is_guarantee",
    "guarantee_scope",
    "is_power_plant",
    "is_heating_boiler",
    "enterprise__is_small_micro",
    "enterprise__production_status",
    "operating_days",
    "bulk_transport",
    "transport_plan",
    "gate_system",
    "responsible_person",
    "contact_mobile",
    "note",
    *(f"f_{p}_tpa" for p in POLLUTANTS),
)
_MEASURE_FIELDS = ("action", "ratio_pct", "transport_rule", "text") + tuple(
    f"{p}_td" for p in POLLUTANTS
)
_MEASURE_NUMBERS = ("ratio_pct", *(f"{p}_td" for p in POLLUTANTS))
_LEVEL_ALIAS = {AlertLevel.RED: "m_red", AlertLevel.ORANGE: "m_orange", AlertLevel.YELLOW: "m_yel"}
_PROCESS_NUMBERS = {
    "f_capacity": "process__line__design_capacity",
    **{f"f_{p}_tpa": f"{p}_tpa" for p in POLLUTANTS},
    **{
        f"f_{_LEVEL_ALIAS[lv]}_{f}": f"{_LEVEL_ALIAS[lv]}__{f}"
        for lv in PRINT_ORDER
        for f in _MEASURE_NUMBERS
    },
}
_PROCESS_FIELDS = (
    "entry_id",
    "process_id",
    "process__name",
    "process__line__name",
    "process__line__products",
    "f_capacity",
    "process__line__capacity_unit",
    *(f"f_{p}_tpa" for p in POLLUTANTS),
    *(
        f"f_{_LEVEL_ALIAS[lv]}_{f}" if f in _MEASURE_NUMBERS else f"{_LEVEL_ALIAS[lv]}__{f}"
        for lv in PRINT_ORDER
        for f in _MEASURE_FIELDS
    ),
)


def _floats(fields: dict[str, str]) -> dict:
    return {alias: Cast(field, FloatField()) for alias, field in fields.items()}


def main_industry_relation() -> FilteredRelation:
    return FilteredRelation(
        "enterprise__industries", condition=Q(enterprise__industries__is_main=True)
    )


def entries_in(region: Region, year: int):
    """The list entries of a county, a city or the province."""
    return ListEntry.objects.filter(year=year, county__in=units_of(region))


def equipment_text(items: list[tuple[str, int]]) -> str:
    return EQUIPMENT_SEP.join(
        clean_text(name) + (f"{QUANTITY_SEP}{qty}" if qty != 1 else "") for name, qty in items
    )


class _Labels:
    """Chinese labels resolved once per export (lazy translations cost per call)."""

    def __init__(self) -> None:
        self.action = {v: str(label) for v, label in Action.choices}
        self.transport = {v: str(label) for v, label in TransportRule.choices}
        self.status = {v: str(label) for v, label in Enterprise.ProductionStatus.choices}


def _enterprise_values(e: tuple, seq: int, labels: _Labels) -> list:
    (
        _id,
        county,
        county_level,
        parent,
        name,
        uscc,
        address,
        lon,
        lat,
        gbt,
        industry,
        grade,
        graded,
        guarantee,
        scope,
        power,
        heating,
        small,
        status,
        days,
        bulk,
        plan,
        gate,
        person,
        mobile,
        note,
        *_baseline,
    ) = e
    control = CONTROL_SEP.join(
        label
        for flag, label in (
            (power, CONTROL_POWER),
            (heating, CONTROL_HEATING),
            (small, CONTROL_SMALL),
        )
        if flag
    )
    v: list = [None] * NCOL
    v[COL["seq"]] = seq
    v[COL["city"]] = county if county_level == Region.Level.CITY else parent
    v[COL["county"]] = county
    v[COL["name"]] = name
    v[COL["uscc"]] = uscc
    v[COL["address"]] = address
    v[COL["longitude"]] = lon
    v[COL["latitude"]] = lat
    v[COL["gbt4754"]] = gbt
    v[COL["industry"]] = industry
    v[COL["grade"]] = grade if graded else UNGRADED
    v[COL["guarantee"]] = YES if guarantee else NO
    v[COL["guarantee_scope"]] = scope
    v[COL["control"]] = control
    v[COL["status"]] = labels.status.get(status, status)
    v[COL["operating_days"]] = days
    v[COL["bulk_transport"]] = YES if bulk else NO
    v[COL["transport_plan"]] = plan
    v[COL["gate_system"]] = YES if gate else NO
    v[COL["responsible_person"]] = person
    v[COL["contact_mobile"]] = mobile
    v[COL["note"]] = note
    return v


_P_TPA = tuple(COL[p] for p in POLLUTANTS)
_LEVEL_COLS = tuple(
    (
        COL[f"{lv}_action"],
        COL[f"{lv}_ratio"],
        COL[f"{lv}_transport"],
        COL[f"{lv}_text"],
        tuple(COL[f"{lv}_{p}"] for p in POLLUTANTS),
    )
    for lv in PRINT_ORDER
)


def _process_row(p: tuple, equipment: str, labels: _Labels, ws) -> list:
    row: list = [None] * NCOL
    row[COL["line"]] = safe_text(p[3], ws=ws)
    row[COL["products"]] = safe_text(p[4], ws=ws) or None
    row[COL["capacity"]] = p[5]
    row[COL["capacity_unit"]] = safe_text(p[6], ws=ws) or None
    row[COL["process"]] = safe_text(p[2], ws=ws)
    row[COL["equipment"]] = safe_text(equipment, ws=ws) or None
    for k, idx in enumerate(_P_TPA):
        row[idx] = p[7 + k]
    base = 7 + len(POLLUTANTS)
    width = len(_MEASURE_FIELDS)
    for n, (c_action, c_ratio, c_transport, c_text, c_cuts) in enumerate(_LEVEL_COLS):
        m = p[base + n * width : base + (n + 1) * width]
        if m[0] is None:  # no measure at this level (should not happen; left empty)
            continue
        row[c_action] = labels.action.get(m[0], m[0])
        row[c_ratio] = m[1]
        row[c_transport] = labels.transport.get(m[2], m[2])
        row[c_text] = safe_text(m[3], ws=ws)
        for k, idx in enumerate(c_cuts):
            row[idx] = m[4 + k]
    return row


@dataclass
class Totals:
    baseline: dict[str, Decimal]
    cuts: dict[str, dict[str, Decimal]]


def list_totals(entries) -> Totals:
    """Per-pollutant sums of the entries' baseline (t/a; an entry's processes share it out)
    and of each level's cuts (t/d)."""
    base = entries.aggregate(**{p: Sum(f"{p}_tpa") for p in POLLUTANTS})
    cuts = {lv: dict.fromkeys(POLLUTANTS, Decimal(0)) for lv in AlertLevel.values}
    rows = (
        EntryMeasure.objects.filter(entry_process__entry__in=entries)
        .values("level")
        .annotate(**{p: Sum(f"{p}_td") for p in POLLUTANTS})
    )
    for r in rows:
        cuts[r["level"]] = {p: r[p] or Decimal(0) for p in POLLUTANTS}
    return Totals(baseline={p: base[p] or Decimal(0) for p in POLLUTANTS}, cuts=cuts)


def _summary_rows(ws, *, region: Region, year: int, entries, totals: Totals, n_processes: int):
    """The 汇总 sheet: scale, counts by industry and grade, totals, and the R-LIST-7 check."""
    rows: list[list] = []
    merges: list[str] = []
    rows.append([f"{region.name}{year}年重污染天气应急减排清单汇总"])
    merges.append("A1:H1")
    rows.append([f"生成时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
    rows.append([])
    stats = entries.aggregate(
        n=Count("id"),
        graded_n=Count("id", filter=Q(graded=True)),
        guarantee_n=Count("id", filter=Q(is_guarantee=True)),
        stopped_n=Count(
            "id", filter=Q(enterprise__production_status=Enterprise.ProductionStatus.STOPPED)
        ),
        new_n=Count("id", filter=Q(enterprise__production_status=Enterprise.ProductionStatus.NEW)),
    )
    rows.append(["一、清单规模"])
    rows.append(
        text_row_cells(
            ws,
            [
                "清单企业数",
                "管控工序数",
                "已分级企业",
                "未分级企业",
                "保障类企业",
                "停产（具备复产条件）",
                "新建",
            ],
            bold=True,
        )
    )
    rows.append(
        text_row_cells(
            ws,
            [
                stats["n"],
                n_processes,
                stats["graded_n"],
                stats["n"] - stats["graded_n"],
                stats["guarantee_n"],
                stats["stopped_n"],
                stats["new_n"],
            ],
        )
    )
    rows.append([])
    # Counts by industry and grade
    counts = (
        entries.annotate(main=main_industry_relation())
        .values(
            "main__industry__name",
            "main__industry__category__seq",
            "main__industry__seq",
            "grade__name",
            "grade__severity",
            "grade__code",
            "graded",
        )
        .annotate(n=Count("id"))
    )
    grades: dict[str, tuple] = {}
    table: dict[tuple, dict[str, int]] = {}
    for r in counts:
        g = r["grade__name"] if r["graded"] else UNGRADED
        if r["graded"]:
            grades[g] = (r["grade__severity"], r["grade__code"])
        key = (
            r["main__industry__category__seq"] or 0,
            r["main__industry__seq"] or 0,
            r["main__industry__name"] or "（未登记行业）",
        )
        table.setdefault(key, {})
        table[key][g] = table[key].get(g, 0) + r["n"]
    grade_cols = sorted(grades, key=lambda g: grades[g]) + [UNGRADED]
    rows.append(["二、按行业和绩效等级统计（企业数）"])
    rows.append(text_row_cells(ws, ["所属重点行业", *grade_cols, "合计"], bold=True))
    col_totals = dict.fromkeys(grade_cols, 0)
    for key in sorted(table):
        line = [table[key].get(g, 0) for g in grade_cols]
        for g, n in zip(grade_cols, line, strict=True):
            col_totals[g] += n
        rows.append(text_row_cells(ws, [key[2], *line, sum(line)]))
    rows.append(
        text_row_cells(
            ws, ["合计", *(col_totals[g] for g in grade_cols), sum(col_totals.values())], bold=True
        )
    )
    rows.append([])
    # Totals of the 工业源 sheet
    rows.append(["三、清单排放量及减排量合计"])
    rows.append(
        text_row_cells(
            ws,
            [
                "污染物",
                "年排放量（吨/年）",
                *(f"{LEVEL_NAMES[lv]}减排量（吨/日）" for lv in PRINT_ORDER),
            ],
            bold=True,
        )
    )
    for p in POLLUTANTS:
        rows.append(
            text_row_cells(
                ws,
                [
                    POLLUTANT_LABELS[p],
                    totals.baseline[p],
                    *(totals.cuts[lv][p] for lv in PRINT_ORDER),
                ],
            )
        )
    rows.append([])
    # R-LIST-7
    rows.append(["四、减排比例核算（预警期间减排量占日均排放量比例，对照减排比例要求）"])
    rows.append(
        text_row_cells(
            ws,
            [
                "预警级别",
                "污染物",
                "日均排放量（吨/日）",
                "减排量（吨/日）",
                "减排比例（%）",
                "要求比例（%）",
                "是否达标",
                "差额（吨/日）",
            ],
            bold=True,
        )
    )
    check = ratio_check(scope=region, year=year, entries=entries)
    for lv in PRINT_ORDER:
        for r in check[lv]:
            rows.append(
                text_row_cells(
                    ws,
                    [
                        LEVEL_NAMES[lv],
                        r.label,
                        r.baseline_td,
                        r.cut_td,
                        r.achieved_pct,
                        r.required_pct,
                        "达标" if r.ok else "未达标",
                        r.shortfall_td,
                    ],
                )
            )
    return rows, merges


def list_export(
    *,
    region: Region,
    year: int,
    out_path: Path | str,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = CHUNK,
    prefetch: bool = True,
) -> dict:
    """Write the list of ``region`` (a county, a city or the province) for ``year`` to
    ``out_path``; return ``{"enterprises", "rows", "processes", "sums"}`` where ``sums`` holds
    the per-pollutant totals of the baseline (t/a) and of each level's cuts (t/d) as written.
    ``progress(done, total)`` is called per chunk of enterprises. On any error the partial file
    is removed and the error raised.

    Run outside a transaction on PostgreSQL, everything is read in one REPEATABLE READ
    snapshot, and (``prefetch``) a second connection sharing that snapshot reads the next
    chunks while this thread writes, so the database's time overlaps openpyxl's."""
    out_path = Path(out_path)
    try:
        outermost = not connection.in_atomic_block
        with translation.override("zh-hans"), transaction.atomic():
            snapshot = None
            if outermost and connection.vendor == "postgresql":
                snapshot = _repeatable_read()  # inside a caller's transaction, its own rules
            return _export(region, year, out_path, progress, chunk, snapshot if prefetch else None)
    except BaseException:
        out_path.unlink(missing_ok=True)
        raise


def _repeatable_read() -> str:
    """Start this transaction's snapshot (the first statement) and export it."""
    with connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT pg_export_snapshot()")
        return cur.fetchone()[0]


def _chunks(region: Region, year: int, chunk: int):
    """(entries, their processes by entry, equipment by process), ``chunk`` entries at a time,
    in the list's order: county, enterprise name."""
    qs = (
        entries_in(region, year)
        .annotate(main=main_industry_relation(), **_floats(_ENTRY_NUMBERS))
        .order_by("county__code", "enterprise__name", "id")
        .values_list(*_ENTRY_FIELDS)
    )
    relations = {
        alias: FilteredRelation("measures", condition=Q(measures__level=lv))
        for lv, alias in _LEVEL_ALIAS.items()
    }
    for part in batched(qs.iterator(chunk_size=chunk), chunk):
        ids = [e[0] for e in part]
        procs: dict[int, list[tuple]] = {}
        for p in (
            EntryProcess.objects.filter(entry_id__in=ids)
            .annotate(**relations)
            .annotate(**_floats(_PROCESS_NUMBERS))
            .order_by("entry_id", "process__line_id", "process_id")
            .values_list(*_PROCESS_FIELDS)
        ):
            procs.setdefault(p[0], []).append(p)
        equipment: dict[int, list[tuple[str, int]]] = {}
        for pid, name, qty in (
            Equipment.objects.filter(process__list_uses__entry_id__in=ids)
            .order_by("process_id", "id")
            .values_list("process_id", "name", "quantity")
        ):
            equipment.setdefault(pid, []).append((name, qty))
        yield part, procs, equipment


_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _prefetched(region: Region, year: int, chunk: int, snapshot: str, depth: int = 2):
    """``_chunks`` read by a worker thread on its own connection, in the caller's snapshot,
    at most ``depth`` chunks ahead (memory stays bounded)."""
    out: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                for item in _chunks(region, year, chunk):
                    if not put(item):
                        return
            put(_DONE)
        except BaseException as exc:  # handed to the writing thread
            put(_Failed(exc))
        finally:
            connection.close()

    worker = threading.Thread(target=work, name="list-export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join()


def _export(region, year, out_path, progress, chunk, snapshot) -> dict:
    labels = _Labels()
    entries = entries_in(region, year)
    total = entries.count()
    book = ListWorkbook(out_path, merged=merged_columns(total))
    chunks = (
        _prefetched(region, year, chunk, snapshot) if snapshot else _chunks(region, year, chunk)
    )
    try:
        return _write(book, chunks, region, year, entries, total, labels, progress)
    except BaseException:
        book.abandon()
        raise
    finally:
        chunks.close()


def _write(book, chunks, region, year, entries, total, labels, progress) -> dict:
    ws = book.ws
    seq = n_rows = n_processes = 0
    for part, procs, equipment in chunks:
        for e in part:
            seq += 1
            mine = procs.get(e[0], ())
            rows = [
                _process_row(p, equipment_text(equipment.get(p[1], ())), labels, ws) for p in mine
            ]
            if not rows:  # on the list without air processes: its baseline, no measures
                row = [None] * NCOL
                for idx, value in zip(_P_TPA, e[-len(POLLUTANTS) :], strict=True):
                    row[idx] = value
                rows = [row]
            book.add_enterprise(_enterprise_values(e, seq, labels), rows)
            n_rows += len(rows)
            n_processes += len(mine)
        if progress:
            progress(seq, total)
    totals = list_totals(entries)
    summary, merges = _summary_rows(
        book.summary,
        region=region,
        year=year,
        entries=entries,
        totals=totals,
        n_processes=n_processes,
    )
    book.write_summary(summary, merges)
    book.save()
    if progress:
        progress(total, total)
    return {
        "enterprises": seq,
        "rows": n_rows,
        "processes": n_processes,
        "sums": {"baseline": totals.baseline, "cuts": totals.cuts},
    }


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
