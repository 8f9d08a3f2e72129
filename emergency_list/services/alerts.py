"""Alert simulation (R-LIST-3, R-LIST-7, R-LIST-8, R-GUAR-4): province or city staff call an alert
of a level for some cities and dates; the system works out each enterprise's duty at that level,
the cut per pollutant and county against the required share, and keeps the result together with
the list revision it was computed from, so a past alert stays readable after the list changes."""

import datetime
import math
from collections.abc import Iterator
from decimal import Decimal
from html import escape
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from emergency_list.models import (
    Action,
    Alert,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    ListEntry,
    TransportRule,
)
from emergency_list.services.entries import exempt_reason
from emergency_list.services.ratios import (
    LABELS,
    POLLUTANTS,
    PollutantResult,
    ratio_check,
    required_pct,
    units_of,
)
from grading.models import Region, User

MAX_DAYS = 30
# Above this many enterprises the stored record keeps the totals and only the first duties; the
# page and the export read the rest live from the list (alert_duties).
DUTY_LIMIT = 20_000
Q1 = Decimal("0.1")
Q4 = Decimal("0.0001")
ZERO = Decimal(0)
TRANSPORT_RANK = {
    TransportRule.NONE: 0,
    TransportRule.BAN_HEAVY_LE_CN4: 1,
    TransportRule.STOP_ROAD: 2,
}


# ---------------------------------------------------------------------------------------------
# Calling an alert


def _check_actor(actor: User, cities: list[Region]) -> None:
    """Province staff call alerts for the cities of their province, city staff for their own
    city only."""
    if actor.is_superuser or actor.role == User.Role.ADMIN:
        return
    if actor.role == User.Role.PROVINCE and actor.region_id:
        outside = [c.name for c in cities if c.parent_id != actor.region_id]
        if outside:
            raise PermissionDenied(
                _("只能对本省的省辖市发布预警：%s不在本省范围内") % "、".join(outside)
            )
        return
    if actor.role == User.Role.CITY and actor.region_id:
        others = [c.name for c in cities if c.pk != actor.region_id]
        if others:
            raise PermissionDenied(
                _("市级生态环境部门只能对本市发布预警，不能对%s发布") % "、".join(others)
            )
        return
    raise PermissionDenied(_("只有省、市生态环境部门可以发布预警"))


def _validate(
    *, level: str, cities: list[Region], start_on: datetime.date, end_on: datetime.date
) -> None:
    errors: dict[str, str] = {}
    if level not in AlertLevel.values:
        errors["level"] = _("预警级别应为黄色、橙色或红色")
    if not cities:
        errors["cities"] = _("请选择预警范围内的省辖市")
    else:
        wrong = [c.name for c in cities if c.level != Region.Level.CITY]
        if wrong:
            errors["cities"] = _("预警范围应为省辖市级单位：%s不是") % "、".join(wrong)
    if start_on > end_on:
        errors["end_on"] = _("结束日期不能早于开始日期")
    elif (end_on - start_on).days + 1 > MAX_DAYS:
        errors["end_on"] = _("预警时段不能超过%d天") % MAX_DAYS
    if errors:
        raise ValidationError(errors)


def _pct(cut: Decimal, base: Decimal) -> Decimal:
    return (cut / base * 100).quantize(Q1) if base else ZERO


def _row(r: PollutantResult) -> dict:
    return {
        "pollutant": r.pollutant,
        "label": r.label,
        "baseline_td": str(r.baseline_td),
        "cut_td": str(r.cut_td),
        "required_pct": str(r.required_pct),
        "required_td": str(r.required_td),
        "achieved_pct": str(r.achieved_pct),
        "shortfall_td": str(r.shortfall_td),
        "ok": r.ok,
    }


def _sum_rows(rows_list: list[list[dict]], required: dict[str, Decimal] | None) -> list[dict]:
    """Totals of several scopes' rows; the required share is the scope's own setting when
    given, else the share the summed requirements make of the summed baseline."""
    out = []
    for p in POLLUTANTS:
        rows = [r for rows in rows_list for r in rows if r["pollutant"] == p]
        base = sum((Decimal(r["baseline_td"]) for r in rows), ZERO)
        cut = sum((Decimal(r["cut_td"]) for r in rows), ZERO)
        need = sum((Decimal(r["required_td"]) for r in rows), ZERO)
        pct = required[p] if required is not None else _pct(need, base)
        short = max(need - cut, ZERO)
        out.append(
            {
                "pollutant": p,
                "label": LABELS[p],
                "baseline_td": str(base),
                "cut_td": str(cut),
                "required_pct": str(pct),
                "required_td": str(need),
                "achieved_pct": str(_pct(cut, base)),
                "shortfall_td": str(short),
                "ok": short == 0,
            }
        )
    return out


