"""Preparing a declaration: creating it, filling its parts, its indicator rows and evidence.
Only the enterprise's own account prepares its declarations, and only while they are editable
(a draft, or returned for revision)."""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import PdfReader

from core.audit import event_record
from core.uploads import validate_upload
from declarations.models import Declaration, Evidence, IndicatorRow
from declarations.rules import is_declaration_owner
from grading.indicator_texts import text_is_missing
from grading.models import (
    Enterprise,
    Grade,
    IndicatorCategory,
    IndicatorRequirement,
    Industry,
    User,
)
from grading.rules import is_own_enterprise
from grading.selectors import indicator_set_in_force

APPLICATION_FIELDS = (
    "address",
    "responsible_person",
    "responsible_mobile",
    "output_value",
    "control_type",
    "guarantee_category",
    "requested_grade",
)
COMMITMENT_FIELDS = (
    "truth_commitment_by",
    "truth_commitment_on",
    "reduction_commitment_by",
    "reduction_commitment_on",
)
BASIC_FIELDS = (
    "longitude",
    "latitude",
    "industry_code",
    "park",
    "emission_standards",
    "permit_number",
    "legal_compliance",
    "process_description",
    "confidential_note",
)
EDITABLE_FIELDS = APPLICATION_FIELDS + COMMITMENT_FIELDS + BASIC_FIELDS + ("rectification",)

OWNER_ONLY = gettext_lazy("只有企业本身的账户可以填报本企业的申报")


def require_owner(actor: User, declaration: Declaration) -> None:
    """Only the enterprise's own account acts on its declaration (PermissionDenied)."""
    if not is_declaration_owner(actor, declaration):
        raise PermissionDenied(OWNER_ONLY)


def require_preparer(actor: User, declaration: Declaration) -> None:
    """The enterprise's own account, on a declaration it may still change: PermissionDenied
    for anyone else, ValidationError (with the status) when it is no longer editable. The
    same decision as the ``declarations.change_declaration`` permission, with its reason."""
    require_owner(actor, declaration)
    if not declaration.is_editable:
        raise ValidationError(_("申报当前状态为“%s”，不能修改") % declaration.get_status_display())


def _check_grade(declaration: Declaration) -> None:
    scheme = declaration.indicator_set.scheme
    grade = declaration.requested_grade
    if not scheme.grades.filter(pk=grade.pk).exists():
        raise ValidationError(
            {
                "requested_grade": _("%(grade)s 不属于该行业的分级体系（%(scheme)s）")
                % {"grade": grade.name, "scheme": scheme.name}
            }
        )
    # A guarantee-class request carries any grade of the scheme, 引领性 included (R-GUAR-2).
    leading = declaration.control_type == Declaration.ControlType.LEADING
    guarantee = declaration.control_type == Declaration.ControlType.GUARANTEE
    if not guarantee and leading != (grade.code == "LEAD"):
        raise ValidationError(
            {"control_type": _("申请绩效引领性时，自评估等级应为“绩效引领性”；反之亦然")}
        )
    if (
        declaration.control_type != Declaration.ControlType.GUARANTEE
        and declaration.guarantee_category
    ):
        declaration.guarantee_category = ""


def indicator_rows_generate(declaration: Declaration) -> None:
    """One row per indicator of the set for the requested grade (R-DECL-3). Rows that already
    exist keep the enterprise's statement and applicability; their requirement text follows
    the grade. Industries whose text is not loaded get the 19 standard categories. A text not
    entered yet (or a seed's placeholder) is kept empty: pages, API and the PDF say so in one
    plain sentence (``grading.indicator_texts``)."""
    reqs = list(
        IndicatorRequirement.objects.filter(
            indicator_set=declaration.indicator_set, grade=declaration.requested_grade
        )
        .select_related("category")
        .order_by("category__seq", "seq")
    )
    if reqs:
        wanted = [(r.category, "" if text_is_missing(r.text) else r.text) for r in reqs]
    else:
        wanted = [(c, "") for c in IndicatorCategory.objects.order_by("seq")]
    existing = {row.category_id: row for row in declaration.indicator_rows.all()}
    keep = set()
    # Renumber in two steps so the unique (declaration, seq) constraint holds throughout.
    declaration.indicator_rows.update(seq=models.F("seq") + 1000)
    for i, (category, text) in enumerate(wanted, start=1):
        row = existing.get(category.pk)
        if row is None:
            row = IndicatorRow(declaration=declaration, category=category)
        row.seq, row.requirement = i, text
        row.save()
        keep.add(row.pk)
    for row in existing.values():
        if row.pk not in keep:
            if row.evidence.exists():
                row.applicable = False
                row.not_applicable_reason = row.not_applicable_reason or _("新等级无此项指标")
                row.seq = len(keep) + 1
                row.save()
                keep.add(row.pk)
            else:
                row.delete()


