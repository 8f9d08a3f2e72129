"""A county's existing list, uploaded in the layout of ``excel_export`` (R-LIST-1, R-LIST-2,
R-LIST-3, R-LIST-4, R-LIST-8, R-GUAR-4).

``import_validate`` reads the workbook and names every problem by Excel row and Chinese column
without writing anything; ``import_apply`` validates again and, only when the file is clean,
saves it in one transaction. Matching is by 统一社会信用代码 and, within the enterprise, by
生产线 + 涉气工序 (the process name alone when it is unique), so importing the same file twice
changes nothing the second time.

An enterprise new to the platform is registered in the county with its main industry, lines,
processes and equipment (through the grading services, with the importing user as actor), and a
grade in the file is recorded as history (历史导入). For an enterprise already registered, the
file must agree with the platform on its county, main industry, grade and small-micro status,
and every process must be one of its air-emitting processes; its master data is not changed.
Columns the platform does not hold (乡镇/街道, 排污许可证编号, 实际产量, 减排基准, 燃料) are read
and ignored, with a warning when they hold anything.

Before openpyxl sees the file: the archive's entry count and uncompressed size are checked
(core.uploads), it must be a workbook, and no XML part may declare a DTD (entity bombs); openpyxl
then parses with defusedxml, which refuses entity declarations a second time.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import openpyxl
from defusedxml import DefusedXmlException
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from core.audit import event_record
from core.uploads import UploadRejected, _check_zip_safety, _ooxml_kind
from emergency_list.models import (
    ACTION_RANK,
    PRINT_ORDER,
    Action,
    AlertLevel,
    EntryMeasure,
    EntryProcess,
    EntryRevision,
    ListEntry,
    TransportRule,
)
from emergency_list.services.entries import (
    POLLUTANTS,
    _require_county_staff,
    entry_snapshot,
    measure_for,
)
from emergency_list.services.excel_export import (
    COL,
    COLUMNS,
    CONTROL_HEATING,
    CONTROL_POWER,
    CONTROL_SEP,
    CONTROL_SMALL,
    EQUIPMENT_SEP,
    HEADER_ROWS,
    LEVEL_NAMES,
    NCOL,
    NO,
    QUANTITY_SEP,
    SHEET_LIST,
    UNGRADED,
    YES,
    column_title,
    header_groups,
)
from emergency_list.services.measures import TemplateIndex, is_weaker
from grading.models import (
    Enterprise,
    EnterpriseIndustry,
    Grade,
    GradeRecord,
    Industry,
    Process,
    Region,
    User,
)
from grading.selectors import indicator_set_in_force
from grading.services.enterprises import IndustryEntry, enterprise_create
from grading.services.grades import (
    _lowest_grade_for,
    enterprise_managed_grade,
    grade_record_add,
)
from grading.services.lines import equipment_save, process_save, production_line_save
from grading.validators import normalize_uscc, validate_uscc

logger = logging.getLogger(__name__)
MAX_IMPORT_ROWS = 50_000  # data rows; a county's list is a few thousand
MAX_SCANNED_ROWS = 200_000  # rows read at all, empty ones included
MAX_ERRORS = 1000
MAX_PROLOG = 64 * 1024
Q4 = Decimal("0.0001")
Q6 = Decimal("0.000001")
TOLERANCE = Decimal("0.0001")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
ROOT_START = re.compile(rb"<[A-Za-z_]")


NOT_XLSX = "文件不是有效的Excel工作簿（xlsx），请用Excel另存后上传"
XML_BOMB = "文件含有XML实体声明（可能为XML炸弹），已拒绝解析"
MALFORMED = "文件无法解析，请确认是用Excel保存的清单文件"


class ImportRefused(Exception):
    """The file as a whole cannot be read: not a workbook, a bomb, the wrong layout."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


