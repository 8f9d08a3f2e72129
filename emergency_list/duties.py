"""Reading an alert's duties (R-LIST-3, R-LIST-8, R-GUAR-4) as the alert found them: each
enterprise's row with its processes and their measures at the alert's level. Callers read the
duties through ``selectors.alert_duties_for`` (the viewer's reach) and present them here."""

from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from emergency_list.models import (
    Action,
    Alert,
    AlertDuty,
    AlertDutyProcess,
    EntryMeasure,
    EntryProcess,
    EntryRevision,
    ListEntry,
    TransportRule,
)
from emergency_list.services.entries import exempt_reason
from emergency_list.services.ratios import POLLUTANTS

TRANSPORT_RANK = {
    TransportRule.NONE: 0,
    TransportRule.BAN_HEAVY_LE_CN4: 1,
    TransportRule.STOP_ROAD: 2,
}


def _process_dict(p) -> dict:
    """A copied ``AlertDutyProcess`` or a process read as of the duty's version."""
    if not p.action:
        return {
            "process": p.process_id,
            "name": p.name,
            "line": p.line_name,
            "action": "",
            "action_label": _("未设定"),
            "ratio_pct": "0",
            "text": _("本级别未生成措施"),
            "transport_rule": TransportRule.NONE,
            "transport_label": "",
            "override": False,
            "cut": dict.fromkeys(POLLUTANTS, "0"),
        }
    rule = p.transport_rule or TransportRule.NONE
    return {
        "process": p.process_id,
        "name": p.name,
        "line": p.line_name,
        "action": p.action,
        "action_label": str(Action(p.action).label),
        "ratio_pct": str(p.ratio_pct),
        "text": p.text,
        "transport_rule": rule,
        "transport_label": "" if rule == TransportRule.NONE else str(TransportRule(rule).label),
        "override": p.is_override,
        "cut": {k: str(getattr(p, f"{k}_td")) for k in POLLUTANTS},
    }


def _copied_processes(alert_id: int, entry_ids: list[int]) -> dict[int, list]:
    """An alert of schema 2: the process rows copied when it was computed."""
    by_entry: dict[int, list] = {pk: [] for pk in entry_ids}
    rows = AlertDutyProcess.objects.filter(alert_id=alert_id, entry_id__in=entry_ids).order_by(
        "entry_id", "entry_process_id"
    )
    for p in rows:
        by_entry[p.entry_id].append(p)
    return by_entry


_CUTS = [f"{p}_td" for p in POLLUTANTS]


def _versioned_processes(duties: list[AlertDuty], level: str) -> dict[int, list]:
    """The processes and measures at ``level`` of each duty's entry as of the duty's version:
    the entry's own rows while that version is current, the kept version otherwise (see
    ``services.alerts``). Four or five queries for the lot. The names of the process and its
    line are read as they are now while the version is current (a rename in the enterprise's
    master data is no change of its list entry)."""
    by_entry: dict[int, list] = {d.entry_id: [] for d in duties}
    current = dict(ListEntry.objects.filter(pk__in=list(by_entry)).values_list("pk", "revision"))
    live = [d.entry_id for d in duties if current.get(d.entry_id) == d.revision]
    kept = {(d.entry_id, d.revision) for d in duties if current.get(d.entry_id) != d.revision}
    measures = {
        m["entry_process_id"]: m
        for m in EntryMeasure.objects.filter(entry_process__entry_id__in=live, level=level)
        .order_by()
        .values(
            "entry_process_id",
            "action",
            "ratio_pct",
            "text",
            "transport_rule",
            "is_override",
            *_CUTS,
        )
    }
    processes = (
        EntryProcess.objects.filter(entry_id__in=live)
        .order_by("entry_id", "process_id")
        .values_list("id", "entry_id", "process_id", "process__name", "process__line__name")
    )
    for ep_id, entry_id, process_id, name, line in processes:
        m = measures.get(ep_id) or {}
        by_entry[entry_id].append(
            SimpleNamespace(
                process_id=process_id,
                name=name,
                line_name=line,
                action=m.get("action", ""),
                ratio_pct=m.get("ratio_pct", Decimal(0)),
                text=m.get("text", ""),
                transport_rule=m.get("transport_rule", ""),
                is_override=m.get("is_override", False),
                **{c: m.get(c, Decimal(0)) for c in _CUTS},
            )
        )
    # An entry changed while its rows were read (its new version committed between the
    # reads): what was read may be the new content; its kept version is the duty's.
    if live:
        again = dict(ListEntry.objects.filter(pk__in=live).values_list("pk", "revision"))
        for entry_id in live:
            if again.get(entry_id) != current.get(entry_id):
                by_entry[entry_id] = []
                kept.add((entry_id, current[entry_id]))
    if kept:
        snapshots = {}
        for entry_id, revision, snapshot in (
            EntryRevision.objects.filter(
                entry_id__in={e for e, _r in kept}, revision__in={r for _e, r in kept}
            )
            .order_by("id")  # a number kept twice: the latest record stands
            .values_list("entry_id", "revision", "snapshot")
        ):
            snapshots[(entry_id, revision)] = snapshot
        for key in kept:
            for p in (snapshots.get(key) or {}).get("processes", []):
                m = (p.get("measures") or {}).get(level) or {}
                cut = m.get("cut") or {}
                by_entry[key[0]].append(
                    SimpleNamespace(
                        process_id=p.get("process"),
                        name=p.get("name", ""),
                        line_name=p.get("line", ""),
                        action=m.get("action", ""),
                        ratio_pct=Decimal(m.get("ratio") or 0),
                        text=m.get("text", ""),
                        transport_rule=m.get("transport", ""),
                        is_override=bool(m.get("override")),
                        **{f"{k}_td": Decimal(cut.get(k) or 0) for k in POLLUTANTS},
                    )
                )
    return by_entry


