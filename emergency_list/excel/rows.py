"""The list as rows of the 工业源 sheet, read from the database a chunk of entries at a time:
one row per enterprise and controlled process (R-LIST-2), the enterprise's values on its first
row, and per process the measures of each alert level.

Numbers are read as float8: the cell text openpyxl writes is the same (it formats a Decimal
through float with "%.16g", and numeric(14,4) has at most 14 significant digits), and both the
driver and openpyxl handle floats several times faster.
"""

from decimal import Decimal
from itertools import batched

from django.db.models import FilteredRelation, FloatField, Q
from django.db.models.functions import Cast

from emergency_list.excel.cells import clean_text, safe_text
from emergency_list.excel.declared import Declared, declared_for, town_of
from emergency_list.excel.layout import (
    COL,
    CONTROL_HEATING,
    CONTROL_POWER,
    CONTROL_SEP,
    CONTROL_SMALL,
    EQUIPMENT_SEP,
    NCOL,
    NO,
    QUANTITY_SEP,
    UNGRADED,
    YES,
)
from emergency_list.models import (
    PRINT_ORDER,
    Action,
    AlertLevel,
    EntryProcess,
    ListEntry,
    TransportRule,
)
from emergency_list.services.arithmetic import ZERO, per_day, share_pct, tonnes
from emergency_list.services.ratios import POLLUTANTS, units_of
from grading.models import Enterprise, Equipment, Region

CHUNK = 2000  # entries per round trip to the database

_ENTRY_NUMBERS = {
    "f_longitude": "enterprise__longitude",
    "f_latitude": "enterprise__latitude",
    **{f"f_{p}_tpa": f"{p}_tpa" for p in POLLUTANTS},
}
_ENTRY_FIELDS = (
    "id",
    "enterprise_id",
    "county__name",
    "county__level",
    "county__parent__name",
    "enterprise__name",
    "enterprise__uscc",
    "enterprise__address",
    "f_longitude",
    "f_latitude",
    "main__industry__gbt4754",
    "main__industry__name",
    "grade__name",
    "graded",
    "is_guarantee",
    "guarantee_scope",
    "is_power_plant",
    "is_heating_boiler",
    "enterprise__is_small_micro",
    "enterprise__production_status",
    "operating_days",
    "bulk_transport",
    "transport_plan",
    "gate_system",
    "responsible_person",
    "contact_mobile",
    "note",
    *(f"f_{p}_tpa" for p in POLLUTANTS),
)
_DAYS = _ENTRY_FIELDS.index("operating_days")
_MEASURE_FIELDS = ("action", "ratio_pct", "transport_rule", "text") + tuple(
    f"{p}_td" for p in POLLUTANTS
)
_MEASURE_NUMBERS = ("ratio_pct", *(f"{p}_td" for p in POLLUTANTS))
_LEVEL_ALIAS = {AlertLevel.RED: "m_red", AlertLevel.ORANGE: "m_orange", AlertLevel.YELLOW: "m_yel"}
_PROCESS_NUMBERS = {
    "f_capacity": "process__line__design_capacity",
    **{f"f_{p}_tpa": f"{p}_tpa" for p in POLLUTANTS},
    **{
        f"f_{_LEVEL_ALIAS[lv]}_{f}": f"{_LEVEL_ALIAS[lv]}__{f}"
        for lv in PRINT_ORDER
        for f in _MEASURE_NUMBERS
    },
}
_PROCESS_FIELDS = (
    "entry_id",
    "process_id",
    "process__name",
    "process__line__name",
    "process__line__products",
    "f_capacity",
    "process__line__capacity_unit",
    *(f"f_{p}_tpa" for p in POLLUTANTS),
    *(
        f"f_{_LEVEL_ALIAS[lv]}_{f}" if f in _MEASURE_NUMBERS else f"{_LEVEL_ALIAS[lv]}__{f}"
        for lv in PRINT_ORDER
        for f in _MEASURE_FIELDS
    ),
    "process__line_id",
    "industry__name",
    "grade__name",
)


def _floats(fields: dict[str, str]) -> dict:
    return {alias: Cast(field, FloatField()) for alias, field in fields.items()}


