"""Benchmark: the province's emergency list in Excel, against openpyxl alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jixiao_bench \
        .venv/bin/python bench/export_province.py [--enterprises 100000] [--year 2026]

1. Migrates; seeds the enterprises if fewer exist (demo.services.enterprises_seed), the
   measure templates if none, and this year's list entries of every enterprise without one
   (emergency_list.services.bulk.entries_bulk_create), timing what it creates.
2. Child process A: ``list_export`` of the province (database, rows, styles, merged enterprise
   cells, 汇总 sheet) into a file; wall time and peak resident memory of that process.
3. Child process C reads A's cell values back (read-only openpyxl) into a stream of pickled
   rows. Child process B, "openpyxl alone": the same cell values in the same layout (two
   header rows, widths, frozen panes, the same styled enterprise cells, the same 汇总 rows)
   written by a write-only openpyxl workbook with no database, reading C's stream; only the
   writing is timed, and B's peak memory is the writer's (no reader of A's file in it).

Each measurement runs in its own process so the two peaks are separate (ru_maxrss of the
child). Prints both times, the ratio, both peaks, rows and file size.
"""

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Measure what production runs: DEBUG off (DEBUG keeps every query's SQL in memory).
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")


def peak_mib() -> float:
    """This process's own peak resident memory. VmHWM, not ru_maxrss: after fork and exec,
    Linux reports in ru_maxrss the larger of the child's peak and the parent's size at fork."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django() -> None:
    import django

    django.setup()


# --- child A: the service ----------------------------------------------------------------------


def child_export(out: str, year: int) -> dict:
    setup_django()
    from emergency_list.excel.export import list_export
    from grading.models import Region

    province = Region.objects.get(level=Region.Level.PROVINCE)
    started = time.perf_counter()
    result = list_export(region=province, year=year, out_path=out)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mib": peak_mib(),
        "rows": result["rows"],
        "enterprises": result["enterprises"],
    }


# --- child B: openpyxl alone ---------------------------------------------------------------------


def child_dump(source: str, dump: str, rows: int) -> dict:
    """Child C: read A's cell values back (read-only openpyxl) into a stream of pickled rows,
    so that B, the writer, is measured in a process that holds no reader."""
    setup_django()
    from openpyxl import load_workbook

    from emergency_list.excel.layout import HEADER_ROWS, SHEET_LIST, SHEET_SUMMARY

    src = load_workbook(source, read_only=True)
    n = 0
    with open(f"{dump}.list", "wb") as fh:
        source_rows = src[SHEET_LIST].iter_rows(min_row=HEADER_ROWS + 1, values_only=True)
        # islice: stop at the last row, before the reader parses A's <mergeCells>
        for values in islice(source_rows, rows):
            pickle.dump(values, fh)
            n += 1
    with open(f"{dump}.summary", "wb") as fh:
        pickle.dump([list(r) for r in src[SHEET_SUMMARY].iter_rows(values_only=True)], fh)
    src.close()
    return {"rows": n}


def _pickled_rows(path: str):
    with open(path, "rb") as fh:
        while True:
            try:
                yield pickle.load(fh)
            except EOFError:
                return


def child_baseline(source: str, out: str, rows: int, enterprises: int, merges: bool = True) -> dict:
    """Child B: the writer alone; ``source`` is C's dump, read as a stream (flat memory)."""
    setup_django()  # for the layout constants only; no query is made
    from openpyxl import Workbook
    from openpyxl.cell.cell import WriteOnlyCell
    from openpyxl.worksheet.cell_range import CellRange

    from emergency_list.excel.layout import (
        COL,
        HEADER_ROWS,
        MERGED_ALIGN,
        NCOL,
        SHEET_LIST,
        SHEET_SUMMARY,
        header_cells,
        header_groups,
        merged_columns,
        sheet_setup,
    )

    merged = merged_columns(enterprises)
    writing = 0.0
    t = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_LIST)
    summary = wb.create_sheet(SHEET_SUMMARY)
    sheet_setup(ws)
    ranges = ws.merged_cells.ranges  # a set: MultiCellRange.add is quadratic
    for _group, first, last in header_groups():
        if last > first:
            ranges.add(CellRange(min_col=first + 1, min_row=1, max_col=last + 1, max_row=1))
    for row in header_cells(ws):
        ws.append(row)
    styled = {}
    for i in merged:
        styled[i] = WriteOnlyCell(ws)
        styled[i].alignment = MERGED_ALIGN
    writing += time.perf_counter() - t

    def close_group(first_row: int, last_row: int) -> None:
        if merges and last_row > first_row:
            for i in merged:
                ranges.add(
                    CellRange(min_col=i + 1, min_row=first_row, max_col=i + 1, max_row=last_row)
                )

    uscc = COL["uscc"]
    n = 0
    group_start = None
    for values in _pickled_rows(f"{source}.list"):
        values = list(values) + [None] * (NCOL - len(values))
        t = time.perf_counter()
        row_number = HEADER_ROWS + 1 + n
        if values[uscc] is not None:
            if group_start is not None:
                close_group(group_start, row_number - 1)
            group_start = row_number
            for i, cell in styled.items():
                v = values[i]
                if v is not None:
                    cell.value = v
                    values[i] = cell
        ws.append(values)
        writing += time.perf_counter() - t
        n += 1
    with open(f"{source}.summary", "rb") as fh:
        summary_rows = pickle.load(fh)
    t = time.perf_counter()
    if group_start is not None:
        close_group(group_start, HEADER_ROWS + n)
    summary.merged_cells.ranges.add(CellRange("A1:H1"))
    for r in summary_rows:
        summary.append(r)
    wb.save(out)
    writing += time.perf_counter() - t
    return {"seconds": writing, "peak_mib": peak_mib(), "rows": n}


