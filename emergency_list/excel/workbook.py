"""The 工业源 and 汇总 sheets of the list export as a streamed workbook.

openpyxl's own ``ws.merged_cells`` is not usable at province scale: ``MultiCellRange.add``
checks every existing range (24,000 ranges took 214 s here) and each ``CellRange`` costs ~300
bytes. Merged ranges are kept instead as two integer arrays (``StreamedMerges``) and written as
XML at the end, the way openpyxl streams ``<sheetData>``.
"""

import contextlib
import os
from array import array
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.cell_range import CellRange

from emergency_list.excel.cells import safe_text
from emergency_list.excel.layout import (
    ENTERPRISE_IDX,
    HEADER_ROWS,
    MERGED_ALIGN,
    NCOL,
    SHEET_LIST,
    SHEET_SUMMARY,
    autofilter_ref,
    header_cells,
    header_groups,
    print_setup,
    sheet_setup,
)


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
        print_setup(self.ws)
        print_setup(self.summary, title_rows=0)
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
        self.ws.auto_filter.ref = autofilter_ref(self.row)
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
