"""Grading outside the declaration flow: the county's C/D grading of small enterprises, and
the yearly re-grading of last year's A and B (R-REV-11)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.notifications import notify
from grading.models import Enterprise, Grade, GradeRecord, Industry, User
from grading.selectors import indicator_set_in_force
from grading.services.grades import grade_record_add
from review.rules import require
from review.selectors.annual import reapplication_due

DIRECT_GRADES = ("C", "D", "NONLEAD", "NONADV")
#: The source reference of a grade record of the county's direct grading (appealable,
#: R-REV-10).
DIRECT_GRADING_REF = "县级直接评定"


@transaction.atomic
def county_direct_grade(
    *, actor: User, enterprise: Enterprise, industry: Industry, grade: Grade, reason: str
) -> GradeRecord:
    """A county grades its small enterprises C or D (or non-leading) directly."""
    require(actor, "review.grade_directly", enterprise)
    if not enterprise.is_small_micro:
        raise ValidationError(_("直接评定仅适用于小微涉气企业；其他企业须通过申报审核"))
    if grade.code not in DIRECT_GRADES:
        raise ValidationError({"grade": _("县级直接评定只能评为C级、D级或非引领性")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写评定依据")})
    record = grade_record_add(
        actor=actor,
        enterprise=enterprise,
        industry=industry,
        grade=grade,
        effective_from=timezone.localdate(),
        source=GradeRecord.Source.REVIEW,
        source_ref=DIRECT_GRADING_REF,
        reason=reason,
    )
    event_record(
        code="review.county.direct_graded",
        actor=actor,
        target=enterprise,
        summary=_("县级直接评定 %(industry)s 为 %(grade)s")
        % {"industry": industry.name, "grade": grade.name},
        reason=reason,
    )
    return record


def reapplication_remind(*, year: int) -> int:
    """Notify each enterprise due to re-apply (once a year, by the beat schedule)."""
    sent = 0
    for row in reapplication_due(year=year).iterator(chunk_size=500):
        current = indicator_set_in_force(industry=row.industry, on=timezone.localdate())
        version = current.guideline_version.name if current else ""
        created = notify(
            recipients=row.enterprise.users.filter(is_active=True),
            code="review.reapply.reminder",
            message=_(
                "%(year)s年度绩效分级：%(industry)s现为%(grade)s，请按现行指标（%(version)s）重新申报"
            )
            % {
                "year": year,
                "industry": row.industry.name,
                "grade": row.current_grade.name,
                "version": version,
            },
            url="/declarations/new/",
        )
        sent += len(created)
    return sent
