"""Reading the 工业源 sheet of an upload: each row's cells by column, the enterprise of a group
of rows and its processes, each value checked where it stands, every problem named by Excel
row and Chinese column (``Report``)."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from declarations.models import Declaration
from emergency_list.excel.archive import ImportRefused
from emergency_list.excel.layout import (
    COL,
    COLUMNS,
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
    column_title,
    header_groups,
)
from emergency_list.models import PRINT_ORDER, Action, TransportRule
from emergency_list.services.entries import POLLUTANTS
from emergency_list.services.measures import TemplateIndex
from grading.models import Enterprise, Grade, Industry, Process, Region
from grading.selectors import indicator_set_in_force
from grading.validators import normalize_uscc, validate_uscc

MAX_ERRORS = 1000
Q4 = Decimal("0.0001")
Q6 = Decimal("0.000001")
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass
class MeasureData:
    level: str
    action: str
    ratio: Decimal
    transport: str
    text: str
    cuts: dict[str, Decimal]


@dataclass
class RowData:
    row: int
    line: str
    products: str
    capacity: Decimal | None
    capacity_unit: str
    process_name: str
    equipment: list[tuple[str, int]]
    tpa: dict[str, Decimal]
    measures: dict[str, MeasureData]
    ok: bool = True
    process: Process | None = None


@dataclass
class GroupData:
    row: int
    uscc: str = ""
    name: str = ""
    address: str = ""
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    industry: Industry | None = None
    grade: Grade | None = None
    graded: bool = False
    is_guarantee: bool = False
    guarantee_scope: str = ""
    is_power_plant: bool = False
    is_heating_boiler: bool = False
    is_small_micro: bool = False
    status: str = Enterprise.ProductionStatus.RUNNING
    operating_days: int = 300
    bulk_transport: bool = False
    transport_plan: str = ""
    gate_system: bool = False
    responsible_person: str = ""
    contact_mobile: str = ""
    note: str = ""
    rows: list[RowData] = field(default_factory=list)
    baseline: dict[str, Decimal] | None = None  # an enterprise without air processes
    baseline_row: int = 0
    enterprise: Enterprise | None = None
    ok: bool = True

    def totals(self) -> dict[str, Decimal]:
        if self.baseline is not None and not self.rows:
            return dict(self.baseline)
        return {p: sum((r.tpa[p] for r in self.rows), Decimal(0)) for p in POLLUTANTS}


class Report:
    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.error_rows: set[int] = set()
        self.warnings: list[str] = []
        self.truncated = False

    def add(self, row: int, col: int | str, message: str) -> None:
        self.error_rows.add(row)
        if len(self.errors) >= MAX_ERRORS:
            self.truncated = True
            return
        column = column_title(col) if isinstance(col, int) else col
        self.errors.append({"row": row, "column": column, "message": message})


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


class SheetRow:
    """One worksheet row: values by column, and the per-cell checks that name the column."""

    def __init__(self, number: int, cells, report: Report) -> None:
        self.number = number
        self.report = report
        self.values = [None] * NCOL
        self.ok = True
        for i, cell in enumerate(cells[:NCOL]):
            if cell.data_type == "f":
                self.error(i, _("单元格含公式，平台不接受公式，请改为数值或文字"))
                continue
            self.values[i] = cell.value

    def error(self, col: int, message: str) -> None:
        self.ok = False
        self.report.add(self.number, col, message)

    def empty(self, cols=None) -> bool:
        cols = range(NCOL) if cols is None else cols
        return all(cell_text(self.values[i]) == "" for i in cols)

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        i = COL[key]
        value = cell_text(self.values[i])
        if required and not value:
            self.error(i, _("不能为空"))
        elif max_length and len(value) > max_length:
            self.error(i, _("不能超过%d个字") % max_length)
            value = value[:max_length]
        return value

    def decimal(
        self,
        key: str,
        *,
        places: Decimal = Q4,
        maximum: Decimal | None = None,
        default: Decimal | None = Decimal(0),
    ) -> Decimal | None:
        i = COL[key]
        raw = self.values[i]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return default
        if isinstance(raw, bool | datetime | date):
            self.error(i, _("应为数字"))
            return None
        try:
            value = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            self.error(i, _("应为数字，实际为“%s”") % cell_text(raw)[:30])
            return None
        if not value.is_finite():
            self.error(i, _("应为数字"))
            return None
        if value < 0:
            self.error(i, _("不能为负数"))
            return None
        if maximum is not None and value > maximum:
            self.error(i, _("不能大于%s") % maximum)
            return None
        if value >= Decimal(10) ** 10:
            self.error(i, _("数值过大"))
            return None
        return value.quantize(places, rounding=ROUND_HALF_UP)

    def yes_no(self, key: str) -> bool:
        i = COL[key]
        raw = self.values[i]
        if isinstance(raw, bool):
            return raw
        value = cell_text(raw)
        if value in ("", NO):
            return False
        if value == YES:
            return True
        self.error(i, _("应填“是”或“否”"))
        return False


class Reference:
    """Reference data resolved once per file."""

    def __init__(self, county: Region) -> None:
        self.county = county
        self.city_name = county.name if county.level == Region.Level.CITY else county.parent.name
        self.industries: dict[str, Industry] = {}
        for ind in Industry.objects.filter(is_active=True):
            self.industries[ind.name] = ind
            self.industries[ind.code] = ind
        self.grades: dict[str, Grade] = {}
        for g in Grade.objects.all():
            self.grades[g.name] = g
            self.grades[g.code] = g
        self.actions = {str(label): value for value, label in Action.choices}
        self.transport = {str(label): value for value, label in TransportRule.choices}
        self.statuses = {str(label): value for value, label in Enterprise.ProductionStatus.choices}
        # The declared control types the export writes where no flag applies are read, not
        # stored (they come from the declaration).
        self.controls = {CONTROL_POWER, CONTROL_HEATING, CONTROL_SMALL} | {
            str(label) for label in Declaration.ControlType.labels
        }
        self.index = TemplateIndex()
        self._sets: dict[int, object] = {}
        self._scheme: dict[int, set[int] | None] = {}
        self._lowest: dict[int, Grade] = {}

    def _indicator_set(self, industry: Industry):
        if industry.pk not in self._sets:
            self._sets[industry.pk] = indicator_set_in_force(
                industry=industry, on=timezone.localdate()
            )
        return self._sets[industry.pk]

    def scheme_grade_ids(self, industry: Industry) -> set[int] | None:
        """The grades of the industry's scheme in force (None: no scheme, any grade)."""
        if industry.pk not in self._scheme:
            s = self._indicator_set(industry)
            self._scheme[industry.pk] = (
                {g.pk for g in s.scheme.grades.all()} if s is not None else None
            )
        return self._scheme[industry.pk]

    def lowest(self, industry: Industry) -> Grade:
        """What a new, ungraded enterprise of ``industry`` will be managed at (R-ELIG-4): the
        lowest grade of the scheme in force, or the most severe grade without one, as
        ``enterprise_managed_grade`` decides for a registered enterprise."""
        if industry.pk not in self._lowest:
            s = self._indicator_set(industry)
            self._lowest[industry.pk] = (
                s.scheme.lowest() if s is not None else Grade.objects.order_by("-severity").first()
            )
        return self._lowest[industry.pk]


