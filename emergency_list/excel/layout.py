"""The layout of the list workbook (reference/domain.md §6(d)): the 工业源 sheet's columns in
two header rows (group, column), its styles and frozen panes, and the words the cells use.
The export writes this layout and the import reads it back, so the two agree by construction.
"""

from dataclasses import dataclass
from decimal import Decimal

from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.properties import PageSetupProperties

from emergency_list.excel.cells import safe_cell
from emergency_list.models import PRINT_ORDER, AlertLevel
from emergency_list.services.ratios import POLLUTANTS

SHEET_LIST = "工业源"
SHEET_SUMMARY = "汇总"
HEADER_ROWS = 2
PAPER_A3 = "8"  # OOXML paper size code
UNGRADED = "未分级"
YES, NO = "是", "否"
EQUIPMENT_SEP, QUANTITY_SEP = "、", "×"
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
    # False: filled from master data and the latest decided declaration (reference/domain.md
    # §6(d)); an import does not write them back.
    stored: bool = True


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
        Column("guarantee_category", "保障类类别", g2, 14, enterprise=True, stored=False),
        Column("guarantee_scope", "保障任务范围", g2, 20, enterprise=True),
        Column("control", "管控类型", g2, 14, enterprise=True),
        Column("status", "生产状态", g2, 12, enterprise=True),
        Column("operating_days", "年生产天数", g2, 8, enterprise=True, number=True),
        Column("line", "生产线", g3, 16),
        Column("products", "主要产品", g3, 16),
        Column("capacity", "设计产能", g3, 10, number=True),
        Column("capacity_unit", "产能单位", g3, 8),
        Column("output", "实际产量（前一年）", g3, 10, number=True, stored=False),
        Column("basis", "减排基准", g3, 18, stored=False),
        Column("process", "涉气工序", g3, 14),
        Column("process_industry", "工序所属行业", g3, 12, stored=False),
        Column("process_grade", "工序管控等级", g3, 8, stored=False),
        Column("equipment", "主要设备", g3, 20),
        Column("fuel", "燃料类型及用量", g3, 16, enterprise=True, stored=False),
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
            Column(
                f"{level}_{p}",
                f"{POLLUTANT_LABELS[p]}减排量（吨/日）",
                g,
                11,
                number=True,
            )
            for p in POLLUTANTS
        ]
        cols.append(
            Column(
                f"{level}_share",
                "企业减排比例（%）",
                g,
                9,
                enterprise=True,
                number=True,
                stored=False,
            )
        )
    cols += [
        Column("vehicles", "重型车辆数", g9, 8, enterprise=True, number=True, stored=False),
        Column("vehicle_stages", "车辆排放阶段", g9, 16, enterprise=True, stored=False),
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


# Styles

THIN = Side(style="thin", color="808080")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
HEADER_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
MERGED_ALIGN = Alignment(vertical="center", wrap_text=True)
FREEZE_AT = "F3"  # two header rows, and 序号 … 企业名称 stay in view


def header_style(cell: Cell) -> Cell:
    """Give a cell the header's look (bold, filled, centred, bordered)."""
    cell.font, cell.fill, cell.alignment, cell.border = (
        HEADER_FONT,
        HEADER_FILL,
        HEADER_ALIGN,
        HEADER_BORDER,
    )
    return cell


def header_cells(ws) -> list[list[Cell]]:
    """The two header rows as styled cells (row 1: groups, row 2: columns)."""
    row1 = [header_style(WriteOnlyCell(ws)) for _ in COLUMNS]
    for group, first, _last in header_groups():
        row1[first] = header_style(WriteOnlyCell(ws, group))
    row2 = [header_style(WriteOnlyCell(ws, c.label)) for c in COLUMNS]
    return [row1, row2]


def sheet_setup(ws) -> None:
    """Widths, frozen panes and row heights: set before the first row is written."""
    for i, c in enumerate(COLUMNS):
        ws.column_dimensions[get_column_letter(i + 1)].width = c.width
    ws.freeze_panes = FREEZE_AT
    ws.row_dimensions[2].height = 42


def print_setup(ws, *, title_rows: int = HEADER_ROWS) -> None:
    """The sheets are printed as bureaus print them: A3 landscape, all columns fitted to the
    page width (as many pages down as needed), the header rows repeated on every page. Set
    before the first row is written (write-only sheets write these properties first)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A3
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"


def autofilter_ref(last_row: int) -> str:
    """The 工业源 sheet's filter: on the column header row, down to the last row."""
    return f"A{HEADER_ROWS}:{get_column_letter(NCOL)}{max(last_row, HEADER_ROWS)}"


def number_format(value) -> str | None:
    """A Decimal's figure shown with exactly its places (tonnes 0.0000, shares 0.0)."""
    if isinstance(value, Decimal):
        places = -value.as_tuple().exponent
        return "0." + "0" * places if places > 0 else "0"
    return None


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


def text_row_cells(ws, values: list, bold: bool = False) -> list:
    """A bordered row of a summary table (styled as a header when ``bold``)."""
    out = []
    for v in values:
        c = header_style(safe_cell(ws, v)) if bold else safe_cell(ws, v)
        c.border = HEADER_BORDER
        fmt = number_format(v)
        if fmt:
            c.number_format = fmt
        out.append(c)
    return out


def grouped_header(
    ws, groups: list[tuple[str, list[str]]], widths: list[float], freeze: str
) -> None:
    """Two header rows of a write-only sheet from ``(group, [column, ...])``: a group of one
    column named like it spans both rows, a group of several spans their columns in row 1.
    Widths and frozen panes are set first (write-only sheets take them before any row)."""
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    top, sub, col = [], [], 1
    for name, cols in groups:
        alone = len(cols) == 1 and (cols[0] == name or not cols[0])
        for j, c in enumerate(cols):
            top.append(name if j == 0 else None)
            sub.append(None if alone else c)
        if alone:
            ws.merged_cells.add(CellRange(min_col=col, max_col=col, min_row=1, max_row=2))
        elif len(cols) > 1:
            ws.merged_cells.add(
                CellRange(min_col=col, max_col=col + len(cols) - 1, min_row=1, max_row=1)
            )
        col += len(cols)
    ws.freeze_panes = freeze
    for values in (top, sub):
        ws.append([header_style(safe_cell(ws, v)) for v in values])