class ImportInvalid(ValidationError):
    """``import_apply`` on a file with errors: nothing was saved; ``report`` names them."""

    def __init__(self, report: dict) -> None:
        super().__init__(report.get("file_error") or _("清单文件校验未通过，未导入任何数据"))
        self.report = report


# ---------------------------------------------------------------------------------------------
# The archive, before any XML parser sees it
# ---------------------------------------------------------------------------------------------


def _declares_dtd(fh) -> bool:
    """Whether an XML part declares a DTD before its root element (OOXML never does; entity
    expansion bombs need one). Reads at most MAX_PROLOG bytes."""
    head = b""
    while len(head) < MAX_PROLOG:
        chunk = fh.read(4096)
        if not chunk:
            break
        head += chunk
        text = head
        if text.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = text.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
        root = ROOT_START.search(text)
        prolog = text[: root.start()] if root else text
        if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
            return True
        if root:
            return False
    return len(head) >= MAX_PROLOG  # a prolog this long is not a spreadsheet part


def archive_check(path: Path | str) -> None:
    """Refuse, without parsing, what is not a plain workbook: not a zip, too many entries or
    too large once expanded (zip bomb), not an xlsx, or an XML part with a DTD (XML bomb)."""
    try:
        with zipfile.ZipFile(path) as zf:
            try:
                _check_zip_safety(zf)
            except UploadRejected as exc:
                raise ImportRefused(exc.messages[0], exc.code) from exc
            if _ooxml_kind(zf) != "xlsx":
                raise ImportRefused(_(NOT_XLSX), "not_xlsx")
            for info in zf.infolist():
                if not info.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with zf.open(info) as fh:
                    if _declares_dtd(fh):
                        raise ImportRefused(_(XML_BOMB), "xml_bomb")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportRefused(_(NOT_XLSX), "not_xlsx") from exc