def _list_versions(*, year: int, counties: list[Region]) -> dict[int, dict]:
    """Which state of the list a result was computed from, per county."""
    rows = (
        ListEntry.objects.filter(year=year, county__in=counties)
        .values("county")
        .annotate(n=Count("id"), revisions=Sum("revision"), last=Max("updated_at"))
    )
    found = {r["county"]: r for r in rows}
    out = {}
    for c in counties:
        r = found.get(c.pk)
        out[c.pk] = {
            "entries": r["n"] if r else 0,
            "revisions": int(r["revisions"] or 0) if r else 0,
            "max_updated_at": r["last"].isoformat() if r and r["last"] else None,
        }
    return out


def _entries_for(*, counties, year: int, level: str):
    """The entries of ``counties`` with their processes and the measure at ``level``."""
    measures = EntryMeasure.objects.filter(level=level)
    processes = EntryProcess.objects.select_related("process", "process__line").prefetch_related(
        Prefetch("measures", queryset=measures, to_attr="at_level")
    )
    return (
        ListEntry.objects.filter(year=year, county__in=counties)
        .select_related("enterprise", "county", "county__parent", "grade")
        .prefetch_related(Prefetch("processes", queryset=processes))
        .order_by("county__code", "enterprise__name", "id")
    )


def _exempt_kind(entry: ListEntry) -> str:
    if entry.is_guarantee:
        return "guarantee"
    if entry.is_power_plant:
        return "power_plant"
    if entry.is_heating_boiler:
        return "heating_boiler"
    if entry.enterprise.is_small_micro:
        return "small_micro"
    return ""


def _duty(entry: ListEntry, level: str) -> dict:
    """One enterprise's duty at ``level``: per controlled process the action, ratio, text,
    transport rule and cut per day. Exempt entries (R-LIST-3) keep only transport controls;
    a guarantee-class entry produces within its guarantee scope only (R-GUAR-4)."""
    processes = []
    totals = dict.fromkeys(POLLUTANTS, ZERO)
    transport = TransportRule.NONE
    for ep in entry.processes.all():
        m = ep.at_level[0] if ep.at_level else None
        if m is None:
            processes.append(
                {
                    "process": ep.process_id,
                    "name": ep.process.name,
                    "line": ep.process.line.name,
                    "action": "",
                    "action_label": _("未设定"),
                    "ratio_pct": "0",
                    "text": _("本级别未生成措施"),
                    "transport_rule": TransportRule.NONE,
                    "transport_label": "",
                    "override": False,
                    "cut": dict.fromkeys(POLLUTANTS, "0"),
                }
            )
            continue
        cut = {p: getattr(m, f"{p}_td") for p in POLLUTANTS}
        for p in POLLUTANTS:
            totals[p] += cut[p]
        if TRANSPORT_RANK.get(m.transport_rule, 0) > TRANSPORT_RANK[transport]:
            transport = TransportRule(m.transport_rule)
        processes.append(
            {
                "process": ep.process_id,
                "name": ep.process.name,
                "line": ep.process.line.name,
                "action": m.action,
                "action_label": str(Action(m.action).label),
                "ratio_pct": str(m.ratio_pct),
                "text": m.text,
                "transport_rule": m.transport_rule,
                "transport_label": ""
                if m.transport_rule == TransportRule.NONE
                else str(TransportRule(m.transport_rule).label),
                "override": m.is_override,
                "cut": {p: str(v) for p, v in cut.items()},
            }
        )
    kind = _exempt_kind(entry)
    county = entry.county
    city = county.parent if county.level == Region.Level.COUNTY else county
    return {
        "entry": entry.pk,
        "revision": entry.revision,
        "enterprise": entry.enterprise_id,
        "name": entry.enterprise.name,
        "city": city.name if city else "",
        "county": county.name,
        "county_code": county.code,
        "grade": entry.grade.code,
        "grade_name": entry.grade.name,
        "flags": {
            "power_plant": entry.is_power_plant,
            "heating_boiler": entry.is_heating_boiler,
            "small_micro": entry.enterprise.is_small_micro,
            "guarantee": entry.is_guarantee,
            "guarantee_scope": entry.guarantee_scope,
            "bulk_transport": entry.bulk_transport,
        },
        "exempt": kind,
        "exempt_text": exempt_reason(entry) if kind else "",
        "guarantee_scope": entry.guarantee_scope if entry.is_guarantee else "",
        "transport_rule": transport,
        "transport_label": "" if transport == TransportRule.NONE else str(transport.label),
        "processes": processes,
        "cut": {p: str(v) for p, v in totals.items()},
    }


