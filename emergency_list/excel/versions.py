"""The Excel file of what changed between two versions of a county's list (R-LIST-6): what the
county sends up to the city and the province after a round."""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from emergency_list.services.rounds import VersionChange

HEADERS = ("序号", "企业名称", "统一社会信用代码", "变化类型", "调整前", "调整后")
WIDTHS = (6, 36, 22, 14, 48, 48)


def version_diff_write(
    *, title: str, older: int, newer: int, changes: list[VersionChange], out_path: Path
) -> int:
    """Write the changes to ``out_path``; returns the number of rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "清单版本对比"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    headers = list(HEADERS)
    headers[4], headers[5] = f"调整前（第{older}版）", f"调整后（第{newer}版）"
    ws.append(headers)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for i, c in enumerate(changes, start=1):
        ws.append([i, c.enterprise, c.uscc, c.label, c.before, c.after])
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(HEADERS))}{max(2, len(changes) + 2)}"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(out_path)
    return len(changes)