def refused_by_defusedxml(exc: BaseException | None) -> bool:
    """Whether defusedxml refused the XML (openpyxl wraps it in a ValueError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DefusedXmlException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _open_sheet(path: Path | str):
    if not openpyxl.DEFUSEDXML:
        raise ImproperlyConfigured("defusedxml is required to parse uploaded workbooks")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        if refused_by_defusedxml(exc):
            raise ImportRefused(_(XML_BOMB), "xml_bomb") from exc
        raise ImportRefused(_(MALFORMED), "malformed") from exc
    if SHEET_LIST not in wb.sheetnames:
        wb.close()
        raise ImportRefused(
            _("文件缺少“%s”工作表，请使用平台导出的清单格式") % SHEET_LIST, "wrong_layout"
        )
    ws = wb[SHEET_LIST]
    ws.reset_dimensions()  # a file's stated dimension is not trusted
    return wb, ws


# ---------------------------------------------------------------------------------------------
# Parsed file
# ---------------------------------------------------------------------------------------------


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


class _Report:
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


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


class _Row:
    """One worksheet row: values by column, and the per-cell checks that name the column."""

    def __init__(self, number: int, cells, report: _Report) -> None:
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
        return all(_cell_text(self.values[i]) == "" for i in cols)

    def text(self, key: str, *, required: bool = False, max_length: int | None = None) -> str:
        i = COL[key]
        value = _cell_text(self.values[i])
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
            self.error(i, _("应为数字，实际为“%s”") % _cell_text(raw)[:30])
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
        value = _cell_text(raw)
        if value in ("", NO):
            return False
        if value == YES:
            return True
        self.error(i, _("应填“是”或“否”"))
        return False


class _Reference:
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
        self.controls = {CONTROL_POWER, CONTROL_HEATING, CONTROL_SMALL}
        self.index = TemplateIndex()
        self._scheme: dict[int, set[int] | None] = {}
        self._lowest: dict[int, Grade] = {}

    def scheme_grade_ids(self, industry: Industry) -> set[int] | None:
        if industry.pk not in self._scheme:
            s = indicator_set_in_force(industry=industry, on=timezone.localdate())
            self._scheme[industry.pk] = (
                {g.pk for g in s.scheme.grades.all()} if s is not None else None
            )
        return self._scheme[industry.pk]

    def lowest(self, industry: Industry) -> Grade:
        """What a new, ungraded enterprise of ``industry`` will be managed at: the lowest grade
        of its scheme, as ``enterprise_managed_grade`` decides (R-ELIG-4)."""
        if industry.pk not in self._lowest:
            self._lowest[industry.pk] = _lowest_grade_for(industry)
        return self._lowest[industry.pk]


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _check_header(rows) -> None:
    groups = {first: group for group, first, _last in header_groups()}
    for n, row in enumerate(rows, start=1):
        values = [_cell_text(c.value) for c in row[:NCOL]] + [""] * (NCOL - len(row))
        for i, col in enumerate(COLUMNS):
            expected = col.label if n == 2 else groups.get(i)
            if expected is not None and values[i] != expected:
                letter = get_column_letter(i + 1)
                raise ImportRefused(
                    _("表头与清单格式不符：第%(row)d行%(col)s列应为“%(exp)s”，实际为“%(got)s”")
                    % {"row": n, "col": letter, "exp": expected, "got": values[i][:30]},
                    "wrong_layout",
                )


def _parse_group(r: _Row, ref: _Reference) -> GroupData:
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
        r.error(COL["guarantee_scope"], _("保障类企业须写明保障任务范围（R-GUAR-4）"))
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
        r.error(COL["transport_plan"], _("大宗物料运输企业须制定应急运输响应方案（R-LIST-4）"))
    g.gate_system = r.yes_no("gate_system")
    g.responsible_person = r.text("responsible_person", max_length=50)
    g.contact_mobile = r.text("contact_mobile", max_length=20)
    g.note = r.text("note", max_length=300)
    g.ok = r.ok
    return g


def _parse_equipment(r: _Row) -> list[tuple[str, int]]:
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


def _parse_row(r: _Row, ref: _Reference) -> RowData:
    line = r.text("line", max_length=100)
    process = r.text("process", required=True, max_length=100)
    data = RowData(
        row=r.number,
        line=line,
        products=r.text("products", max_length=200),
        capacity=r.decimal("capacity", places=Decimal("0.01"), default=None),
        capacity_unit=r.text("capacity_unit", max_length=20),
        process_name=process,
        equipment=_parse_equipment(r),
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


def _check_rows(g: GroupData, report: _Report, ref: _Reference) -> None:
    """Processes against the enterprise's own (R-LIST-2), reductions against the baseline, the
    levels against each other and the measures against the guide (R-LIST-8)."""
    ent = g.enterprise
    if g.baseline is not None and g.rows:
        report.add(g.baseline_row, COL["process"], _("不能为空"))
        g.ok = False
    seen: dict[tuple[str, str], int] = {}
    if ent is not None:
        by_line: dict[tuple[str, str], list[Process]] = {}
        by_name: dict[str, list[Process]] = {}
        for p in ent.air_processes:
            by_line.setdefault((p.line.name, p.name), []).append(p)
            by_name.setdefault(p.name, []).append(p)
    for row in g.rows:
        key = (row.line, row.process_name)
        if key in seen:
            report.add(
                row.row,
                COL["process"],
                _("工序与第%d行重复") % seen[key],
            )
            row.ok = False
            continue
        seen[key] = row.row
        if ent is not None and row.process_name:
            found = by_line.get(key, []) if row.line else by_name.get(row.process_name, [])
            if not found:
                report.add(
                    row.row,
                    COL["process"],
                    _("“%(line)s%(process)s”不是该企业登记的涉气工序（R-LIST-2）")
                    % {
                        "line": f"{row.line}/" if row.line else "",
                        "process": row.process_name,
                    },
                )
                row.ok = False
            elif len(found) > 1:
                report.add(row.row, COL["line"], _("该企业有多个同名工序，请填写生产线名称"))
                row.ok = False
            else:
                row.process = found[0]
        elif ent is None and not row.line:
            report.add(row.row, COL["line"], _("新登记企业须填写生产线名称"))
            row.ok = False
    if ent is not None:
        listed = {r.process.pk for r in g.rows if r.process is not None}
        matched_all = all(r.process is not None for r in g.rows)
        missing = [p for p in ent.air_processes if p.pk not in listed]
        if missing and matched_all:
            report.add(
                g.row,
                COL["process"],
                _("企业登记的涉气工序未列入清单：%s（R-LIST-2）")
                % "、".join(f"{p.line.name}/{p.name}" for p in missing[:10]),
            )
            g.ok = False
    for row in g.rows:  # a day's cut cannot exceed a day's emissions
        if not row.ok:
            continue
        daily = {p: row.tpa[p] / g.operating_days for p in POLLUTANTS}
        for level in PRINT_ORDER:
            for p in POLLUTANTS:
                if row.measures[level].cuts[p] > daily[p] + TOLERANCE:
                    report.add(
                        row.row,
                        COL[f"{level}_{p}"],
                        _("减排量大于该工序日均排放量（%s吨/日）") % daily[p].quantize(Q4),
                    )
                    row.ok = False
    if not g.ok or g.industry is None:
        return  # the guide's measures depend on a valid grade, industry and flags
    probe = _probe_entry(g, ref)
    for row in g.rows:
        if not row.ok:
            continue
        ep = EntryProcess(**{f"{p}_tpa": row.tpa[p] for p in POLLUTANTS})
        for level in PRINT_ORDER:
            m = row.measures[level]
            expected = measure_for(probe, ep, level, ref.index, g.industry.pk)
            if is_weaker(
                action=m.action,
                ratio=m.ratio,
                than_action=expected.action,
                than_ratio=expected.ratio_pct,
            ):
                report.add(
                    row.row,
                    COL[f"{level}_action"],
                    _(
                        "措施弱于技术指南要求（应不低于“%(action)s%(ratio)s”），地方措施只能从严（R-LIST-8）"
                    )
                    % {
                        "action": Action(expected.action).label,
                        "ratio": f"{expected.ratio_pct}%" if expected.ratio_pct else "",
                    },
                )
                row.ok = False
        for stronger, weaker in zip(PRINT_ORDER, PRINT_ORDER[1:], strict=False):
            a, b = row.measures[stronger], row.measures[weaker]
            if is_weaker(action=a.action, ratio=a.ratio, than_action=b.action, than_ratio=b.ratio):
                report.add(
                    row.row,
                    COL[f"{stronger}_action"],
                    _("%(a)s措施不能弱于%(b)s措施")
                    % {"a": LEVEL_NAMES[stronger], "b": LEVEL_NAMES[weaker]},
                )
                row.ok = False


def _managed_grade(g: GroupData, ref: _Reference) -> Grade:
    if g.enterprise is not None:
        return enterprise_managed_grade(g.enterprise)
    return g.grade if g.graded else ref.lowest(g.industry)


def _probe_entry(g: GroupData, ref: _Reference) -> ListEntry:
    """An unsaved entry with the file's flags, to ask ``measure_for`` what the guide requires."""
    ent = g.enterprise or Enterprise(is_small_micro=g.is_small_micro)
    return ListEntry(
        enterprise=ent,
        grade=_managed_grade(g, ref),
        is_guarantee=g.is_guarantee,
        guarantee_scope=g.guarantee_scope,
        is_power_plant=g.is_power_plant,
        is_heating_boiler=g.is_heating_boiler,
        operating_days=g.operating_days,
    )