def _counties_of(cities: list[Region]) -> list[tuple[Region, list[Region]]]:
    return [(city, list(units_of(city).order_by("code"))) for city in cities]


def alert_call(
    *,
    actor: User,
    level: str,
    cities: list[Region],
    start_on: datetime.date,
    end_on: datetime.date,
    year: int,
    note: str = "",
) -> Alert:
    """Call (or simulate) an alert of ``level`` for ``cities`` from ``start_on`` to ``end_on``
    using the list of ``year``. Stores in ``Alert.results``: per county the totals per pollutant
    against the required share (R-LIST-7, the same numbers as ``ratio_check``), the list revision
    they came from, totals per city and overall, and each enterprise's duty at that level
    (R-LIST-3, R-LIST-8, R-GUAR-4) up to ``DUTY_LIMIT`` enterprises."""
    cities = list({c.pk: c for c in cities}.values())
    _validate(level=level, cities=cities, start_on=start_on, end_on=end_on)
    _check_actor(actor, cities)
    outer = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            # One snapshot for every query below: totals and duties describe the same list.
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _call(
            actor=actor,
            level=level,
            cities=cities,
            start_on=start_on,
            end_on=end_on,
            year=year,
            note=note,
        )


def _call(*, actor, level, cities, start_on, end_on, year, note) -> Alert:
    days = (end_on - start_on).days + 1
    city_units = _counties_of(cities)
    all_units = [u for _city, units in city_units for u in units]
    versions = _list_versions(year=year, counties=all_units)
    counties_out, cities_out, shortfalls = [], [], []
    for city, units in city_units:
        county_rows = []
        for unit in units:
            rows = [_row(r) for r in ratio_check(scope=unit, year=year)[level]]
            county_rows.append(rows)
            short = [r for r in rows if not r["ok"]]
            for r in short:
                shortfalls.append(
                    {
                        "city": city.name,
                        "county": unit.name,
                        "county_code": unit.code,
                        "pollutant": r["pollutant"],
                        "label": r["label"],
                        "required_pct": r["required_pct"],
                        "achieved_pct": r["achieved_pct"],
                        "shortfall_td": r["shortfall_td"],
                    }
                )
            counties_out.append(
                {
                    "id": unit.pk,
                    "code": unit.code,
                    "name": unit.name,
                    "city_id": city.pk,
                    "city": city.name,
                    "pollutants": rows,
                    "ok": not short,
                    "list_version": versions[unit.pk],
                }
            )
        req = required_pct(scope=city, year=year, level=level)
        cities_out.append(
            {
                "id": city.pk,
                "code": city.code,
                "name": city.name,
                "counties": [u.code for u in units],
                "entries": sum(versions[u.pk]["entries"] for u in units),
                "pollutants": _sum_rows(county_rows, req),
            }
        )
    overall_rows = _sum_rows([c["pollutants"] for c in cities_out], None)
    for r in overall_rows:  # what the whole alert takes off over its days, in tonnes
        r["cut_period_t"] = str(Decimal(r["cut_td"]) * days)
    entries = _entries_for(counties=all_units, year=year, level=level)
    total = sum(v["entries"] for v in versions.values())
    duties, exempt = [], {"guarantee": 0, "power_plant": 0, "heating_boiler": 0, "small_micro": 0}
    for entry in entries.iterator(chunk_size=2000):
        kind = _exempt_kind(entry)
        if kind:
            exempt[kind] += 1
        if len(duties) < DUTY_LIMIT:
            duties.append(_duty(entry, level))
    truncated = total > len(duties)
    results = {
        "schema": 1,
        "level": level,
        "level_label": str(AlertLevel(level).label),
        "year": year,
        "start_on": start_on.isoformat(),
        "end_on": end_on.isoformat(),
        "days": days,
        "computed_at": timezone.now().isoformat(),
        "counties": counties_out,
        "cities": cities_out,
        "overall": {
            "entries": total,
            "counties": len(counties_out),
            "counties_short": len({s["county_code"] for s in shortfalls}),
            "pollutants": overall_rows,
        },
        "shortfalls": shortfalls,
        "exempt": exempt,
        "duties": duties,
        "duties_total": total,
        "duties_stored": len(duties),
        "duties_truncated": truncated,
        "duties_note": _(
            "企业数超过%(limit)d家，记录仅保存前%(limit)d家企业的减排责任；其余请在线查看清单"
        )
        % {"limit": DUTY_LIMIT}
        if truncated
        else "",
    }
    alert = Alert.objects.create(
        level=level,
        year=year,
        start_on=start_on,
        end_on=end_on,
        note=note,
        called_by=actor,
        results=results,
    )
    alert.cities.set(cities)
    event_record(
        code="list.alert.called",
        actor=actor,
        target=alert,
        summary=_("%(level)s预警 %(cities)s %(start)s至%(end)s")
        % {
            "level": results["level_label"],
            "cities": "、".join(c.name for c in cities),
            "start": start_on,
            "end": end_on,
        },
        reason=note,
        data={
            "level": level,
            "year": year,
            "cities": [c.code for c in cities],
            "start_on": start_on.isoformat(),
            "end_on": end_on.isoformat(),
            "entries": total,
            "counties": len(counties_out),
            "counties_short": results["overall"]["counties_short"],
            "overall": {
                r["pollutant"]: {
                    "baseline_td": r["baseline_td"],
                    "cut_td": r["cut_td"],
                    "required_pct": r["required_pct"],
                    "achieved_pct": r["achieved_pct"],
                    "shortfall_td": r["shortfall_td"],
                }
                for r in overall_rows
            },
            "exempt": exempt,
            "duties_truncated": truncated,
        },
    )
    return alert


