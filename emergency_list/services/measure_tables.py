"""An industry's measure table (R-LIST-8: grade × alert level → measure) uploaded by the
administrator from an Excel file in the documented template, per guideline version.

The file is checked row by row before anything is saved; the version's table of the industry is
then replaced as a whole. The list takes the table of the version in force for the industry
(``measures.TemplateIndex``); an industry without one falls back to the local general pattern,
which the completeness page (``selectors.measure_completeness``) lists as missing."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from core.audit import event_record
from core.tables import template_rows
from emergency_list.models import (
    LEVEL_RANK,
    Action,
    AlertLevel,
    CountingUnit,
    MeasureTemplate,
    TransportRule,
)
from grading.models import GradeScheme, GuidelineVersion, Industry, User
from grading.rules import allows

SHEET = "减排措施"
HEAD = (
    "绩效等级",
    "起始预警级别",
    "截止预警级别",
    "措施类型",
    "比例（%）",
    "计量单元",
    "减排基准",
    "运输管控",
    "措施原文",
    "来源",
)
MAX_BYTES = 2 * 1024 * 1024
MAX_TEXT = 2000
NEEDS_RATIO = (Action.LIMIT,)


class MeasureTableInvalid(ValidationError):
    """The file was refused; ``problems`` lists (row number, message), row 0 for the file."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__(
            [(_("第%(row)d行：%(msg)s") % {"row": r, "msg": m}) if r else m for r, m in problems]
        )


@dataclass
class MeasureImportResult:
    created: int = 0
    removed: int = 0
    missing: list[str] = field(default_factory=list)  # grades without a measure at some level


def _labels(choices) -> dict[str, str]:
    return {str(label): value for value, label in choices}


def _require_admin(actor: User) -> None:
    if not allows(actor, "emergency_list.edit_measure_tables"):
        raise PermissionDenied(_("只有系统管理员可以维护行业减排措施表"))