def check_header(rows) -> None:
    groups = {first: group for group, first, _last in header_groups()}
    for n, row in enumerate(rows, start=1):
        values = [cell_text(c.value) for c in row[:NCOL]] + [""] * (NCOL - len(row))
        for i, col in enumerate(COLUMNS):
            expected = col.label if n == 2 else groups.get(i)
            if expected is not None and values[i] != expected:
                letter = get_column_letter(i + 1)
                raise ImportRefused(
                    _("表头与清单格式不符：第%(row)d行%(col)s列应为“%(exp)s”，实际为“%(got)s”")
                    % {"row": n, "col": letter, "exp": expected, "got": values[i][:30]},
                    "wrong_layout",
                )


def parse_group(r: SheetRow, ref: Reference) -> GroupData:
    g = GroupData(row=r.number)
    raw_uscc = r.text("uscc", required=True)
    if raw_uscc:
        g.uscc = normalize_uscc(raw_uscc)
        try:
            validate_uscc(g.uscc)
        except ValidationError as exc:
            r.error(COL["uscc"], exc.messages[0])
    county_name = r.text("county", required=True)
    if county_name and county_name != ref.county.name:
        r.error(COL["county"], _("应为本次导入的县（市、区）“%s”") % ref.county.name)
    city_name = r.text("city")
    if city_name and city_name != ref.city_name:
        r.error(COL["city"], _("应为“%s”") % ref.city_name)
    g.name = r.text("name", required=True, max_length=200)
    g.address = r.text("address", max_length=300)
    g.longitude = r.decimal("longitude", places=Q6, maximum=Decimal(180), default=None)
    g.latitude = r.decimal("latitude", places=Q6, maximum=Decimal(90), default=None)
    industry = r.text("industry", required=True)
    if industry:
        g.industry = ref.industries.get(industry)
        if g.industry is None:
            r.error(COL["industry"], _("行业“%s”不在重点行业名录中") % industry[:30])
    grade = r.text("grade", required=True)
    if grade and grade != UNGRADED:
        g.grade = ref.grades.get(grade)
        g.graded = True
        if g.grade is None:
            r.error(COL["grade"], _("绩效等级“%s”无法识别") % grade[:20])
        elif g.industry is not None:
            allowed = ref.scheme_grade_ids(g.industry)
            if allowed is not None and g.grade.pk not in allowed:
                r.error(
                    COL["grade"],
                    _("“%(grade)s”不属于%(industry)s行业的分级体系")
                    % {"grade": g.grade.name, "industry": g.industry.name},
                )
    g.is_guarantee = r.yes_no("guarantee")
    g.guarantee_scope = r.text("guarantee_scope", max_length=300)
    if g.is_guarantee and not g.guarantee_scope:
        r.error(COL["guarantee_scope"], _("保障类企业须写明保障任务范围"))
    control = r.text("control")
    tokens = {t.strip() for t in control.split(CONTROL_SEP) if t.strip()} if control else set()
    unknown = tokens - ref.controls
    if unknown:
        r.error(
            COL["control"],
            _("管控类型只能填写%(allowed)s，不能填写“%(got)s”")
            % {
                "allowed": CONTROL_SEP.join((CONTROL_POWER, CONTROL_HEATING, CONTROL_SMALL)),
                "got": CONTROL_SEP.join(sorted(unknown))[:30],
            },
        )
    g.is_power_plant = CONTROL_POWER in tokens
    g.is_heating_boiler = CONTROL_HEATING in tokens
    g.is_small_micro = CONTROL_SMALL in tokens
    status = r.text("status")
    if status:
        if status in ref.statuses:
            g.status = ref.statuses[status]
        else:
            r.error(COL["status"], _("生产状态应为%s之一") % "、".join(ref.statuses))
    days = r.decimal("operating_days", places=Decimal(1), maximum=Decimal(366), default=None)
    if days is not None:
        if days < 1:
            r.error(COL["operating_days"], _("应在1到366之间"))
        else:
            g.operating_days = int(days)
    g.bulk_transport = r.yes_no("bulk_transport")
    g.transport_plan = r.text("transport_plan")
    if g.bulk_transport and not g.transport_plan:
        r.error(COL["transport_plan"], _("大宗物料运输企业须制定应急运输响应方案"))
    g.gate_system = r.yes_no("gate_system")
    g.responsible_person = r.text("responsible_person", max_length=50)
    g.contact_mobile = r.text("contact_mobile", max_length=20)
    g.note = r.text("note", max_length=300)
    g.ok = r.ok
    return g