def alert_duties(alert: Alert, county: Region | None = None) -> Iterator[dict]:
    """Each enterprise's duty at the alert's level, read live from the current list of the
    alert's cities (optionally one county), in the same shape as ``results["duties"]``.

    The stored JSON (``alert.results``) is the record of what the alert asked for; this live
    read is for browsing large alerts whose record keeps only the first ``DUTY_LIMIT`` duties,
    and it reflects the list as it is now, which may differ from the recorded revisions."""
    units = [u for _c, us in _counties_of(list(alert.cities.all())) for u in us]
    if county is not None:
        units = [u for u in units if u.pk == county.pk]
    if not units:
        return
    for entry in _entries_for(counties=units, year=alert.year, level=alert.level).iterator(
        chunk_size=2000
    ):
        yield _duty(entry, alert.level)


# ---------------------------------------------------------------------------------------------
# Chart

CHART_WIDTH = 900
LABEL_W = 140
TEXT_W = 170
PLOT_W = CHART_WIDTH - LABEL_W - TEXT_W - 10
BAR_H = 10
BAR_GAP = 3
GROUP_PAD = 14
COLORS = {"so2": "#4e79a7", "nox": "#f28e2b", "pm": "#76b7b2", "vocs": "#af7aa1"}
SHORT_COLOR = "#c0392b"
FONT = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"


def _get(r, key):
    return r.get(key) if isinstance(r, dict) else getattr(r, key)


def _dec(v) -> Decimal:
    return Decimal(str(v)) if v not in (None, "") else ZERO


def _fmt(v: Decimal) -> str:
    s = f"{v.quantize(Q1):f}"
    return s[:-2] if s.endswith(".0") else s


