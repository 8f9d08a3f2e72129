"""Alert simulation (R-LIST-3, R-LIST-7, R-LIST-8, R-GUAR-4): province or city staff call an alert
of a level for some cities and dates; a worker job works out the cut per pollutant and county
against the required share and each enterprise's duty at that level, and keeps them with the
list revision they were computed from, so a past alert stays readable after the list changes.

Province size is the design constraint (100,000 enterprises): the totals come from two grouped
queries, exemptions counted in SQL, and each enterprise's duty is copied from the list into an
``AlertDuty`` row by one ``INSERT ... SELECT`` with the version (``revision``) of its entry; no list
row becomes a Python object, so memory stays flat and the number of queries depends neither on
the counties nor on the cities. The totals and the duties are read in one snapshot (they describe
the same list). The measures of a duty's processes are not copied (four times as many rows): an
entry changes only through ``history.entry_revising``, which keeps each replaced version with its
processes and measures, so a duty's measures are the entry's own while its version is current and
the kept version's after (``selectors.alert_duty_dicts``). Alerts of schema 2 still hold their
copied ``AlertDutyProcess`` rows."""

import contextlib
import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from emergency_list.models import (
    Alert,
    AlertDuty,
    AlertDutyProcess,
    AlertLevel,
    EntryMeasure,
    ListEntry,
    ReductionTarget,
)
from emergency_list.services.arithmetic import ZERO, share_pct, tonnes
from emergency_list.services.ratios import (
    DEFAULT_PCT,
    LABELS,
    POLLUTANTS,
    PollutantResult,
)
from grading.models import Enterprise, Grade, Region, User
from grading.rules import allows, is_city_staff

MAX_DAYS = 30
EXEMPT_KINDS = ("guarantee", "power_plant", "heating_boiler", "small_micro")


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
    using the list of ``year``: the alert is recorded as pending and a worker computes it
    (``alert_compute``) once this transaction commits."""
    cities = list({c.pk: c for c in cities}.values())
    _validate(level=level, cities=cities, start_on=start_on, end_on=end_on)
    _check_actor(actor, cities)
    from emergency_list.tasks.alerts import compute_alert

    with transaction.atomic():
        alert = Alert.objects.create(
            level=level,
            year=year,
            start_on=start_on,
            end_on=end_on,
            note=note,
            called_by=actor,
        )
        alert.cities.set(cities)
        event_record(
            code="list.alert.requested",
            actor=actor,
            target=alert,
            summary=_("%(level)s预警 %(cities)s %(start)s至%(end)s")
            % {
                "level": AlertLevel(level).label,
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
            },
        )
        transaction.on_commit(lambda: compute_alert.delay(alert.pk))
    return alert


# --- the computation (worker) -----------------------------------------------------------------


def _units(cities: list[Region]) -> list[tuple[Region, list[Region]]]:
    """Each city with its county-level units (``ratios.units_of``), in one query."""
    own = {c.pk for c in cities if c.holds_enterprises}
    by_city: dict[int, list[Region]] = {c.pk: [] for c in cities}
    units = Region.objects.filter(
        Q(pk__in=own) | Q(parent__in=[c.pk for c in cities if c.pk not in own])
    ).order_by("code")
    for u in units:
        by_city[u.pk if u.pk in own else u.parent_id].append(u)
    return [(c, by_city[c.pk]) for c in cities]


def _required(targets: dict, scope: Region, year: int, level: str) -> dict[str, Decimal]:
    """``ratios.required_pct`` over targets read once: the city's setting for the year, else its
    standing setting, else the province's, else the default (R-LIST-7)."""
    city_id = {Region.Level.CITY: scope.pk, Region.Level.COUNTY: scope.parent_id}.get(scope.level)
    candidates = [(city_id, year), (city_id, None)] if city_id is not None else []
    for key in [*candidates, (None, year), (None, None)]:
        if key in targets:
            return targets[key]
    return {p: DEFAULT_PCT[level] for p in POLLUTANTS}


def _targets(level: str) -> dict:
    return {
        (t.region_id, t.year): {p: getattr(t, f"{p}_pct") for p in POLLUTANTS}
        for t in ReductionTarget.objects.filter(level=level)
    }


_EXEMPT_FILTERS = {
    # the first that applies names the entry's exemption, as ``_exempt`` below does in SQL
    "guarantee": Q(is_guarantee=True),
    "power_plant": Q(is_guarantee=False, is_power_plant=True),
    "heating_boiler": Q(is_guarantee=False, is_power_plant=False, is_heating_boiler=True),
    "small_micro": Q(
        is_guarantee=False,
        is_power_plant=False,
        is_heating_boiler=False,
        enterprise__is_small_micro=True,
    ),
}