def main_industry_relation() -> FilteredRelation:
    return FilteredRelation(
        "enterprise__industries", condition=Q(enterprise__industries__is_main=True)
    )


def entries_in(region: Region, year: int):
    """The list entries of a county, a city or the province."""
    return ListEntry.objects.filter(year=year, county__in=units_of(region))


def equipment_text(items: list[tuple[str, int]]) -> str:
    return EQUIPMENT_SEP.join(
        clean_text(name) + (f"{QUANTITY_SEP}{qty}" if qty != 1 else "") for name, qty in items
    )


class Labels:
    """Chinese labels resolved once per export (lazy translations cost per call)."""

    def __init__(self) -> None:
        self.action = {v: str(label) for v, label in Action.choices}
        self.transport = {v: str(label) for v, label in TransportRule.choices}
        self.status = {v: str(label) for v, label in Enterprise.ProductionStatus.choices}


def enterprise_values(e: tuple, seq: int, labels: Labels, declared: Declared | None = None) -> list:
    """The enterprise's cells: the entry, the master data and what it declared."""
    (
        _id,
        _enterprise_id,
        county,
        county_level,
        parent,
        name,
        uscc,
        address,
        lon,
        lat,
        gbt,
        industry,
        grade,
        graded,
        guarantee,
        scope,
        power,
        heating,
        small,
        status,
        days,
        bulk,
        plan,
        gate,
        person,
        mobile,
        note,
        *_baseline,
    ) = e
    control = CONTROL_SEP.join(
        label
        for flag, label in (
            (power, CONTROL_POWER),
            (heating, CONTROL_HEATING),
            (small, CONTROL_SMALL),
        )
        if flag
    )
    v: list = [None] * NCOL
    d = declared or Declared()
    v[COL["seq"]] = seq
    v[COL["city"]] = county if county_level == Region.Level.CITY else parent
    v[COL["county"]] = county
    v[COL["town"]] = town_of(d.address) or town_of(address) or None
    v[COL["name"]] = name
    v[COL["uscc"]] = uscc
    v[COL["permit"]] = d.permit or None
    v[COL["address"]] = address
    v[COL["longitude"]] = lon
    v[COL["latitude"]] = lat
    v[COL["gbt4754"]] = d.industry_code or gbt
    v[COL["guarantee_category"]] = d.guarantee_category or None
    v[COL["fuel"]] = d.fuel or None
    v[COL["vehicles"]] = d.vehicles
    v[COL["vehicle_stages"]] = d.vehicle_stages or None
    v[COL["industry"]] = industry
    v[COL["grade"]] = grade if graded else UNGRADED
    v[COL["guarantee"]] = YES if guarantee else NO
    v[COL["guarantee_scope"]] = scope
    v[COL["control"]] = control or d.control or None
    v[COL["status"]] = labels.status.get(status, status)
    v[COL["operating_days"]] = days
    v[COL["bulk_transport"]] = YES if bulk else NO
    v[COL["transport_plan"]] = plan
    v[COL["gate_system"]] = YES if gate else NO
    v[COL["responsible_person"]] = person or d.responsible_person
    v[COL["contact_mobile"]] = mobile or d.responsible_mobile
    v[COL["note"]] = note
    return v


_P_TPA = tuple(COL[p] for p in POLLUTANTS)
_LEVEL_COLS = tuple(
    (
        COL[f"{lv}_action"],
        COL[f"{lv}_ratio"],
        COL[f"{lv}_transport"],
        COL[f"{lv}_text"],
        tuple(COL[f"{lv}_{p}"] for p in POLLUTANTS),
    )
    for lv in PRINT_ORDER
)