@transaction.atomic
def declaration_create(
    *,
    actor: User,
    enterprise: Enterprise,
    industry: Industry,
    year: int,
    control_type: str,
    requested_grade: Grade,
    guarantee_category: str = "",
) -> Declaration:
    """Open a declaration for one industry of the enterprise (R-DECL-1: all year, free)."""
    if not is_own_enterprise(actor, enterprise):
        raise PermissionDenied(OWNER_ONLY)
    if not enterprise.industries.filter(industry=industry).exists():
        raise ValidationError({"industry": _("请先在企业信息中登记该行业")})
    today = timezone.localdate()
    if year not in (today.year, today.year + 1):
        raise ValidationError({"year": _("只能申报本年度或下一年度")})
    indicator_set = indicator_set_in_force(industry=industry, on=today)
    if indicator_set is None:
        raise ValidationError({"industry": _("该行业尚无适用的分级指标体系，请联系省级管理员")})
    ent_row = enterprise.industries.get(industry=industry)
    declaration = Declaration(
        number=f"TMP-{uuid.uuid4().hex[:20]}",
        enterprise=enterprise,
        year=year,
        industry=industry,
        control_type=control_type,
        guarantee_category=guarantee_category,
        requested_grade=requested_grade,
        indicator_set=indicator_set,
        address=enterprise.address,
        responsible_person=enterprise.contact_person,
        responsible_mobile=enterprise.contact_mobile,
        longitude=enterprise.longitude,
        latitude=enterprise.latitude,
        park=enterprise.park,
        industry_code=industry.gbt4754.split(",")[0] if industry.gbt4754 else "",
        created_by=actor,
    )
    _check_grade(declaration)
    try:
        with transaction.atomic():
            declaration.save()
    except IntegrityError as exc:
        raise ValidationError(
            {
                "industry": _("本企业该行业%(year)s年度已有申报，请在原申报中继续填报")
                % {"year": year}
            }
        ) from exc
    declaration.number = f"SB{year}{declaration.pk:06d}"
    declaration.save(update_fields=["number"])
    indicator_rows_generate(declaration)
    event_record(
        code="declaration.created",
        actor=actor,
        target=declaration,
        summary=_("创建%(year)s年度%(industry)s行业申报（自评%(grade)s）")
        % {"year": year, "industry": industry.name, "grade": requested_grade.name},
        data={"branch": ent_row.branch},
    )
    return declaration


def lock_declaration(declaration: Declaration) -> Declaration:
    """The declaration, re-read under a row lock (the start of every change to it)."""
    return (
        Declaration.objects.select_for_update()
        .select_related(
            "enterprise", "industry__category", "requested_grade", "indicator_set__scheme"
        )
        .get(pk=declaration.pk)
    )


@transaction.atomic
def declaration_update(*, actor: User, declaration: Declaration, data: dict) -> Declaration:
    """Save fields of the application form, commitments or basic information."""
    declaration = lock_declaration(declaration)
    require_preparer(actor, declaration)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改的字段：%s") % "、".join(sorted(unknown)))
    before_grade = declaration.requested_grade_id
    changed = []
    for key, value in data.items():
        if getattr(declaration, key) != value:
            setattr(declaration, key, value)
            changed.append(key)
    today = timezone.localdate()
    for key in ("truth_commitment_on", "reduction_commitment_on"):
        when = getattr(declaration, key)
        if key in changed and when and when > today:
            raise ValidationError({key: _("承诺日期不能晚于今天")})
    _check_grade(declaration)
    declaration.full_clean(
        exclude=[
            "number",
            "enterprise",
            "industry",
            "indicator_set",
            "created_by",
            "batch",
            "status",
        ]
    )
    declaration.save()
    if declaration.requested_grade_id != before_grade:
        indicator_rows_generate(declaration)
    if changed:
        event_record(
            code="declaration.edited",
            actor=actor,
            target=declaration,
            summary=_("修改申报内容：%s")
            % "、".join(str(declaration._meta.get_field(k).verbose_name) for k in changed),
            data={"fields": changed},
        )
    return declaration