def _county_totals(*, year: int, level: str, unit_ids: list[int]) -> dict[int, dict]:
    """Per county: entries, list version and exemptions, the baseline per day and the cut per
    day at ``level``: the sums ``ratio_check`` makes per scope, from two grouped queries.

    The baseline is summed per county and number of operating days and divided here in
    Decimal, so SQLite (which would divide integers) and PostgreSQL give the same figures."""
    exempt = {f"exempt_{k}": Count("id", filter=q) for k, q in _EXEMPT_FILTERS.items()}
    groups = (
        ListEntry.objects.filter(year=year, county_id__in=unit_ids)
        .order_by()
        .values("county_id", "operating_days")
        .annotate(
            n=Count("id"),
            revisions=Sum("revision"),
            last=Max("updated_at"),
            **{f"tpa_{p}": Sum(f"{p}_tpa") for p in POLLUTANTS},
            **exempt,
        )
    )
    out: dict[int, dict] = {}
    for g in groups:
        t = out.setdefault(g["county_id"], {"n": 0, "revisions": 0, "last": None})
        t["n"] += g["n"]
        t["revisions"] += g["revisions"] or 0
        if g["last"] and (t["last"] is None or g["last"] > t["last"]):
            t["last"] = g["last"]
        for k in EXEMPT_KINDS:
            t[f"exempt_{k}"] = t.get(f"exempt_{k}", 0) + g[f"exempt_{k}"]
        for p in POLLUTANTS:
            share = Decimal(g[f"tpa_{p}"] or 0) / Decimal(g["operating_days"])
            t[f"base_{p}"] = t.get(f"base_{p}", ZERO) + share
    cuts = (
        EntryMeasure.objects.filter(
            level=level,
            entry_process__entry__year=year,
            entry_process__entry__county_id__in=unit_ids,
        )
        .order_by()
        .values("entry_process__entry__county_id")
        .annotate(**{f"cut_{p}": Sum(f"{p}_td") for p in POLLUTANTS})
    )
    for c in cuts:
        out[c["entry_process__entry__county_id"]].update(c)
    return out


def _results(totals: dict, req: dict[str, Decimal]) -> list[dict]:
    return [
        _row(
            PollutantResult(
                pollutant=p,
                label=LABELS[p],
                baseline_td=tonnes(totals.get(f"base_{p}")),
                cut_td=tonnes(totals.get(f"cut_{p}")),
                required_pct=req[p],
            )
        )
        for p in POLLUTANTS
    ]


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _duties_insert(*, alert: Alert, unit_ids: list[int]) -> int:
    """Copy the duties of ``unit_ids``' entries into the alert's rows, numbered from 1 in
    county code and name order (one statement); returns how many enterprises. Exempt
    entries (R-LIST-3, R-GUAR-4) are marked by the first exemption that applies; their measures
    were already generated as transport-only (``services.entries.measure_for``)."""
    marks = ", ".join(["%s"] * len(unit_ids))
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {_t(AlertDuty)} (alert_id, position, county_id, entry_id, revision,
                enterprise_id, name, city_name, county_name, county_code, grade_code, grade_name,
                is_power_plant, is_heating_boiler, is_small_micro, is_guarantee, guarantee_scope,
                bulk_transport, exempt)
            SELECT %s, ROW_NUMBER() OVER (ORDER BY c.code, ent.name, le.id), le.county_id,
                le.id, le.revision, le.enterprise_id, ent.name,
                CASE WHEN c.level = %s THEN COALESCE(p.name, '') ELSE c.name END,
                c.name, c.code, g.code, g.name, le.is_power_plant, le.is_heating_boiler,
                ent.is_small_micro, le.is_guarantee, le.guarantee_scope, le.bulk_transport,
                CASE WHEN le.is_guarantee THEN 'guarantee'
                     WHEN le.is_power_plant THEN 'power_plant'
                     WHEN le.is_heating_boiler THEN 'heating_boiler'
                     WHEN ent.is_small_micro THEN 'small_micro' ELSE '' END
            FROM {_t(ListEntry)} le
            JOIN {_t(Enterprise)} ent ON ent.id = le.enterprise_id
            JOIN {_t(Region)} c ON c.id = le.county_id
            LEFT JOIN {_t(Region)} p ON p.id = c.parent_id
            JOIN {_t(Grade)} g ON g.id = le.grade_id
            WHERE le.year = %s AND le.county_id IN ({marks})
            """,
            [alert.pk, Region.Level.COUNTY, alert.year, *unit_ids],
        )
        n = cur.rowcount
    return n


def _positions(totals: dict, units: list[Region]) -> dict[int, list[int]]:
    """Each unit's duties are numbered consecutively (county code, then name): the range of
    its positions, from the entries counted per unit in the same snapshot. A county reads its
    duties by this range of the (alert, position) index."""
    out, last = {}, 0
    for unit in sorted(units, key=lambda u: u.code):
        n = totals.get(unit.pk, {}).get("n", 0)
        out[unit.pk] = [last + 1, last + n]
        last += n
    return out


@contextlib.contextmanager
def _snapshot():
    """One transaction, and on PostgreSQL one snapshot for all its queries."""
    outer = transaction.get_connection().in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _duties_clear(alert_pk: int) -> None:
    """Remove an alert's duty rows without loading them (a retried job starts afresh)."""
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {_t(AlertDutyProcess)} WHERE alert_id = %s", [alert_pk])
        cur.execute(f"DELETE FROM {_t(AlertDuty)} WHERE alert_id = %s", [alert_pk])


