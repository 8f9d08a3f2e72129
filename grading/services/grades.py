from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.grades import worst_grade
from grading.models import Enterprise, EnterpriseIndustry, Grade, GradeRecord, Industry, User
from grading.selectors import indicator_set_in_force
from grading.signals import grade_recorded


def enterprise_overall_grade_refresh(*, enterprise: Enterprise) -> Grade | None:
    """Recompute the stored overall grade (R-GRADE-4, R-ELIG-4).

    Overall is the worst of the industries' grades. An industry without a grade counts at the
    lowest grade of its scheme; an enterprise with no grade at all stays ungraded (None) and
    is managed at the lowest grade (see ``enterprise_managed_grade``).
    """
    rows = list(enterprise.industries.select_related("industry", "current_grade"))
    graded = [r.current_grade for r in rows if r.current_grade_id]
    if not graded:
        overall = None
    else:
        overall = worst_grade(r.current_grade or industry_lowest_grade(r.industry) for r in rows)
    if enterprise.overall_grade_id != (overall.pk if overall else None):
        enterprise.overall_grade = overall
        enterprise.save(update_fields=["overall_grade", "updated_at"])
    return overall


def industry_lowest_grade(industry: Industry, on: date | None = None) -> Grade:
    """The lowest grade of the industry's scheme in force on ``on`` (R-ELIG-3, R-ELIG-4)."""
    indicator_set = indicator_set_in_force(industry=industry, on=on or timezone.localdate())
    if indicator_set is None:
        return Grade.objects.order_by("-severity").first()
    return indicator_set.scheme.lowest()


def enterprise_managed_grade(enterprise: Enterprise) -> Grade | None:
    """The grade the enterprise is managed at: its overall grade, or the lowest grade of its
    main industry's scheme when it takes no part in grading (R-ELIG-4)."""
    if enterprise.overall_grade_id:
        return enterprise.overall_grade
    main = next((r for r in enterprise.industries.all() if r.is_main), None)
    if main is None:
        return Grade.objects.order_by("-severity").first()
    return industry_lowest_grade(main.industry)


@transaction.atomic
def grade_record_add(
    *,
    actor: User | None,
    enterprise: Enterprise,
    industry: Industry,
    grade: Grade,
    effective_from: date,
    source: str,
    reason: str = "",
    source_ref: str = "",
) -> GradeRecord:
    """Give an enterprise a grade for one industry from a date; the previous record ends the
    day before. The grade must belong to the industry's scheme in force on that date.

    Whatever its source (spot check, dynamic adjustment, inspection, appeal), a record that
    gives a lower grade than the one it replaces is marked as lowering, and so is a fraud
    finding's lowest grade: the one-year bar of R-ELIG-1 reads these marks."""
    row = (
        EnterpriseIndustry.objects.select_for_update()
        .filter(enterprise=enterprise, industry=industry)
        .first()
    )
    if row is None:
        raise ValidationError({"industry": _("该企业未登记此行业")})
    indicator_set = indicator_set_in_force(industry=industry, on=effective_from)
    if indicator_set is not None and not indicator_set.scheme.grades.filter(pk=grade.pk).exists():
        raise ValidationError(
            {
                "grade": _("%(grade)s 不属于该行业的分级体系（%(scheme)s）")
                % {"grade": grade.name, "scheme": indicator_set.scheme.name}
            }
        )
    previous = row.current_grade
    lowers = source == GradeRecord.Source.FRAUD or (
        previous is not None and grade.severity > previous.severity
    )
    GradeRecord.objects.filter(
        enterprise=enterprise, industry=industry, effective_to__isnull=True
    ).update(effective_to=effective_from - timedelta(days=1))
    record = GradeRecord.objects.create(
        enterprise=enterprise,
        industry=industry,
        grade=grade,
        effective_from=effective_from,
        source=source,
        source_ref=source_ref,
        reason=reason,
        lowers=lowers,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    row.current_grade = grade
    row.save(update_fields=["current_grade"])
    overall = enterprise_overall_grade_refresh(enterprise=enterprise)
    # R-LIST-6: the stages above follow the grade (the emergency list listens), in this
    # transaction so a failure there undoes the record.
    grade_recorded.send(
        sender=GradeRecord,
        enterprise=enterprise,
        industry=industry,
        grade=grade,
        record=record,
        actor=actor,
    )
    event_record(
        code="enterprise.grade_recorded",
        actor=actor,
        target=enterprise,
        summary=_("%(industry)s 绩效等级记为 %(grade)s")
        % {"industry": industry.name, "grade": grade.name},
        reason=reason,
        data={
            "industry": industry.code,
            "grade": grade.code,
            "effective_from": effective_from,
            "source": source,
            "lowers": lowers,
            "overall": overall.code if overall else None,
        },
    )
    return record
