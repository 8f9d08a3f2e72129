"""An industry's indicator table (category × grade requirement text) uploaded by the
administrator from an Excel file in the documented template (R-GRADE-7, R-DECL-3).

The file is checked row by row before anything is saved; a table is kept per industry and
guideline version (an ``IndicatorSet``) and replaces that version's texts as a whole."""

from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from core.audit import event_record
from core.tables import template_rows
from grading.indicator_texts import PLACEHOLDER_PREFIX
from grading.models import (
    GradeScheme,
    GuidelineVersion,
    IndicatorCategory,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    User,
)
from grading.rules import allows
from grading.services.reference import version_start

SHEET = "指标要求"
FIXED_HEAD = ("指标类别代码", "差异化指标", "序号")
TAIL_HEAD = ("原文（是/否）", "备注")
MAX_BYTES = 5 * 1024 * 1024
MAX_TEXT = 4000
YES, NO = "是", "否"


class IndicatorTableInvalid(ValidationError):
    """The file was refused; ``problems`` lists (row number, message), row 0 for the file."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__(
            [(_("第%(row)d行：%(msg)s") % {"row": r, "msg": m}) if r else m for r, m in problems]
        )


@dataclass
class ImportResult:
    indicator_set: IndicatorSet
    created: int = 0
    updated: int = 0
    removed: int = 0
    missing: list[str] = field(default_factory=list)


def _require_admin(actor: User) -> None:
    if not allows(actor, "grading.edit_indicator_tables"):
        raise PermissionDenied(_("只有系统管理员可以维护行业指标要求"))


def table_template(*, industry: Industry, version: GuidelineVersion, scheme: GradeScheme) -> bytes:
    """The template, filled with what the version's table holds (or one row per category),
    and a sheet that documents each column."""
    grades = scheme.ordered_grades()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([*FIXED_HEAD, *(g.name for g in grades), *TAIL_HEAD])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    existing = IndicatorSet.objects.filter(industry=industry, guideline_version=version).first()
    cells: dict[tuple, dict] = {}
    if existing is not None:
        for r in existing.requirements.select_related("category", "grade"):
            row = cells.setdefault(
                (r.category.seq, r.category.code, r.seq),
                {"name": r.category.name, "verbatim": r.verbatim, "note": r.note, "texts": {}},
            )
            row["texts"][r.grade_id] = "" if r.text.startswith(PLACEHOLDER_PREFIX) else r.text
    if not cells:
        for c in IndicatorCategory.objects.order_by("seq"):
            cells[(c.seq, c.code, 1)] = {"name": c.name, "verbatim": True, "note": "", "texts": {}}
    for (_seq, code, seq), row in sorted(cells.items()):
        ws.append(
            [
                code,
                row["name"],
                seq,
                *(row["texts"].get(g.pk, "") for g in grades),
                YES if row["verbatim"] else NO,
                row["note"],
            ]
        )
    widths = [16, 22, 6, *([60] * len(grades)), 12, 30]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "D2"
    yes_no = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    ws.add_data_validation(yes_no)
    yes_no.add(f"{chr(ord('A') + 3 + len(grades))}2:{chr(ord('A') + 3 + len(grades))}200")

    doc = wb.create_sheet("说明")
    doc.column_dimensions["A"].width = 18
    doc.column_dimensions["B"].width = 90
    for line in (
        (_("行业"), f"{industry.name}（{industry.code}）"),
        (_("指南版本"), f"{version.name}（{version.code}）"),
        (_("分级体系"), scheme.name),
        ("", ""),
        (_("指标类别代码"), _("必填，取自“指标类别”表（见下），每行一项差异化指标。")),
        (_("差异化指标"), _("类别名称，仅供阅读；填写时须与代码一致。")),
        (_("序号"), _("同一类别有多行时为1、2、3……；留空为1。")),
        (
            _("各等级列"),
            _("该等级的指标要求原文；原文尚未取得的留空（不要填写占位文字），完整性页面将列出。"),
        ),
        (_("原文（是/否）"), _("“是”表示逐字录入原文；摘录、截断或转述填“否”。留空为“是”。")),
        (_("备注"), _("来源、摘录说明等。")),
        ("", ""),
        (
            _("上传规则"),
            _("整表上传：本版本的指标要求以上传文件为准，逐行检查，任一行有错则不保存。"),
        ),
        ("", ""),
        (_("指标类别"), ""),
    ):
        doc.append(list(map(str, line)))
    for c in IndicatorCategory.objects.order_by("seq"):
        doc.append([c.code, c.name])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def table_parse(*, content: bytes, scheme: GradeScheme) -> list[dict]:
    """Every row of the file, checked; IndicatorTableInvalid lists each problem found."""
    rows = template_rows(
        content,
        sheet=SHEET,
        max_bytes=MAX_BYTES,
        too_big=_("文件超过5MB"),
        invalid=IndicatorTableInvalid,
    )
    if not rows:
        raise IndicatorTableInvalid([(0, _("工作表为空"))])
    head = [_text(v) for v in rows[0]]
    while head and not head[-1]:
        head.pop()
    grades = {g.name: g for g in scheme.ordered_grades()}
    problems: list[tuple[int, str]] = []
    if tuple(head[:3]) != FIXED_HEAD or tuple(head[-2:]) != TAIL_HEAD:
        raise IndicatorTableInvalid(
            [(1, _("表头应为：%s") % " | ".join((*FIXED_HEAD, "<各等级>", *TAIL_HEAD)))]
        )
    grade_cols = head[3:-2]
    unknown = [h for h in grade_cols if h not in grades]
    absent = [name for name in grades if name not in grade_cols]
    if unknown or absent:
        msg = []
        if unknown:
            msg.append(
                _("%(cols)s 不属于分级体系“%(scheme)s”")
                % {"cols": "、".join(unknown), "scheme": scheme.name}
            )
        if absent:
            msg.append(_("缺少等级列：%s") % "、".join(absent))
        raise IndicatorTableInvalid([(1, "；".join(msg))])
    categories = {c.code: c for c in IndicatorCategory.objects.all()}
    seen: dict[tuple, int] = {}
    parsed = []
    for n, values in enumerate(rows[1:], start=2):
        values = list(values) + [None] * (len(head) - len(values))
        cells = [_text(v) for v in values[: len(head)]]
        if not any(cells):
            continue
        code, name, seq_text = cells[0], cells[1], cells[2]
        category = categories.get(code)
        if category is None:
            problems.append(
                (n, _("指标类别代码“%s”不存在") % code if code else _("未填写指标类别代码"))
            )
            continue
        if name and name != category.name:
            problems.append(
                (
                    n,
                    _("差异化指标“%(name)s”与代码%(code)s（%(real)s）不一致")
                    % {"name": name, "code": code, "real": category.name},
                )
            )
        try:
            seq = int(float(seq_text)) if seq_text else 1
            if seq < 1 or seq > 99:
                raise ValueError
        except ValueError:
            problems.append((n, _("序号应为1至99的整数")))
            continue
        key = (code, seq)
        if key in seen:
            problems.append(
                (
                    n,
                    _("与第%(row)d行重复（%(name)s 序号%(seq)d）")
                    % {"row": seen[key], "name": category.name, "seq": seq},
                )
            )
            continue
        seen[key] = n
        texts = {}
        for i, grade_name in enumerate(grade_cols):
            text = cells[3 + i]
            if text.startswith(PLACEHOLDER_PREFIX):
                problems.append((n, _("%s列为占位文字：原文尚未取得的请留空") % grade_name))
            elif len(text) > MAX_TEXT:
                problems.append((n, _("%(g)s列超过%(max)d字") % {"g": grade_name, "max": MAX_TEXT}))
            elif text:
                texts[grades[grade_name]] = text
        verbatim_text = cells[3 + len(grade_cols)]
        if verbatim_text not in ("", YES, NO):
            problems.append((n, _("“原文”列应填“是”或“否”")))
        parsed.append(
            {
                "category": category,
                "seq": seq,
                "texts": texts,
                "verbatim": verbatim_text != NO,
                "note": cells[4 + len(grade_cols)][:1000],
            }
        )
    if not parsed and not problems:
        problems.append((0, _("文件中没有指标行")))
    if problems:
        raise IndicatorTableInvalid(problems)
    return parsed


@transaction.atomic
def indicator_table_import(
    *,
    actor: User,
    industry: Industry,
    version: GuidelineVersion,
    content: bytes,
    scheme: GradeScheme | None = None,
    effective_from: date | None = None,
) -> ImportResult:
    """Check the file row by row, then replace the version's table with it. A version the
    industry has no table for yet needs its scheme (and takes effect from the version's
    date unless one is given)."""
    _require_admin(actor)
    indicator_set = (
        IndicatorSet.objects.select_for_update()
        .filter(industry=industry, guideline_version=version)
        .first()
    )
    if indicator_set is None:
        if scheme is None:
            raise ValidationError({"scheme": _("该行业在此指南版本下尚无指标体系，请选择分级体系")})
        indicator_set = IndicatorSet.objects.create(
            industry=industry,
            guideline_version=version,
            scheme=scheme,
            effective_from=effective_from or version_start(version),
        )
    elif scheme is not None and scheme.pk != indicator_set.scheme_id:
        raise ValidationError(
            {
                "scheme": _("该版本的分级体系为“%s”；如需更改请先在行业指标体系中修改")
                % indicator_set.scheme.name
            }
        )
    rows = table_parse(content=content, scheme=indicator_set.scheme)
    existing = {(r.category_id, r.seq, r.grade_id): r for r in indicator_set.requirements.all()}
    result = ImportResult(indicator_set=indicator_set)
    keep = set()
    grades = indicator_set.scheme.ordered_grades()
    for row in rows:
        for grade in grades:
            text = row["texts"].get(grade)
            if not text:
                result.missing.append(f"{row['category'].name}（{row['seq']}）/{grade.name}")
                continue
            key = (row["category"].pk, row["seq"], grade.pk)
            keep.add(key)
            current = existing.get(key)
            values = {"text": text, "verbatim": row["verbatim"], "note": row["note"]}
            if current is None:
                IndicatorRequirement.objects.create(
                    indicator_set=indicator_set,
                    category=row["category"],
                    seq=row["seq"],
                    grade=grade,
                    **values,
                )
                result.created += 1
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                current.save(update_fields=list(values))
                result.updated += 1
    stale = [r.pk for k, r in existing.items() if k not in keep]
    result.removed = len(stale)
    IndicatorRequirement.objects.filter(pk__in=stale).delete()
    event_record(
        code="grading.indicator_table.imported",
        actor=actor,
        target=industry,
        summary=_(
            "上传%(industry)s指标要求（%(version)s）：新增%(c)d、修改%(u)d、删除%(r)d，缺%(m)d项"
        )
        % {
            "industry": industry.name,
            "version": version.code,
            "c": result.created,
            "u": result.updated,
            "r": result.removed,
            "m": len(result.missing),
        },
        data={"indicator_set": indicator_set.pk, "missing": result.missing[:200]},
    )
    return result
