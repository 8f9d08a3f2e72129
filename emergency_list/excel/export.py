"""The list as the workbook bureaus submit upward (R-LIST-1, R-LIST-2, R-LIST-5, R-LIST-7).

Sheet 工业源 has the columns of reference/domain.md §6(d) (``layout``): two header rows (group,
column), one row per enterprise and controlled process (R-LIST-2), the enterprise's cells
merged over its rows, and per process the measures of 红色, 橙色 and 黄色 alerts in the order
city lists print them. Sheet 汇总 counts the enterprises by industry and grade and checks the
per-pollutant cuts against the targets (R-LIST-7). Columns the platform does not hold
(乡镇/街道, 排污许可证编号, 实际产量, 减排基准, 燃料) are kept in the layout and left empty.

Province scale (100,000 enterprises, ~400,000 rows) streams: openpyxl's write-only mode with
lxml; the database read in chunks of entries inside one REPEATABLE READ snapshot (rows, totals
and the summary agree even while counties edit), a second connection in the same snapshot
reading the next chunks while openpyxl writes; numbers read as floats; merged ranges written
as XML at the end (``workbook``). Above 10,000 enterprises only three columns are merged (see
``layout.merged_columns``). Measured (bench/export_province.py): the province in ~210-230 s at
~180 MiB peak, the same time as openpyxl alone writing the same file.
"""

import hashlib
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from django.db import connection, transaction
from django.utils import translation

from emergency_list.excel.layout import merged_columns
from emergency_list.excel.rows import (
    CHUNK,
    Labels,
    enterprise_rows,
    enterprise_shares,
    enterprise_values,
    entries_in,
    read_chunks,
)
from emergency_list.excel.summary import list_totals, summary_rows
from emergency_list.excel.workbook import ListWorkbook
from grading.models import Region


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


_DONE = object()
#: ``progress`` is called every so many enterprises (and after each chunk): cheap for a caller
#: that keeps it in memory (core.jobs writes it off-thread), fine-grained enough to see move.
PROGRESS_EVERY = 100


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _prefetched(region: Region, year: int, chunk: int, snapshot: str, depth: int = 2):
    """``read_chunks`` read by a worker thread on its own connection, in the caller's snapshot,
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
                for item in read_chunks(region, year, chunk):
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
    labels = Labels()
    entries = entries_in(region, year)
    total = entries.count()
    book = ListWorkbook(out_path, merged=merged_columns(total))
    chunks = (
        _prefetched(region, year, chunk, snapshot) if snapshot else read_chunks(region, year, chunk)
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
    for part, procs, equipment, declared in chunks:
        for e in part:
            seq += 1
            mine = procs.get(e[0], ())
            mine_declared = declared.get(e[1])
            rows = enterprise_rows(e, mine, equipment, labels, ws, mine_declared)
            values = enterprise_values(e, seq, labels, mine_declared)
            enterprise_shares(values, e, rows)
            book.add_enterprise(values, rows)
            n_rows += len(rows)
            n_processes += len(mine)
            if progress and seq % PROGRESS_EVERY == 0:
                progress(seq, total)
        if progress:
            progress(seq, total)
    totals = list_totals(entries)
    summary, merges = summary_rows(
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
