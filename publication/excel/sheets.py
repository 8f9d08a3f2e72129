"""One sheet of a list, streamed: title lines, a header row, the rows. Text a user typed is
written so that a spreadsheet never takes it for a formula (``emergency_list.excel.cells``)."""

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from emergency_list.excel.cells import safe_cell

THIN = Side(style="thin", color="888888")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(vertical="top", wrap_text=True)


def write_list(
    path: Path,
    *,
    sheet: str,
    title: str,
    lines: list[str],
    columns: list[tuple[str, int]],
    rows: Iterable[list],
) -> int:
    """Write a workbook of one sheet; answers the number of data rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for i, (_label, width) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    header_row = 2 + len(lines)
    ws.freeze_panes = f"A{header_row + 1}"
    head = safe_cell(ws, title)
    head.font = Font(bold=True, size=14)
    head.alignment = Alignment(horizontal="center")
    ws.append([head])
    for line in lines:
        ws.append([safe_cell(ws, line)])
    header = []
    for label, _width in columns:
        cell = safe_cell(ws, label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        header.append(cell)
    ws.append(header)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            cell = safe_cell(ws, "" if value is None else value)
            cell.border = BORDER
            cell.alignment = WRAP
            cells.append(cell)
        ws.append(cells)
        count += 1
    wb.save(path)
    return count
