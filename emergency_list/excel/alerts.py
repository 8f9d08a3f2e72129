"""An alert's record as a workbook (R-LIST-7, R-LIST-3, R-GUAR-4): 汇总 per county, city and
overall against the required share, 企业责任 per enterprise and process, and 预警信息. Every
cell goes through ``cells`` (text is never taken for a formula or an error code)."""

import contextlib
import os
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from emergency_list.excel.cells import safe_cell
from emergency_list.excel.layout import grouped_header
from emergency_list.models import Alert
from emergency_list.selectors import alert_duties_iter
from emergency_list.services.ratios import LABELS, POLLUTANTS


def _num(v) -> Decimal | None:
    return None if v in (None, "") else Decimal(str(v))


def alert_export(alert: Alert, out_path) -> Path:
    """The alert's record as a workbook: 汇总 (per county, city and overall, totals against
    the required share and the shortfall) and 企业责任 (per enterprise and process, the duty
    at the alert's level, read from the alert's duty rows in chunks, so memory stays flat)."""
    out_path = Path(out_path)
    wb = Workbook(write_only=True)
    try:
        _fill(alert, wb)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        wb.save(out_path)
    except BaseException:
        # openpyxl keeps each write-only sheet in a temporary file until the workbook is
        # saved; a failed export removes them and its partial file.
        discard_write_only(wb)
        out_path.unlink(missing_ok=True)
        raise
    return out_path


def discard_write_only(wb: Workbook) -> None:
    """Remove the temporary files of a write-only workbook that will not be saved."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
            with contextlib.suppress(OSError):
                os.remove(writer.out)


def _fill(alert: Alert, wb: Workbook) -> None:
    res = alert.results

    ws = wb.create_sheet("汇总")
    pol_cols = [
        "基准排放量（吨/日）",
        "减排量（吨/日）",
        "要求比例（%）",
        "达成比例（%）",
        "缺口（吨/日）",
    ]
    groups = [
        ("省辖市", ["省辖市"]),
        ("县（市、区）", ["县（市、区）"]),
        ("清单版本", ["企业数", "修订次数合计", "最后更新时间"]),
    ]
    groups += [(LABELS[p], pol_cols) for p in POLLUTANTS]
    groups.append(("是否达到要求", ["是否达到要求"]))
    widths = [12, 16, 9, 12, 20] + [12, 12, 10, 10, 11] * len(POLLUTANTS) + [12]
    grouped_header(ws, groups, widths, "C3")

    def pol_values(rows: list[dict]) -> list:
        by = {r["pollutant"]: r for r in rows}
        vals = []
        for p in POLLUTANTS:
            r = by.get(p, {})
            vals += [
                _num(r.get("baseline_td")),
                _num(r.get("cut_td")),
                _num(r.get("required_pct")),
                _num(r.get("achieved_pct")),
                _num(r.get("shortfall_td")),
            ]
        return vals

    def ok_text(rows: list[dict]) -> str:
        short = [r["label"] for r in rows if not r.get("ok")]
        return "达到" if not short else "未达到：" + "、".join(short)

    for city in res.get("cities", []):
        for c in (c for c in res.get("counties", []) if c["city_id"] == city["id"]):
            v = c["list_version"]
            row = [city["name"], c["name"], v["entries"], v["revisions"], v["max_updated_at"]]
            row += pol_values(c["pollutants"]) + [ok_text(c["pollutants"])]
            ws.append([safe_cell(ws, x) for x in row])
        row = [city["name"], "全市合计", city["entries"], None, None]
        row += pol_values(city["pollutants"]) + [ok_text(city["pollutants"])]
        ws.append([safe_cell(ws, x) for x in row])
    overall = res.get("overall", {})
    row = ["总计", "", overall.get("entries"), None, None]
    row += pol_values(overall.get("pollutants", [])) + [ok_text(overall.get("pollutants", []))]
    ws.append([safe_cell(ws, x) for x in row])

    ws = wb.create_sheet("企业责任")
    groups = [
        ("序号", ["序号"]),
        (
            "企业",
            ["省辖市", "县（市、区）", "企业名称", "绩效等级", "类别", "保障任务范围", "运输管控"],
        ),
        ("涉气工序及措施", ["生产线", "涉气工序", "措施", "比例（%）", "措施内容", "工序运输管控"]),
        ("减排量（吨/日）", [LABELS[p] for p in POLLUTANTS]),
    ]
    widths = [6, 10, 14, 30, 9, 14, 18, 26, 14, 14, 10, 8, 50, 26] + [10] * len(POLLUTANTS)
    grouped_header(ws, groups, widths, "E3")
    kinds = {
        "guarantee": "保障类",
        "power_plant": "电厂",
        "heating_boiler": "供暖锅炉",
        "small_micro": "小微涉气企业",
    }
    duties = alert_duties_iter(alert.duties.order_by("position"))
    for n, d in enumerate(duties, start=1):
        head = [
            n,
            d["city"],
            d["county"],
            d["name"],
            d["grade_name"],
            kinds.get(d["exempt"], ""),
            d["guarantee_scope"],
            d["transport_label"],
        ]
        procs = d["processes"] or [None]
        for pr in procs:
            if pr is None:
                tail = ["", "", "", None, "未登记涉气工序"] + [None] * 5
            else:
                tail = [
                    pr["line"],
                    pr["name"],
                    pr["action_label"],
                    _num(pr["ratio_pct"]),
                    pr["text"],
                    pr["transport_label"],
                ] + [_num(pr["cut"][p]) for p in POLLUTANTS]
            ws.append([safe_cell(ws, x) for x in head + tail])

    ws = wb.create_sheet("预警信息")
    info = [
        ("预警级别", res.get("level_label")),
        ("开始日期", res.get("start_on")),
        ("结束日期", res.get("end_on")),
        ("天数", alert.days),
        ("省辖市", "、".join(c["name"] for c in res.get("cities", []))),
        ("清单年度", res.get("year")),
        ("发布人", getattr(alert.called_by, "full_name", "") or str(alert.called_by)),
        ("测算时间", res.get("computed_at")),
        ("说明", alert.note),
    ]
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 60
    for k, v in info:
        ws.append([safe_cell(ws, k), safe_cell(ws, v)])