# --- parent ------------------------------------------------------------------------------------


def prepare(enterprises: int, year: int) -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from demo.services import enterprises_seed
    from emergency_list.models import ListEntry, MeasureTemplate
    from emergency_list.services.bulk import entries_bulk_create
    from emergency_list.services.measures import templates_load_all
    from grading.models import Enterprise, Region

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        call_command("load_reference", verbosity=0)
    have = Enterprise.objects.count()
    if have < enterprises:
        t = time.perf_counter()
        n = enterprises_seed(count=enterprises)
        print(f"seeded {n} enterprises in {time.perf_counter() - t:.1f} s")
    if not MeasureTemplate.objects.exists():
        templates_load_all()
    t = time.perf_counter()
    created = entries_bulk_create(year=year)
    if created:
        print(
            f"entries_bulk_create: {created} entries in {time.perf_counter() - t:.1f} s "
            f"(parent peak {peak_mib():.0f} MiB)"
        )
    # a database in service has been vacuumed by autovacuum (visibility map set: index-only
    # scans) and analysed; a freshly seeded one has not, and its plans would not be those
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"enterprises: {Enterprise.objects.count()}, "
        f"list entries {year}: {ListEntry.objects.filter(year=year).count()}"
    )


def run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=os.environ
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child {args[:2]} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--year", type=int, default=time.localtime().tm_year)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each")
    parser.add_argument("--child", choices=["export", "dump", "baseline"])
    parser.add_argument("--source")
    parser.add_argument("--out")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--count", type=int)
    parser.add_argument("--keep", action="store_true", help="keep the two workbooks")
    parser.add_argument("--no-merges", action="store_true", help="(child) write no merged ranges")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time openpyxl alone without the merged ranges (a floor, not the same file)",
    )
    args = parser.parse_args()
    if args.child == "export":
        print(json.dumps(child_export(args.out, args.year)))
        return
    if args.child == "dump":
        print(json.dumps(child_dump(args.source, args.out, args.rows)))
        return
    if args.child == "baseline":
        result = child_baseline(
            args.source, args.out, args.rows, args.count, merges=not args.no_merges
        )
        print(json.dumps(result))
        return
    prepare(args.enterprises, args.year)
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    service_file, plain_file = folder / "province.xlsx", folder / "openpyxl-alone.xlsx"
    dump_file = folder / "values"
    services, plains = [], []
    for n in range(1, args.rounds + 1):
        service = run_child(
            "--child", "export", "--out", str(service_file), "--year", str(args.year)
        )
        run_child(
            "--child",
            "dump",
            "--source",
            str(service_file),
            "--out",
            str(dump_file),
            "--rows",
            str(service["rows"]),
        )
        plain = run_child(
            "--child",
            "baseline",
            "--source",
            str(dump_file),
            "--out",
            str(plain_file),
            "--rows",
            str(service["rows"]),
            "--count",
            str(service["enterprises"]),
        )
        assert plain["rows"] == service["rows"], (plain["rows"], service["rows"])
        services.append(service)
        plains.append(plain)
        print(
            f"round {n}: list_export {service['seconds']:.1f} s (peak {service['peak_mib']:.0f}"
            f" MiB); openpyxl alone {plain['seconds']:.1f} s (peak {plain['peak_mib']:.0f} MiB)"
        )
        if args.floor:
            floor = run_child(
                "--child",
                "baseline",
                "--no-merges",
                "--source",
                str(dump_file),
                "--out",
                str(plain_file),
                "--rows",
                str(service["rows"]),
                "--count",
                str(service["enterprises"]),
            )
            print(
                f"round {n}: openpyxl alone without merged ranges {floor['seconds']:.1f} s "
                f"(peak {floor['peak_mib']:.0f} MiB): ratio "
                f"{service['seconds'] / floor['seconds']:.2f}x against this floor"
            )
    best_s = min(x["seconds"] for x in services)
    best_p = min(x["seconds"] for x in plains)
    print(f"rows: {services[0]['rows']} (enterprises {services[0]['enterprises']})")
    print(
        f"list_export (province): best {best_s:.1f} s, peak "
        f"{max(x['peak_mib'] for x in services):.0f} MiB, "
        f"file {service_file.stat().st_size / 2**20:.1f} MiB"
    )
    print(
        f"openpyxl alone:         best {best_p:.1f} s, peak "
        f"{max(x['peak_mib'] for x in plains):.0f} MiB, "
        f"file {plain_file.stat().st_size / 2**20:.1f} MiB"
    )
    print(
        f"ratio (best/best): {best_s / best_p:.2f}x; per round: "
        + ", ".join(
            f"{a['seconds'] / b['seconds']:.2f}x" for a, b in zip(services, plains, strict=True)
        )
        + " (goal <= 1.05x; the service's peak memory flat in the province size)"
    )
    if args.keep:
        print(f"files kept in {folder}")
    else:
        for f in (service_file, plain_file, *folder.glob("values.*")):
            f.unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    main()