def grouped_ratio_chart_svg(groups: list[tuple[str, list]], title: str) -> str:
    """Horizontal grouped bars: per group (county) one bar per pollutant for the achieved share
    and a marker at the required share (R-LIST-7). Results are ``PollutantResult`` objects or
    dicts with ``pollutant``, ``label``, ``baseline_td``, ``achieved_pct``, ``required_pct`` and
    ``shortfall_td``; a group without baseline emissions reads 无清单企业."""
    values = [
        v
        for _label, rows in groups
        for r in rows
        for v in (_dec(_get(r, "achieved_pct")), _dec(_get(r, "required_pct")))
    ]
    xmax = Decimal(min(100, max(10, math.ceil(max(values, default=ZERO) / 10) * 10)))
    top = 66
    group_h = len(POLLUTANTS) * (BAR_H + BAR_GAP) - BAR_GAP + GROUP_PAD
    plot_h = max(1, len(groups)) * group_h
    height = top + plot_h + 34

    def x(v: Decimal) -> float:
        return LABEL_W + float(min(v, xmax) / xmax) * PLOT_W

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{CHART_WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{CHART_WIDTH // 2}" y="20" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    lx = LABEL_W
    for p in POLLUTANTS:
        out.append(f'<rect x="{lx}" y="32" width="12" height="12" fill="{COLORS[p]}"/>')
        out.append(f'<text x="{lx + 16}" y="42">{escape(LABELS[p])}达成比例</text>')
        lx += 110
    out.append(f'<line x1="{lx}" y1="38" x2="{lx + 16}" y2="38" stroke="#222" stroke-width="2"/>')
    out.append(f'<text x="{lx + 20}" y="42">要求比例</text>')
    out.append(f'<text x="{lx + 90}" y="42" fill="{SHORT_COLOR}">红字：未达要求</text>')
    step = xmax / 5
    for i in range(6):
        gx = x(step * i)
        out.append(
            f'<line x1="{gx:.1f}" y1="{top - 4}" x2="{gx:.1f}" y2="{top + plot_h}" '
            f'stroke="#e3e3e3" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{gx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="#555">{_fmt(step * i)}%</text>'
        )
    out.append(
        f'<line x1="{LABEL_W}" y1="{top - 4}" x2="{LABEL_W}" y2="{top + plot_h}" stroke="#888"/>'
    )
    for gi, (label, rows) in enumerate(groups):
        gy = top + gi * group_h
        if gi % 2:
            out.append(
                f'<rect x="0" y="{gy - GROUP_PAD / 2:.1f}" width="{CHART_WIDTH}" '
                f'height="{group_h}" fill="#f7f7f7" fill-opacity="0.6"/>'
            )
        inner = len(rows) * (BAR_H + BAR_GAP) - BAR_GAP
        out.append(
            f'<text x="{LABEL_W - 8}" y="{gy + inner / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(str(label))}</text>"
        )
        if rows and all(_dec(_get(r, "baseline_td")) == 0 for r in rows):
            out.append(
                f'<text x="{LABEL_W + 8}" y="{gy + inner / 2 + 4:.1f}" fill="#888">'
                f"{escape(_('无清单企业'))}</text>"
            )
            continue
        for bi, r in enumerate(rows):
            p = _get(r, "pollutant")
            lab = _get(r, "label") or LABELS.get(p, p)
            got, need = _dec(_get(r, "achieved_pct")), _dec(_get(r, "required_pct"))
            short = _dec(_get(r, "shortfall_td"))
            by = gy + bi * (BAR_H + BAR_GAP)
            width = x(got) - LABEL_W
            tip = _("%(scope)s %(p)s：达成%(got)s%%，要求%(need)s%%") % {
                "scope": label,
                "p": lab,
                "got": _fmt(got),
                "need": _fmt(need),
            }
            if short > 0:
                tip += _("，缺口%s吨/日") % f"{short:f}"
            out.append(
                f'<rect x="{LABEL_W}" y="{by}" width="{width:.1f}" height="{BAR_H}" '
                f'fill="{COLORS.get(p, "#999")}"><title>{escape(tip)}</title></rect>'
            )
            rx = x(need)
            out.append(
                f'<line x1="{rx:.1f}" y1="{by - 2}" x2="{rx:.1f}" y2="{by + BAR_H + 2}" '
                f'stroke="#222" stroke-width="2"/>'
            )
            colour = SHORT_COLOR if short > 0 else "#333"
            out.append(
                f'<text x="{max(x(got), rx) + 6:.1f}" y="{by + BAR_H - 1}" font-size="10" '
                f'fill="{colour}">{escape(lab)} {_fmt(got)}%（要求{_fmt(need)}%）</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def ratio_chart_svg(results_by_pollutant: list, title: str) -> str:
    """One scope's ratio check as a chart (the ratio-check page): the results of one level,
    one per pollutant."""
    return grouped_ratio_chart_svg([("", results_by_pollutant)], title)


def alert_chart_svg(alert: Alert) -> str:
    """Per county of the alert, achieved against required share of each pollutant, from the
    stored record."""
    res = alert.results
    title = _("%(level)s预警 %(start)s至%(end)s 各县（市、区）减排比例") % {
        "level": res.get("level_label") or alert.get_level_display(),
        "start": res.get("start_on", alert.start_on),
        "end": res.get("end_on", alert.end_on),
    }
    groups = [(c["name"], c["pollutants"]) for c in res.get("counties", [])]
    return grouped_ratio_chart_svg(groups, title)


# ---------------------------------------------------------------------------------------------
# Excel


def _safe_cell(ws, value):
    """A write-only cell whose text is never taken for a formula: text beginning with = + - @
    or a tab, CR or LF is stored as a string with Excel's quote prefix. (Local until the list
    export's own guard exists; the two should become one.)"""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _header(
    ws, groups: list[tuple[str, list[str]]], widths: list[float], freeze: str = "C3"
) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import CellRange

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    top, sub, col = [], [], 1
    for name, cols in groups:
        for j, c in enumerate(cols):
            one_col = len(cols) == 1 and (c == name or not c)
            top.append(name if j == 0 else None)
            sub.append(None if one_col else c)
        if len(cols) == 1 and (cols[0] == name or not cols[0]):
            ws.merged_cells.add(CellRange(min_col=col, max_col=col, min_row=1, max_row=2))
        elif len(cols) > 1:
            ws.merged_cells.add(
                CellRange(min_col=col, max_col=col + len(cols) - 1, min_row=1, max_row=1)
            )
        col += len(cols)
    ws.freeze_panes = freeze  # write-only: before the first row
    for values in (top, sub):
        row = []
        for v in values:
            cell = _safe_cell(ws, v)
            cell.font, cell.fill, cell.alignment, cell.border = bold, fill, centre, border
            row.append(cell)
        ws.append(row)


def _num(v) -> Decimal | None:
    return None if v in (None, "") else Decimal(str(v))


def alert_export(alert: Alert, out_path) -> Path:
    """The alert's record as a workbook: 汇总 (per county, city and overall, totals against
    the required share and the shortfall) and 企业责任 (per enterprise and process, the duty
    at the alert's level). Duties come from the record; when the record was truncated they are
    read from the current list and the 预警信息 sheet says so."""
    from openpyxl import Workbook

    safe = _safe_cell
    res = alert.results
    out_path = Path(out_path)
    wb = Workbook(write_only=True)

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
    _header(ws, groups, [12, 16, 9, 12, 20] + [12, 12, 10, 10, 11] * len(POLLUTANTS) + [12])

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
            ws.append([safe(ws, x) for x in row])
        row = [city["name"], "全市合计", city["entries"], None, None]
        row += pol_values(city["pollutants"]) + [ok_text(city["pollutants"])]
        ws.append([safe(ws, x) for x in row])
    overall = res.get("overall", {})
    row = ["总计", "", overall.get("entries"), None, None]
    row += pol_values(overall.get("pollutants", [])) + [ok_text(overall.get("pollutants", []))]
    ws.append([safe(ws, x) for x in row])

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
    _header(ws, groups, [6, 10, 14, 30, 9, 14, 18, 26, 14, 14, 10, 8, 50, 26] + [10] * 4, "E3")
    kinds = {
        "guarantee": "保障类",
        "power_plant": "电厂",
        "heating_boiler": "供暖锅炉",
        "small_micro": "小微涉气企业",
    }
    truncated = res.get("duties_truncated")
    duties = alert_duties(alert) if truncated else iter(res.get("duties", []))
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
            ws.append([safe(ws, x) for x in head + tail])

    ws = wb.create_sheet("预警信息")
    info = [
        ("预警级别", res.get("level_label")),
        ("开始日期", res.get("start_on")),
        ("结束日期", res.get("end_on")),
        ("天数", res.get("days")),
        ("省辖市", "、".join(c["name"] for c in res.get("cities", []))),
        ("清单年度", res.get("year")),
        ("发布人", getattr(alert.called_by, "full_name", "") or str(alert.called_by)),
        ("测算时间", res.get("computed_at")),
        ("说明", alert.note),
    ]
    if res.get("duties_truncated"):
        info.append(
            (
                "企业责任",
                f"记录仅保存前{res.get('duties_stored', 0)}家企业；本表企业责任按导出时的清单读取",
            )
        )
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 60
    for k, v in info:
        ws.append([safe(ws, k), safe(ws, v)])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out_path)
    return out_path