@transaction.atomic
def indicator_row_update(
    *,
    actor: User,
    row: IndicatorRow,
    applicable: bool,
    statement: str = "",
    meets: bool | None = None,
    not_applicable_reason: str = "",
    remark: str = "",
) -> IndicatorRow:
    declaration = lock_declaration(row.declaration)
    require_preparer(actor, declaration)
    row = IndicatorRow.objects.get(pk=row.pk, declaration=declaration)
    if not applicable and not not_applicable_reason.strip():
        raise ValidationError({"not_applicable_reason": _("标为不涉及时请说明理由")})
    row.applicable = applicable
    row.statement = statement.strip()
    row.meets = meets if applicable else None
    row.not_applicable_reason = "" if applicable else not_applicable_reason.strip()
    row.remark = remark.strip()
    row.full_clean()
    row.save()
    event_record(
        code="declaration.indicator_saved",
        actor=actor,
        target=declaration,
        summary=_("保存指标对标：%(name)s（%(state)s）")
        % {
            "name": row.category.name,
            "state": _("不涉及")
            if not applicable
            else (_("自评达到") if meets else _("自评未达到")),
        },
        data={"row": row.pk},
    )
    return row


def _pdf_pages(fh) -> int:
    try:
        return max(1, len(PdfReader(fh).pages))
    except Exception:  # an unreadable PDF still counts as one attachment page
        return 1
    finally:
        fh.seek(0)


@transaction.atomic
def evidence_upload(
    *,
    actor: User,
    declaration: Declaration,
    upload,
    title: str,
    section: str,
    indicator_row: IndicatorRow | None = None,
    replaces: Evidence | None = None,
    is_confidential: bool = False,
) -> Evidence:
    """Store one proof under a server-generated name; the content decides the type. A
    replacement keeps the old file, linked to the new one."""
    declaration = lock_declaration(declaration)
    require_preparer(actor, declaration)
    limits = settings.GRADING
    checked = validate_upload(
        upload,
        original_name=getattr(upload, "name", "") or "",
        max_bytes=limits["EVIDENCE_MAX_FILE_MB"] * 1024 * 1024,
    )
    # The file being replaced stops counting once the new one takes its place.
    current = declaration.evidence.filter(replaced_by__isnull=True)
    if replaces is not None:
        current = current.exclude(pk=replaces.pk)
    used = current.aggregate(s=Sum("size"))["s"] or 0
    if used + checked.size > limits["EVIDENCE_MAX_TOTAL_MB"] * 1024 * 1024:
        raise ValidationError(
            {
                "file": _("本申报证明材料总量不能超过 %(max)d MB（已用 %(used).1f MB）")
                % {"max": limits["EVIDENCE_MAX_TOTAL_MB"], "used": used / 1048576}
            }
        )
    if section not in Evidence.Section.values:
        raise ValidationError({"section": _("请选择材料所属部分")})
    if indicator_row is not None and indicator_row.declaration_id != declaration.pk:
        raise ValidationError({"indicator_row": _("指标不属于本申报")})
    if replaces is not None and (
        replaces.declaration_id != declaration.pk or replaces.replaced_by_id
    ):
        raise ValidationError({"replaces": _("只能替换本申报当前有效的材料")})
    if indicator_row is None and replaces is not None:
        indicator_row = replaces.indicator_row  # a replacement stays on the row it proves
    if indicator_row is not None:
        section = Evidence.Section.INDICATOR
    evidence = Evidence(
        declaration=declaration,
        indicator_row=indicator_row,
        section=section,
        title=(title or checked.safe_name).strip()[:200],
        original_name=checked.safe_name,
        kind=checked.kind,
        content_type=checked.content_type,
        extension=checked.extension,
        size=checked.size,
        sha256=checked.sha256,
        page_count=_pdf_pages(upload) if checked.kind == "pdf" else 1,
        # R-DECL-5: a replacement of confidential material stays confidential.
        is_confidential=is_confidential or bool(replaces and replaces.is_confidential),
        uploaded_by=actor,
    )
    evidence.file.save(f"upload{checked.extension}", upload, save=False)
    try:
        evidence.save()
        if replaces is not None:
            Evidence.objects.filter(pk=replaces.pk).update(replaced_by=evidence)
    except Exception:
        evidence.file.delete(save=False)  # no orphan file when the row cannot be saved
        raise
    event_record(
        code="declaration.evidence_replaced" if replaces else "declaration.evidence_uploaded",
        actor=actor,
        target=declaration,
        summary=(_("替换证明材料：%s") if replaces else _("上传证明材料：%s")) % evidence.title,
        data={
            "evidence": evidence.pk,
            "sha256": evidence.sha256,
            "replaces": getattr(replaces, "pk", None),
        },
    )
    return evidence
