"""Alert simulation (R-LIST-3, R-LIST-7, R-LIST-8, R-GUAR-4): province or city staff call an alert
of a level for some cities and dates; the system works out each enterprise's duty at that level,
the cut per pollutant and county against the required share, and keeps the result together with
the list revision it was computed from, so a past alert stays readable after the list changes."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

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
from emergency_list.services.arithmetic import ZERO, share_pct, tonnes
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
from grading.rules import allows, is_city_staff

MAX_DAYS = 30
# Above this many enterprises the stored record keeps the totals and only the first duties; the
# page and the export read the rest live from the list (alert_duties).
DUTY_LIMIT = 20_000
TRANSPORT_RANK = {
    TransportRule.NONE: 0,
    TransportRule.BAN_HEAVY_LE_CN4: 1,
    TransportRule.STOP_ROAD: 2,
}


def _check_actor(actor: User, cities: list[Region]) -> None:
    """Province staff call alerts for the cities of their province, city staff for their own
    city only (``emergency_list.call_alert_for``)."""
    if not allows(actor, "emergency_list.call_alerts"):
        raise PermissionDenied(_("只有省、市生态环境部门可以发布预警"))
    outside = [c.name for c in cities if not allows(actor, "emergency_list.call_alert_for", c)]
    if not outside:
        return
    if is_city_staff(actor):
        raise PermissionDenied(
            _("市级生态环境部门只能对本市发布预警，不能对%s发布") % "、".join(outside)
        )
    raise PermissionDenied(_("只能对本省的省辖市发布预警：%s不在本省范围内") % "、".join(outside))


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
    return share_pct(cut, base)


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
        r["cut_period_t"] = str(tonnes(Decimal(r["cut_td"]) * days))
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