def _match_enterprises(groups: list[GroupData], report: _Report, ref: _Reference) -> None:
    codes = [g.uscc for g in groups if g.uscc]
    processes = (
        Process.objects.filter(is_air_emitting=True)
        .select_related("line")
        .order_by("line_id", "id")
    )
    found = {
        e.uscc: e
        for e in Enterprise.objects.filter(uscc__in=codes)
        .select_related("overall_grade")
        .prefetch_related(
            Prefetch("industries", queryset=EnterpriseIndustry.objects.select_related("industry"))
        )
    }
    by_ent: dict[int, list[Process]] = {}
    for p in processes.filter(line__enterprise__in=list(found.values())):
        by_ent.setdefault(p.line.enterprise_id, []).append(p)
    for g in groups:
        ent = found.get(g.uscc)
        if ent is None:
            continue
        if ent.county_id != ref.county.pk:
            report.add(
                g.row,
                COL["uscc"],
                _("该统一社会信用代码的企业已登记在其他县（市、区），不能列入本县清单"),
            )
            g.ok = False
            continue
        ent.air_processes = by_ent.get(ent.pk, [])
        g.enterprise = ent
        main = next((r for r in ent.industries.all() if r.is_main), None)
        if g.industry is not None and (main is None or main.industry_id != g.industry.pk):
            report.add(
                g.row,
                COL["industry"],
                _("与平台登记的主行业（%s）不一致") % (main.industry.name if main else _("无")),
            )
            g.ok = False
        platform_grade = ent.overall_grade.name if ent.overall_grade_id else UNGRADED
        file_grade = g.grade.name if g.graded and g.grade else UNGRADED
        if (g.grade is not None or not g.graded) and platform_grade != file_grade:
            report.add(
                g.row,
                COL["grade"],
                _("与平台记录的绩效等级（%s）不一致；绩效等级以审核认定结果为准") % platform_grade,
            )
            g.ok = False
        if g.is_small_micro != ent.is_small_micro:
            report.add(
                g.row,
                COL["control"],
                _("“小微涉气企业”与企业登记信息不一致（登记为：%s）")
                % (YES if ent.is_small_micro else NO),
            )
            g.ok = False
        if g.name and g.name != ent.name:
            report.warnings.append(
                _("第%(row)d行：企业名称与平台登记（%(name)s）不同，以平台登记为准")
                % {"row": g.row, "name": ent.name}
            )