def parse_equipment(r: SheetRow) -> list[tuple[str, int]]:
    text = r.text("equipment")
    out = []
    for token in (t.strip() for t in text.split(EQUIPMENT_SEP)) if text else ():
        if not token:
            continue
        name, sep, qty = token.rpartition(QUANTITY_SEP)
        if not sep:
            name, qty = token, "1"
        if not qty.isdigit() or int(qty) < 1 or not name.strip() or len(name) > 100:
            r.error(COL["equipment"], _("主要设备应写作“设备名称×数量”，以“、”分隔"))
            return []
        out.append((name.strip(), int(qty)))
    return out


def parse_row(r: SheetRow, ref: Reference) -> RowData:
    line = r.text("line", max_length=100)
    process = r.text("process", required=True, max_length=100)
    data = RowData(
        row=r.number,
        line=line,
        products=r.text("products", max_length=200),
        capacity=r.decimal("capacity", places=Decimal("0.01"), default=None),
        capacity_unit=r.text("capacity_unit", max_length=20),
        process_name=process,
        equipment=parse_equipment(r),
        tpa={p: r.decimal(p) for p in POLLUTANTS},
        measures={},
    )
    for level in PRINT_ORDER:
        action_label = r.text(f"{level}_action", required=True)
        action = ref.actions.get(action_label)
        if action_label and action is None:
            r.error(COL[f"{level}_action"], _("措施类型应为%s之一") % "、".join(ref.actions))
        transport_label = r.text(f"{level}_transport")
        transport = ref.transport.get(transport_label) if transport_label else TransportRule.NONE
        if transport is None:
            r.error(COL[f"{level}_transport"], _("运输管控应为%s之一") % "、".join(ref.transport))
        data.measures[level] = MeasureData(
            level=level,
            action=action or "",
            ratio=r.decimal(f"{level}_ratio", places=Decimal("0.01"), maximum=Decimal(100)),
            transport=transport or TransportRule.NONE,
            text=r.text(f"{level}_text", required=True),
            cuts={p: r.decimal(f"{level}_{p}") for p in POLLUTANTS},
        )
    data.ok = r.ok
    return data
