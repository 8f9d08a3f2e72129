"""The 汇总 sheet of the list export: the list's scale, the enterprises by industry and grade,
the totals of the 工业源 sheet, and the R-LIST-7 check of each level's cut against the target."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from emergency_list.excel.layout import LEVEL_NAMES, POLLUTANT_LABELS, UNGRADED, text_row_cells
from emergency_list.excel.rows import main_industry_relation
from emergency_list.models import PRINT_ORDER, AlertLevel, EntryMeasure
from emergency_list.services.arithmetic import tonnes
from emergency_list.services.ratios import POLLUTANTS, ratio_check
from grading.models import Enterprise, Region


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
        cuts[r["level"]] = {p: tonnes(r[p]) for p in POLLUTANTS}
    return Totals(baseline={p: tonnes(base[p]) for p in POLLUTANTS}, cuts=cuts)


def summary_rows(ws, *, region: Region, year: int, entries, totals: Totals, n_processes: int):
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