def alert_duty_dicts(duties: list[AlertDuty]) -> list[dict]:
    """Each duty (of one alert) with its processes as the alert found them: per process the
    action, ratio, text, transport rule and cut; the enterprise's cut and strongest transport
    rule, and why it is exempt (R-LIST-3, R-GUAR-4)."""
    if not duties:
        return []
    level, schema = (
        Alert.objects.filter(pk=duties[0].alert_id).values_list("level", "results__schema").get()
    )
    if schema is not None and int(schema) < 3:
        by_entry = _copied_processes(duties[0].alert_id, [d.entry_id for d in duties])
    else:
        by_entry = _versioned_processes(duties, level)
    out = []
    for d in duties:
        processes = [_process_dict(p) for p in by_entry[d.entry_id]]
        cut = {k: sum((Decimal(p["cut"][k]) for p in processes), Decimal(0)) for k in POLLUTANTS}
        transport = max(
            (p["transport_rule"] for p in processes if p["action"]),
            key=lambda r: TRANSPORT_RANK.get(r, 0),
            default=TransportRule.NONE,
        )
        flags = SimpleNamespace(
            is_guarantee=d.is_guarantee,
            guarantee_scope=d.guarantee_scope,
            is_power_plant=d.is_power_plant,
            is_heating_boiler=d.is_heating_boiler,
            enterprise=SimpleNamespace(is_small_micro=d.is_small_micro),
        )
        out.append(
            {
                "entry": d.entry_id,
                "revision": d.revision,
                "enterprise": d.enterprise_id,
                "name": d.name,
                "city": d.city_name,
                "county": d.county_name,
                "county_code": d.county_code,
                "grade": d.grade_code,
                "grade_name": d.grade_name,
                "flags": {
                    "power_plant": d.is_power_plant,
                    "heating_boiler": d.is_heating_boiler,
                    "small_micro": d.is_small_micro,
                    "guarantee": d.is_guarantee,
                    "guarantee_scope": d.guarantee_scope,
                    "bulk_transport": d.bulk_transport,
                },
                "exempt": d.exempt,
                "exempt_text": exempt_reason(flags) if d.exempt else "",
                "guarantee_scope": d.guarantee_scope if d.is_guarantee else "",
                "transport_rule": transport,
                "transport_label": ""
                if transport == TransportRule.NONE
                else str(TransportRule(transport).label),
                "processes": processes,
                "cut": {k: str(v) for k, v in cut.items()},
            }
        )
    return out


def alert_duties_iter(duties: QuerySet[AlertDuty], chunk: int = 2000) -> Iterator[dict]:
    """All of ``duties`` as dicts, read in keyset chunks of ``position`` (for the export)."""
    after = 0
    while True:
        rows = list(duties.filter(position__gt=after)[:chunk])
        if not rows:
            return
        yield from alert_duty_dicts(rows)
        after = rows[-1].position