def process_row(p: tuple, equipment: str, labels: Labels, ws, declared: Declared | None) -> list:
    row: list = [None] * NCOL
    line = declared.lines.get(p[-3]) if declared else None
    if line is not None:
        row[COL["output"]], row[COL["basis"]] = line[0], line[2]
    row[COL["line"]] = safe_text(p[3], ws=ws)
    row[COL["products"]] = safe_text(p[4], ws=ws) or None
    row[COL["capacity"]] = p[5]
    row[COL["capacity_unit"]] = safe_text(p[6], ws=ws) or None
    row[COL["process"]] = safe_text(p[2], ws=ws)
    row[COL["equipment"]] = safe_text(equipment, ws=ws) or None
    row[COL["process_industry"]], row[COL["process_grade"]] = p[-2], p[-1]  # R-GRADE-4
    for k, idx in enumerate(_P_TPA):
        row[idx] = p[7 + k]
    base = 7 + len(POLLUTANTS)
    width = len(_MEASURE_FIELDS)
    for n, (c_action, c_ratio, c_transport, c_text, c_cuts) in enumerate(_LEVEL_COLS):
        m = p[base + n * width : base + (n + 1) * width]
        if m[0] is None:  # no measure at this level (should not happen; left empty)
            continue
        row[c_action] = labels.action.get(m[0], m[0])
        row[c_ratio] = m[1]
        row[c_transport] = labels.transport.get(m[2], m[2])
        row[c_text] = safe_text(m[3], ws=ws)
        for k, idx in enumerate(c_cuts):
            row[idx] = m[4 + k]
    return row


def enterprise_rows(
    e: tuple, processes, equipment: dict, labels: Labels, ws, declared: Declared | None = None
) -> list[list]:
    """The sheet rows of one entry: one per controlled process, or, for an entry without air
    processes (R-LIST-1), one row holding its baseline and no measures."""
    rows = [
        process_row(p, equipment_text(equipment.get(p[1], ())), labels, ws, declared)
        for p in processes
    ]
    if not rows:
        row = [None] * NCOL
        for idx, value in zip(_P_TPA, e[-len(POLLUTANTS) :], strict=True):
            row[idx] = value
        rows = [row]
    return rows


def enterprise_shares(values: list, e: tuple, rows: list[list]) -> None:
    """Per level, the enterprise's own reduction share: its cut of the four pollutants over its
    daily emissions of them (R-LIST-7's rule: within 0–100%, one place)."""
    days = values[COL["operating_days"]] or 0
    daily = sum((per_day(Decimal(str(x or 0)), days) for x in e[-len(POLLUTANTS) :]), ZERO)
    for level in PRINT_ORDER:
        cut = sum(
            (Decimal(str(r[COL[f"{level}_{p}"]] or 0)) for r in rows for p in POLLUTANTS), ZERO
        )
        values[COL[f"{level}_share"]] = float(share_pct(cut, tonnes(daily))) if daily else None


def read_chunks(region: Region, year: int, chunk: int):
    """(entries, their processes by entry, equipment by process), ``chunk`` entries at a time,
    in the list's order: county, enterprise name."""
    qs = (
        entries_in(region, year)
        .annotate(main=main_industry_relation(), **_floats(_ENTRY_NUMBERS))
        .order_by("county__code", "enterprise__name", "id")
        .values_list(*_ENTRY_FIELDS)
    )
    relations = {
        alias: FilteredRelation("measures", condition=Q(measures__level=lv))
        for lv, alias in _LEVEL_ALIAS.items()
    }
    for part in batched(qs.iterator(chunk_size=chunk), chunk):
        ids = [e[0] for e in part]
        procs: dict[int, list[tuple]] = {}
        for p in (
            EntryProcess.objects.filter(entry_id__in=ids)
            .annotate(**relations)
            .annotate(**_floats(_PROCESS_NUMBERS))
            .order_by("entry_id", "process__line_id", "process_id")
            .values_list(*_PROCESS_FIELDS)
        ):
            procs.setdefault(p[0], []).append(p)
        equipment: dict[int, list[tuple[str, int]]] = {}
        for pid, name, qty in (
            Equipment.objects.filter(process__list_uses__entry_id__in=ids)
            .order_by("process_id", "id")
            .values_list("process_id", "name", "quantity")
        ):
            equipment.setdefault(pid, []).append((name, qty))
        days = {e[1]: e[_DAYS] for e in part}
        yield part, procs, equipment, declared_for(list(days), days)