def _read(county: Region, year: int, path: Path | str) -> tuple[dict, list[GroupData]]:
    """Parse and validate; returns the report and, when it is clean, the groups to save."""
    report = _Report()
    base = {
        "ok": False,
        "file_error": "",
        "file_error_code": "",
        "errors": [],
        "error_rows": [],
        "warnings": [],
        "truncated": False,
        "enterprises": 0,
        "rows": 0,
        "new_enterprises": 0,
    }
    try:
        archive_check(path)
        wb, ws = _open_sheet(path)
    except ImportRefused as exc:
        return {**base, "file_error": exc.message, "file_error_code": exc.code}, []
    ref = _Reference(county)
    groups: list[GroupData] = []
    seen_uscc: dict[str, int] = {}
    ignored = set()
    n_rows = 0
    try:
        rows = ws.iter_rows(max_col=NCOL)
        header = []
        for _i in range(HEADER_ROWS):
            header.append(next(rows, ()))
        _check_header(header)
        ent_cols = [i for i, c in enumerate(COLUMNS) if c.enterprise]
        unstored = [i for i, c in enumerate(COLUMNS) if not c.stored]
        emission_cols = [COL[p] for p in POLLUTANTS]
        process_cols = [i for i in range(NCOL) if i not in ent_cols and i not in emission_cols]
        current: GroupData | None = None
        for number, cells in enumerate(rows, start=HEADER_ROWS + 1):
            if number > MAX_SCANNED_ROWS + HEADER_ROWS:
                raise ImportRefused(
                    _("文件行数过多（超过%d行），请按县（市、区）分别导入") % MAX_SCANNED_ROWS,
                    "too_many_rows",
                )
            r = _Row(number, cells, report)
            if r.empty() and r.ok:
                continue
            n_rows += 1
            if n_rows > MAX_IMPORT_ROWS:
                raise ImportRefused(
                    _("数据行数超过%d行，请按县（市、区）分别导入") % MAX_IMPORT_ROWS,
                    "too_many_rows",
                )
            ignored.update(COLUMNS[i].label for i in unstored if _cell_text(r.values[i]))
            uscc = normalize_uscc(_cell_text(r.values[COL["uscc"]]))
            continues = current is not None and (
                (not uscc and r.empty(ent_cols)) or (uscc and uscc == current.uscc)
            )
            if not continues:
                if current is None and not uscc and r.empty(ent_cols):
                    r.error(COL["uscc"], _("缺少企业信息（该行之前没有企业）"))
                    continue
                current = _parse_group(r, ref)
                if current.uscc and current.uscc in seen_uscc:
                    first = seen_uscc[current.uscc]
                    message = _("该企业已在第%d行列出，同一企业的工序应连续填写") % first
                    r.error(COL["uscc"], message)
                    current.ok = False
                elif current.uscc:
                    seen_uscc[current.uscc] = number
                groups.append(current)
            if r.empty(process_cols):
                if not r.empty(emission_cols):  # an enterprise without air processes
                    current.baseline = {p: r.decimal(p) for p in POLLUTANTS}
                    current.baseline_row = number
                    current.ok = current.ok and r.ok
                continue
            current.rows.append(_parse_row(r, ref))
    except ImportRefused as exc:
        wb.close()
        return {**base, "file_error": exc.message, "file_error_code": exc.code}, []
    except Exception as exc:
        wb.close()
        if refused_by_defusedxml(exc):
            return {**base, "file_error": _(XML_BOMB), "file_error_code": "xml_bomb"}, []
        logger.warning("list import: unreadable workbook %s", path, exc_info=True)
        return {
            **base,
            "file_error": _(MALFORMED),
            "file_error_code": "malformed",
        }, []
    wb.close()
    if not groups:
        return {**base, "file_error": _("文件中没有清单数据"), "file_error_code": "empty"}, []
    _match_enterprises(groups, report, ref)
    for g in groups:
        _check_rows(g, report, ref)
    if ignored:
        report.warnings.append(_("以下列的内容平台暂不保存：%s") % "、".join(sorted(ignored)))
    listed = {g.uscc for g in groups}
    absent = list(
        Enterprise.objects.filter(county=county)
        .exclude(uscc__in=listed)
        .order_by("name")
        .values_list("name", flat=True)[:11]
    )
    if absent:
        report.warnings.append(
            _("本县已登记企业未列入文件（R-LIST-1，每家涉气企业都应列入清单）：%s")
            % "、".join(absent[:10])
            + ("等" if len(absent) > 10 else "")
        )
    out = {
        **base,
        "ok": not report.error_rows,
        "errors": sorted(report.errors, key=lambda e: e["row"]),
        "error_rows": sorted(report.error_rows),
        "warnings": report.warnings,
        "truncated": report.truncated,
        "enterprises": len(groups),
        "rows": n_rows,
        "new_enterprises": sum(1 for g in groups if g.enterprise is None),
    }
    return out, groups