def _progress(alert_pk: int, **fields) -> None:
    Alert.objects.filter(pk=alert_pk).update(**fields)


def alert_compute(*, alert: Alert) -> Alert:
    """Compute a called alert (the worker job): per county the totals per pollutant against the
    required share (R-LIST-7, the numbers of ``ratio_check``) with the list revision they came
    from, per city and overall, the exemptions (R-LIST-3, R-GUAR-4) and each enterprise's duty
    at the level (R-LIST-8) as rows. Records ``list.alert.called`` with the summary."""
    level, year = alert.level, alert.year
    _progress(alert.pk, status=Alert.Status.RUNNING, progress=1, error="")
    _duties_clear(alert.pk)
    city_units = _units(sorted(alert.cities.all(), key=lambda c: c.code))
    targets = _targets(level)
    counties_out, cities_out, shortfalls = [], [], []
    exempt = dict.fromkeys(EXEMPT_KINDS, 0)
    ids = [u.pk for _c, units in city_units for u in units]
    with _snapshot():  # totals and duties describe the same list
        totals = _county_totals(year=year, level=level, unit_ids=ids) if ids else {}
        position = _duties_insert(alert=alert, unit_ids=ids) if ids else 0
    _progress(alert.pk, progress=90)
    positions = _positions(totals, [u for _c, units in city_units for u in units])
    for city, units in city_units:
        county_rows, entries = [], 0
        for unit in units:
            t = totals.get(unit.pk, {})
            rows = _results(t, _required(targets, unit, year, level))
            county_rows.append(rows)
            entries += t.get("n", 0)
            for k in EXEMPT_KINDS:
                exempt[k] += t.get(f"exempt_{k}", 0)
            short = [r for r in rows if not r["ok"]]
            shortfalls += [
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
                for r in short
            ]
            counties_out.append(
                {
                    "id": unit.pk,
                    "code": unit.code,
                    "name": unit.name,
                    "city_id": city.pk,
                    "city": city.name,
                    "pollutants": rows,
                    "ok": not short,
                    "positions": positions[unit.pk],  # its duties' range, first to last
                    "list_version": {
                        "entries": t.get("n", 0),
                        "revisions": int(t.get("revisions") or 0),
                        "max_updated_at": t["last"].isoformat() if t.get("last") else None,
                    },
                }
            )
        cities_out.append(
            {
                "id": city.pk,
                "code": city.code,
                "name": city.name,
                "counties": [u.code for u in units],
                "entries": entries,
                "pollutants": _sum_rows(county_rows, _required(targets, city, year, level)),
            }
        )
    overall_rows = _sum_rows([c["pollutants"] for c in cities_out], None)
    for r in overall_rows:  # what the whole alert takes off over its days, in tonnes
        r["cut_period_t"] = str(tonnes(Decimal(r["cut_td"]) * alert.days))
    counties_short = len({s["county_code"] for s in shortfalls})
    with transaction.atomic():
        alert.results = {
            "schema": 3,  # duties as rows, their measures read from the list's versions
            "level": level,
            "level_label": str(AlertLevel(level).label),
            "year": year,
            "start_on": alert.start_on.isoformat(),
            "end_on": alert.end_on.isoformat(),
            "days": alert.days,
            "computed_at": timezone.now().isoformat(),
            "counties": counties_out,
            "cities": cities_out,
            "overall": {
                "entries": position,
                "counties": len(counties_out),
                "counties_short": counties_short,
                "pollutants": overall_rows,
            },
            "shortfalls": shortfalls,
            "exempt": exempt,
        }
        alert.status, alert.progress, alert.error = Alert.Status.READY, 100, ""
        alert.finished_at = timezone.now()
        alert.entries, alert.counties, alert.counties_short = (
            position,
            len(counties_out),
            counties_short,
        )
        for k in EXEMPT_KINDS:
            setattr(alert, f"exempt_{k}", exempt[k])
        alert.save()
        event_record(
            code="list.alert.called",
            actor=alert.called_by,
            target=alert,
            summary=_(
                "%(level)s预警 %(cities)s %(start)s至%(end)s："
                "%(n)d家企业，%(short)d个县（市、区）未达要求"
            )
            % {
                "level": alert.results["level_label"],
                "cities": "、".join(c.name for c, _u in city_units),
                "start": alert.start_on,
                "end": alert.end_on,
                "n": position,
                "short": counties_short,
            },
            reason=alert.note,
            data={
                "level": level,
                "year": year,
                "cities": [c.code for c, _u in city_units],
                "start_on": alert.start_on.isoformat(),
                "end_on": alert.end_on.isoformat(),
                "entries": position,
                "counties": len(counties_out),
                "counties_short": counties_short,
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
            },
        )
    return alert


def alert_fail(*, alert_pk: int, error: str) -> None:
    """A job that did not finish leaves no duties and says why."""
    _duties_clear(alert_pk)
    _progress(
        alert_pk,
        status=Alert.Status.FAILED,
        progress=0,
        error=error[:500],
        finished_at=timezone.now(),
    )
