"""A declaration's start and end outside submission: a new year's declaration started as a
copy of an earlier one, and a draft that was never submitted deleted on purpose."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from declarations.models import Declaration, Evidence
from declarations.services.drafting import (
    BASIC_FIELDS,
    declaration_create,
    lock_declaration,
    require_owner,
)
from grading.models import Grade, User

#: The application form's own fields carried over (the grade and control type are chosen anew;
#: the commitments are signed anew each year).
APPLICATION_COPY = ("address", "responsible_person", "responsible_mobile", "output_value")
TABLES = {
    "products": ("line", "product", "capacity", "last_year_output", "unit"),
    "materials": ("kind", "name", "annual_amount", "unit", "storage_transport"),
    "transport": ("mode", "goods", "annual_tonnes"),
    "vehicles": ("plate", "vin", "engine_number", "emission_stage"),
}


def _copy_rows(source: Declaration, target: Declaration, related: str, fields) -> int:
    manager = getattr(source, related)
    model = manager.model
    rows = [model(declaration=target, **{f: getattr(o, f) for f in fields}) for o in manager.all()]
    model.objects.bulk_create(rows)
    return len(rows)


def _copy_facilities(source: Declaration, target: Declaration) -> int:
    model = source.facilities.model
    skip = {"id", "declaration"}
    rows = [
        model(
            declaration=target,
            **{
                f.attname: getattr(o, f.attname)
                for f in model._meta.concrete_fields
                if f.name not in skip
            },
        )
        for o in source.facilities.all()
    ]
    model.objects.bulk_create(rows)
    return len(rows)


def _copy_evidence(source_ev: Evidence, target: Declaration, row, actor: User) -> None:
    with source_ev.file.open("rb") as fh:
        content = fh.read()
    copy = Evidence(
        declaration=target,
        indicator_row=row,
        uploaded_by=actor,
        **{
            f: getattr(source_ev, f)
            for f in (
                "section",
                "title",
                "original_name",
                "kind",
                "content_type",
                "extension",
                "size",
                "sha256",
                "page_count",
                "is_confidential",
            )
        },
    )
    copy.file.save(Path(source_ev.file.name).name, ContentFile(content), save=False)
    copy.save()


@transaction.atomic
def declaration_copy(
    *,
    actor: User,
    source: Declaration,
    year: int,
    requested_grade: Grade | None = None,
    control_type: str | None = None,
    guarantee_category: str | None = None,
    with_evidence: bool = False,
) -> Declaration:
    """Start a declaration of ``year`` as a copy of an earlier one of the same enterprise and
    industry: application and basic information, the tables, and each indicator's statement
    (matched by category, under the indicator set in force now, R-GRADE-7). Evidence files
    are copied only when asked; the commitments are signed anew."""
    require_owner(actor, source)
    if source.year >= year:
        raise ValidationError({"copy_from": _("只能复制以前年度的申报")})
    if source.status == Declaration.Status.DRAFT and source.current_version == 0:
        raise ValidationError({"copy_from": _("未提交过的草稿不能作为复制来源")})
    target = declaration_create(
        actor=actor,
        enterprise=source.enterprise,
        industry=source.industry,
        year=year,
        control_type=control_type or source.control_type,
        requested_grade=requested_grade or source.requested_grade,
        guarantee_category=(
            source.guarantee_category if guarantee_category is None else guarantee_category
        ),
    )
    for name in APPLICATION_COPY + tuple(BASIC_FIELDS):
        setattr(target, name, getattr(source, name))
    target.save()
    counts = {
        related: _copy_rows(source, target, related, fields) for related, fields in TABLES.items()
    }
    counts["facilities"] = _copy_facilities(source, target)
    earlier = {r.category_id: r for r in source.indicator_rows.prefetch_related("evidence")}
    copied_files = 0
    for row in target.indicator_rows.all():
        old = earlier.get(row.category_id)
        if old is None:
            continue
        for name in ("applicable", "not_applicable_reason", "statement", "meets", "remark"):
            setattr(row, name, getattr(old, name))
        row.save()
        if with_evidence:
            for ev in old.evidence.all():
                if ev.replaced_by_id is None:
                    _copy_evidence(ev, target, row, actor)
                    copied_files += 1
    if with_evidence:
        for ev in source.evidence.filter(indicator_row__isnull=True, replaced_by__isnull=True):
            _copy_evidence(ev, target, None, actor)
            copied_files += 1
    event_record(
        code="declaration.copied",
        actor=actor,
        target=target,
        summary=_("以%(number)s（%(year)s年度）为基础创建")
        % {"number": source.number, "year": source.year},
        data={"source": source.pk, "tables": counts, "evidence": copied_files},
    )
    return target


def declaration_draft_delete(*, actor: User, declaration: Declaration, reason: str = "") -> None:
    """Delete a draft that was never submitted (an explicit act of its enterprise, recorded on
    the enterprise's timeline). Anything once submitted stays: a reviewer may have read it."""
    files = []
    with transaction.atomic():
        declaration = lock_declaration(declaration)
        require_owner(actor, declaration)
        if declaration.status != Declaration.Status.DRAFT or declaration.current_version:
            raise ValidationError(_("只能删除从未提交过的草稿；已提交过的申报会保留"))
        files = [e.file.name for e in declaration.evidence.all() if e.file]
        enterprise = declaration.enterprise
        summary = _("删除草稿%(number)s（%(year)s年度%(industry)s）") % {
            "number": declaration.number,
            "year": declaration.year,
            "industry": declaration.industry.name,
        }
        number = declaration.number
        declaration.evidence.all().delete()
        declaration.delete()
        event_record(
            code="declaration.draft_deleted",
            actor=actor,
            target=enterprise,
            summary=summary,
            reason=reason,
            data={"number": number},
        )

        def remove_files() -> None:
            storage = Evidence._meta.get_field("file").storage
            for name in files:
                storage.delete(name)

        transaction.on_commit(remove_files)