def import_validate(*, county: Region, year: int, path: Path | str) -> dict:
    """Read and check the file; write nothing. The report (JSON-ready) has ``ok``, a
    ``file_error`` when the file as a whole is refused, and ``errors`` as
    ``{"row": Excel row, "column": Chinese column name, "message"}``."""
    with translation.override("zh-hans"):
        report, _groups = _read(county, year, path)
    return report


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------


def _create_enterprise(g: GroupData, actor: User, county: Region) -> Enterprise:
    totals = g.totals()
    ent = enterprise_create(
        actor=actor,
        data={
            "name": g.name,
            "uscc": g.uscc,
            "county": county,
            "address": g.address,
            "longitude": g.longitude,
            "latitude": g.latitude,
            "contact_person": g.responsible_person,
            "contact_mobile": g.contact_mobile if MOBILE.match(g.contact_mobile) else "",
            "production_status": g.status,
            "is_small_micro": g.is_small_micro,
        },
        industries=[
            IndustryEntry(
                industry=g.industry,
                **{
                    f"{p}_tpa": totals[p].quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
                    for p in POLLUTANTS
                },
            )
        ],
    )
    main = ent.industries.get(is_main=True)
    lines = {}
    for row in g.rows:
        line = lines.get(row.line)
        if line is None:
            line = lines[row.line] = production_line_save(
                actor=actor,
                enterprise=ent,
                data={
                    "name": row.line,
                    "products": row.products,
                    "design_capacity": row.capacity,
                    "capacity_unit": row.capacity_unit,
                    "industry": main,
                },
            )
        row.process = process_save(
            actor=actor, line=line, data={"name": row.process_name, "is_air_emitting": True}
        )
        for name, qty in row.equipment:
            equipment_save(actor=actor, process=row.process, data={"name": name, "quantity": qty})
    if g.graded:
        grade_record_add(
            actor=actor,
            enterprise=ent,
            industry=g.industry,
            grade=g.grade,
            effective_from=timezone.localdate(),
            source=GradeRecord.Source.IMPORT,
            reason=_("应急减排清单导入：原清单所载绩效等级"),
        )
    return Enterprise.objects.select_related("overall_grade").get(pk=ent.pk)