def table_template(*, industry: Industry, version: GuidelineVersion, scheme: GradeScheme) -> bytes:
    """The template, filled with the version's table (else the shipped measures of the
    industry), with drop-downs for the coded columns and a sheet that documents each column."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(HEAD))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    existing = list(
        MeasureTemplate.objects.filter(industry=industry, guideline_version=version).select_related(
            "grade"
        )
    ) or list(
        MeasureTemplate.objects.filter(
            industry=industry, guideline_version__isnull=True
        ).select_related("grade")
    )
    allowed = {g.pk for g in scheme.ordered_grades()}
    for t in sorted(existing, key=lambda t: (t.grade.severity, LEVEL_RANK[t.level_from])):
        if t.grade_id not in allowed:
            continue
        ws.append(
            [
                t.grade.name,
                t.get_level_from_display(),
                t.get_level_to_display() if t.level_to else "",
                t.get_action_display(),
                float(t.ratio_pct) if t.ratio_pct is not None else None,
                t.get_unit_display() if t.unit else "",
                t.basis,
                t.get_transport_rule_display(),
                t.text,
                t.source,
            ]
        )
    for i, w in enumerate((10, 12, 12, 12, 10, 12, 30, 30, 60, 30)):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    lists = (
        ("A", [g.name for g in scheme.ordered_grades()]),
        ("B", [str(x) for x in AlertLevel.labels]),
        ("C", [str(x) for x in AlertLevel.labels]),
        ("D", [str(x) for x in Action.labels]),
        ("F", [str(x) for x in CountingUnit.labels]),
        ("H", [str(x) for x in TransportRule.labels]),
    )
    doc = wb.create_sheet("说明")
    doc.column_dimensions["A"].width = 16
    doc.column_dimensions["B"].width = 90
    for line in (
        (_("行业"), f"{industry.name}（{industry.code}）"),
        (_("指南版本"), f"{version.name}（{version.code}）"),
        (_("分级体系"), scheme.name),
        ("", ""),
        (_("绩效等级"), _("必填，本行业分级体系中的等级名称：%s") % "、".join(lists[0][1])),
        (
            _("起始预警级别"),
            _("必填：黄色、橙色或红色；措施自该级别起适用（“橙色及以上”填橙色）。"),
        ),
        (_("截止预警级别"), _("选填：措施适用的最高级别；留空表示该级别及以上均适用。")),
        (_("措施类型"), _("必填：%s。") % "、".join(lists[3][1])),
        (_("比例（%）"), _("限产必填（0-100）；停产、停工序留空表示全部停止。")),
        (_("计量单元"), _("选填：%s。") % "、".join(lists[4][1])),
        (
            _("减排基准"),
            _("选填，留空为“环评批复产能、排污许可载明产能、前一年实际产量”三者日均值的最小值。"),
        ),
        (_("运输管控"), _("选填：%s；留空为无。") % "、".join(lists[5][1])),
        (_("措施原文"), _("必填，技术指南或地方预案的措施原文。")),
        (_("来源"), _("选填，文件名称或网址。")),
        ("", ""),
        (
            _("上传规则"),
            _(
                "整表上传：本行业本版本的措施以上传文件为准，逐行检查，任一行有错则不保存。"
                "每个等级在黄色、橙色、红色预警下都应有措施，缺少的在完整性页面列出。"
            ),
        ),
    ):
        doc.append(list(map(str, line)))
    for col, values in lists:
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}300")
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _rank(levels: dict[str, str], label: str) -> int:
    return LEVEL_RANK[levels[label]]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def table_parse(*, content: bytes, scheme: GradeScheme) -> list[dict]:
    """Every row of the file, checked; MeasureTableInvalid lists each problem found."""
    rows = template_rows(
        content,
        sheet=SHEET,
        max_bytes=MAX_BYTES,
        too_big=_("文件超过2MB"),
        invalid=MeasureTableInvalid,
    )
    head = tuple(_text(v) for v in (rows[0] if rows else ()))[: len(HEAD)]
    if head != HEAD:
        raise MeasureTableInvalid([(1, _("表头应为：%s") % " | ".join(HEAD))])
    grades = {g.name: g for g in scheme.ordered_grades()}
    grades.update({g.code: g for g in scheme.ordered_grades()})
    levels, actions = _labels(AlertLevel.choices), _labels(Action.choices)
    units, rules = _labels(CountingUnit.choices), _labels(TransportRule.choices)
    problems: list[tuple[int, str]] = []
    parsed = []
    for n, values in enumerate(rows[1:], start=2):
        cells = [_text(v) for v in (list(values) + [None] * len(HEAD))[: len(HEAD)]]
        if not any(cells):
            continue
        g, lv_from, lv_to, action, ratio_text, unit, basis, rule, text, source = cells
        row_problems = []
        grade = grades.get(g)
        if grade is None:
            row_problems.append(
                _("等级“%(g)s”不属于分级体系“%(s)s”") % {"g": g, "s": scheme.name}
                if g
                else _("未填写绩效等级")
            )
        if lv_from not in levels:
            row_problems.append(_("起始预警级别应为黄色、橙色或红色"))
        if lv_to and lv_to not in levels:
            row_problems.append(_("截止预警级别应为黄色、橙色、红色或留空"))
        elif (
            lv_to and lv_from in levels and LEVEL_RANK[levels[lv_to]] < LEVEL_RANK[levels[lv_from]]
        ):
            row_problems.append(_("截止预警级别不能低于起始预警级别"))
        if action not in actions:
            row_problems.append(_("措施类型应为%s之一") % "、".join(actions))
        ratio = None
        if ratio_text:
            try:
                ratio = Decimal(ratio_text).quantize(Decimal("0.01"))
                if not Decimal(0) <= ratio <= Decimal(100):
                    raise InvalidOperation
            except InvalidOperation:
                row_problems.append(_("比例应为0到100之间的数字"))
        elif actions.get(action) in NEEDS_RATIO:
            row_problems.append(_("限产措施须填写比例"))
        if unit and unit not in units:
            row_problems.append(_("计量单元应为%s之一或留空") % "、".join(units))
        if rule and rule not in rules:
            row_problems.append(_("运输管控应为%s之一或留空") % "、".join(rules))
        if not text:
            row_problems.append(_("未填写措施原文"))
        elif len(text) > MAX_TEXT:
            row_problems.append(_("措施原文超过%d字") % MAX_TEXT)
        problems += [(n, m) for m in row_problems]
        if row_problems:
            continue
        parsed.append(
            {
                "grade": grade,
                "level_from": levels[lv_from],
                "level_to": levels[lv_to] if lv_to else "",
                "action": actions[action],
                "ratio_pct": ratio,
                "unit": units.get(unit, ""),
                "transport_rule": rules.get(rule, TransportRule.NONE),
                "text": text,
                "source": source[:300],
                **({"basis": basis[:200]} if basis else {}),
            }
        )
    if not parsed and not problems:
        problems.append((0, _("文件中没有措施行")))
    if problems:
        raise MeasureTableInvalid(problems)
    return parsed


def uncovered(rows: list[dict], scheme: GradeScheme) -> list[str]:
    """“等级/预警级别” pairs of the scheme no row covers."""
    out = []
    for grade in scheme.ordered_grades():
        mine = [r for r in rows if r["grade"] == grade]
        for level in AlertLevel:
            rank = LEVEL_RANK[level]
            if not any(
                LEVEL_RANK[r["level_from"]] <= rank
                and (not r["level_to"] or LEVEL_RANK[r["level_to"]] >= rank)
                for r in mine
            ):
                out.append(f"{grade.name}/{level.label}")
    return out


@transaction.atomic
def measure_table_import(
    *,
    actor: User,
    industry: Industry,
    version: GuidelineVersion,
    scheme: GradeScheme,
    content: bytes,
) -> MeasureImportResult:
    """Check the file row by row, then replace the industry's measure table of ``version``
    with it (R-LIST-8). Entries take it at their next refresh."""
    _require_admin(actor)
    rows = table_parse(content=content, scheme=scheme)
    old = MeasureTemplate.objects.select_for_update().filter(
        industry=industry, guideline_version=version
    )
    result = MeasureImportResult(removed=old.count(), missing=uncovered(rows, scheme))
    old.delete()
    MeasureTemplate.objects.bulk_create(
        [MeasureTemplate(industry=industry, guideline_version=version, **r) for r in rows]
    )
    result.created = len(rows)
    event_record(
        code="list.measure_table.imported",
        actor=actor,
        target=industry,
        summary=_("上传%(industry)s减排措施表（%(version)s）：%(n)d条，替换%(r)d条，缺%(m)d项")
        % {
            "industry": industry.name,
            "version": version.code,
            "n": result.created,
            "r": result.removed,
            "m": len(result.missing),
        },
        data={"missing": result.missing[:200]},
    )
    return result
