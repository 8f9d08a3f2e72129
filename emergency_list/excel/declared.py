"""What the enterprise declared, for the 工业源 sheet (reference/domain.md §6(d)): read per chunk
of entries from each enterprise's decided declarations, the latest first (a value missing from
the latest is taken from the one before), and from its master data.

- 排污许可证编号, 行业类别代码 (the declared code, else the industry's GB/T 4754 code)
- 管控类型 (the declared control type, where no R-LIST-3 flag names one), 保障类类别 of a
  decided 保障类 declaration
- per production line: last year's output and the reduction base (减排基准, the minimum of the
  daily averages of the declared capacity, the line's design capacity and last year's output)
- 燃料类型及用量 (the declared fuels), heavy vehicles and their emission stages
- 乡镇/街道, read from the address (declared, else the enterprise's)
- the responsible person and mobile where the entry names none."""

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from declarations.models import Declaration, MaterialUse, ProductCapacity, Vehicle
from emergency_list.services.arithmetic import per_day, tonnes

# 乡镇/街道: the part of an address after the county (县/市/区) that ends in 镇, 乡 or 街道.
TOWN_RE = re.compile(r"(?:省|市|县|区|旗)([^省市县区旗\d]{1,12}?(?:街道办事处|街道|镇|乡))")
SEP = "、"


def town_of(address: str) -> str:
    match = TOWN_RE.search(address or "")
    return match.group(1) if match else ""


def _num(value: Decimal) -> str:
    text = f"{tonnes(value):f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class Declared:
    """An enterprise's declared values for the sheet."""

    permit: str = ""
    industry_code: str = ""
    control: str = ""  # the latest decided declaration's 管控类型
    guarantee_category: str = ""
    address: str = ""
    responsible_person: str = ""
    responsible_mobile: str = ""
    fuel: str = ""
    vehicles: int | None = None
    vehicle_stages: str = ""
    # line id → (last year's output, unit, reduction base text)
    lines: dict[int, tuple[float, str, str]] = field(default_factory=dict)


def declared_for(enterprise_ids: list[int], days: dict[int, int]) -> dict[int, Declared]:
    """{enterprise id: Declared} for the enterprises with a decided declaration; ``days`` are
    the entries' operating days (the reduction base is a daily figure). Four queries."""
    decls: dict[int, list[tuple]] = {}
    for row in (
        Declaration.objects.filter(
            enterprise_id__in=enterprise_ids, status=Declaration.Status.DECIDED
        )
        .order_by("enterprise_id", "-year", "-submitted_at", "-id")
        .values_list(
            "pk",
            "enterprise_id",
            "permit_number",
            "industry_code",
            "control_type",
            "guarantee_category",
            "address",
            "responsible_person",
            "responsible_mobile",
        )
    ):
        decls.setdefault(row[1], []).append(row)
    if not decls:
        return {}
    rank = {row[0]: i for rows in decls.values() for i, row in enumerate(rows)}
    owner = {row[0]: ent for ent, rows in decls.items() for row in rows}
    categories = dict(Declaration.GuaranteeCategory.choices)
    controls = dict(Declaration.ControlType.choices)
    stages = dict(Vehicle.EmissionStage.choices)
    out: dict[int, Declared] = {}
    for ent, rows in decls.items():
        d = Declared()
        for _pk, _e, permit, code, control, category, address, person, mobile in rows:
            d.responsible_person = d.responsible_person or person
            d.responsible_mobile = d.responsible_mobile or mobile
            d.permit = d.permit or permit
            d.industry_code = d.industry_code or code
            d.address = d.address or address
            d.control = d.control or str(controls.get(control, control))
            if (
                control == Declaration.ControlType.GUARANTEE
                and category
                and not d.guarantee_category
            ):
                d.guarantee_category = str(categories.get(category, category))
        out[ent] = d

    def latest_with(rows: list[tuple]) -> dict[int, list[tuple]]:
        """Per enterprise, the rows of its latest declaration that has any."""
        best: dict[int, int] = {}
        for r in rows:
            ent = owner[r[0]]
            if ent not in best or rank[r[0]] < rank[best[ent]]:
                best[ent] = r[0]
        kept: dict[int, list[tuple]] = {}
        for r in rows:
            if best[owner[r[0]]] == r[0]:
                kept.setdefault(owner[r[0]], []).append(r)
        return kept

    ids = list(owner)
    fuels = MaterialUse.objects.filter(declaration_id__in=ids, kind=MaterialUse.Kind.FUEL).order_by(
        "declaration_id", "id"
    )
    for ent, rows in latest_with(
        list(fuels.values_list("declaration_id", "name", "annual_amount", "unit"))
    ).items():
        out[ent].fuel = SEP.join(f"{name} {_num(amount)}{unit}" for _d, name, amount, unit in rows)
    vehicles = Vehicle.objects.filter(declaration_id__in=ids).order_by("declaration_id", "id")
    for ent, rows in latest_with(
        list(vehicles.values_list("declaration_id", "emission_stage"))
    ).items():
        count = Counter(stage for _d, stage in rows)
        out[ent].vehicles = len(rows)
        out[ent].vehicle_stages = SEP.join(
            f"{stages.get(stage, stage)}{n}辆" for stage, n in sorted(count.items())
        )
    products = ProductCapacity.objects.filter(declaration_id__in=ids).order_by(
        "declaration_id", "id"
    )
    for ent, rows in latest_with(
        list(
            products.values_list(
                "declaration_id",
                "line_id",
                "capacity",
                "last_year_output",
                "unit",
                "line__design_capacity",
            )
        )
    ).items():
        per_line: dict[int, list] = {}
        for _d, line, capacity, output, unit, design in rows:
            cell = per_line.setdefault(line, [Decimal(0), Decimal(0), unit, design])
            cell[0] += capacity or 0
            cell[1] += output or 0
        for line, (capacity, output, unit, design) in per_line.items():
            candidates = [x for x in (capacity, design, output) if x]
            base = min(candidates) if candidates else Decimal(0)
            daily = per_day(base, days.get(ent) or 0)
            unit = (unit or "").removesuffix("/年")
            text = f"{_num(daily)} {unit}/日" if unit else _num(daily)
            out[ent].lines[line] = (float(tonnes(output)), unit, text)
    return out