_ENTRY_FIELDS = (
    "is_guarantee",
    "guarantee_scope",
    "is_power_plant",
    "is_heating_boiler",
    "bulk_transport",
    "transport_plan",
    "gate_system",
    "responsible_person",
    "contact_mobile",
    "operating_days",
    "note",
)


def _wanted(g: GroupData, entry: ListEntry, index: TemplateIndex):
    """The entry's content as the file states it: (entry fields, [(process, tpa, measures)])."""
    fields = {f: getattr(g, f) for f in _ENTRY_FIELDS}
    fields.update({f"{p}_tpa": v for p, v in g.totals().items()})
    processes = []
    for row in g.rows:
        ep = EntryProcess(process=row.process, **{f"{p}_tpa": row.tpa[p] for p in POLLUTANTS})
        measures = []
        for level in AlertLevel.values:
            m = row.measures[level]
            expected = measure_for(entry, ep, level, index, g.industry.pk)
            stricter = ACTION_RANK[m.action] != ACTION_RANK[expected.action] or m.ratio != (
                expected.ratio_pct or Decimal(0)
            )
            measures.append(
                EntryMeasure(
                    level=level,
                    action=m.action,
                    ratio_pct=m.ratio,
                    transport_rule=m.transport,
                    text=m.text,
                    template=expected.template,
                    is_override=stricter,
                    override_reason=_("导入清单：县级加严措施") if stricter else "",
                    **{f"{p}_td": m.cuts[p] for p in POLLUTANTS},
                )
            )
        processes.append((ep, measures))
    return fields, processes


def _signature(fields: dict, processes) -> tuple:
    return (
        tuple(sorted((k, str(v)) for k, v in fields.items())),
        tuple(
            (
                ep.process_id,
                tuple(str(getattr(ep, f"{p}_tpa")) for p in POLLUTANTS),
                tuple(
                    (
                        m.level,
                        m.action,
                        str(Decimal(m.ratio_pct).quantize(Decimal("0.01"))),
                        m.transport_rule,
                        m.text,
                        tuple(str(Decimal(getattr(m, f"{p}_td")).quantize(Q4)) for p in POLLUTANTS),
                    )
                    for m in sorted(ms, key=lambda m: m.level)
                ),
            )
            for ep, ms in sorted(processes, key=lambda pm: pm[0].process_id)
        ),
    )


def _stored(entry: ListEntry):
    fields = {f: getattr(entry, f) for f in _ENTRY_FIELDS}
    fields.update({f"{p}_tpa": getattr(entry, f"{p}_tpa") for p in POLLUTANTS})
    processes = [
        (ep, list(ep.measures.all()))
        for ep in entry.processes.order_by("id").prefetch_related("measures")
    ]
    return fields, processes


def _normal(fields: dict) -> dict:
    return {k: (Decimal(v).quantize(Q4) if k.endswith("_tpa") else v) for k, v in fields.items()}


def _save_group(
    g: GroupData, *, actor: User, county: Region, year: int, index: TemplateIndex, counts: dict
) -> None:
    if g.enterprise is None:
        g.enterprise = _create_enterprise(g, actor, county)
        counts["enterprises_created"] += 1
    ent = (
        Enterprise.objects.prefetch_related(
            Prefetch("industries", queryset=EnterpriseIndustry.objects.select_related("industry"))
        )
        .select_related("overall_grade", "county")
        .get(pk=g.enterprise.pk)
    )
    grade = enterprise_managed_grade(ent)
    entry = ListEntry.objects.select_for_update().filter(year=year, enterprise=ent).first()
    created = entry is None
    if created:
        entry = ListEntry(year=year, enterprise=ent, county=county, grade=grade)
    entry.enterprise = ent
    probe = ListEntry(
        enterprise=ent,
        grade=grade,
        **{f: getattr(g, f) for f in _ENTRY_FIELDS},
    )
    fields, processes = _wanted(g, probe, index)
    if not created:
        same_head = (
            entry.county_id == county.pk
            and entry.grade_id == grade.pk
            and entry.graded == (ent.overall_grade_id is not None)
        )
        stored_fields, stored_processes = _stored(entry)
        if same_head and _signature(_normal(fields), processes) == _signature(
            _normal(stored_fields), stored_processes
        ):
            counts["entries_unchanged"] += 1
            return
        EntryRevision.objects.create(
            entry=entry,
            revision=entry.revision,
            changed_by=actor,
            reason=_("导入清单"),
            snapshot=entry_snapshot(entry),
        )
        entry.revision += 1
        EntryProcess.objects.filter(entry=entry).delete()
    entry.county, entry.grade = county, grade
    entry.graded = ent.overall_grade_id is not None
    for k, v in fields.items():
        setattr(entry, k, v)
    entry.save()
    for ep, _measures in processes:
        ep.entry = entry
    EntryProcess.objects.bulk_create([ep for ep, _m in processes])
    measures = []
    for ep, ms in processes:
        for m in ms:
            m.entry_process = ep
            measures.append(m)
    EntryMeasure.objects.bulk_create(measures)
    counts["entries_created" if created else "entries_updated"] += 1
    event_record(
        code="list.entry.imported",
        actor=actor,
        target=entry,
        summary=_("%(year)s年清单导入：%(ent)s（%(grade)s）")
        % {"year": year, "ent": ent.name, "grade": grade.name},
    )


def import_apply(*, actor: User, county: Region, year: int, path: Path | str) -> dict:
    """Validate again and save the whole file in one transaction, or nothing (``ImportInvalid``
    carries the report). Idempotent: a second run of the same file changes nothing."""
    _require_county_staff(actor, county)
    with translation.override("zh-hans"), transaction.atomic():
        report, groups = _read(county, year, path)
        if not report["ok"]:
            raise ImportInvalid(report)
        counts = {
            "enterprises_created": 0,
            "entries_created": 0,
            "entries_updated": 0,
            "entries_unchanged": 0,
            "rows": report["rows"],
        }
        index = TemplateIndex()
        for g in groups:
            _save_group(g, actor=actor, county=county, year=year, index=index, counts=counts)
        event_record(
            code="list.imported",
            actor=actor,
            target=county,
            summary=_("导入%(year)s年应急减排清单：%(n)d家企业") % {"year": year, "n": len(groups)},
            data=counts,
        )
    return counts
