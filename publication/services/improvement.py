"""The improvement list (R-TGT-2): the county records each enterprise and industry it helps
to a better grade, with the indicator, the problem, the measures and the date."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Enterprise, Grade, IndicatorCategory, Industry, User
from grading.selectors import indicator_set_in_force
from publication.models import ImprovementEntry
from publication.rules import require


@transaction.atomic
def improvement_add(
    *,
    actor: User,
    year: int,
    enterprise: Enterprise,
    industry: Industry,
    target_grade: Grade,
    indicator: IndicatorCategory,
    problem: str,
    measures: str,
    due_on: datetime.date,
    note: str = "",
) -> ImprovementEntry:
    require(actor, "publication.edit_improvement", enterprise.county)
    row = enterprise.industries.filter(industry=industry).select_related("current_grade").first()
    if row is None:
        raise ValidationError({"industry": _("该企业未登记此行业")})
    indicator_set = indicator_set_in_force(industry=industry, on=due_on)
    if (
        indicator_set is not None
        and not indicator_set.scheme.grades.filter(pk=target_grade.pk).exists()
    ):
        raise ValidationError({"target_grade": _("目标等级不属于该行业的分级体系")})
    current = row.current_grade
    if current is not None and target_grade.severity >= current.severity:
        raise ValidationError(
            {"target_grade": _("提升目标应高于现状（%(g)s）") % {"g": current.name}}
        )
    if not problem.strip() or not measures.strip():
        raise ValidationError(_("请填写存在问题和改造措施"))
    try:
        with transaction.atomic():
            entry = ImprovementEntry.objects.create(
                year=year,
                enterprise=enterprise,
                industry=industry,
                target_grade=target_grade,
                indicator=indicator,
                problem=problem.strip(),
                measures=measures.strip(),
                due_on=due_on,
                note=note.strip()[:200],
                created_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(_("该企业此行业本年度已列入绩效提升清单")) from exc
    event_record(
        code="publication.improvement.added",
        actor=actor,
        target=enterprise,
        summary=_("列入%(year)d年绩效提升企业清单：%(industry)s，目标%(grade)s")
        % {"year": year, "industry": industry.name, "grade": target_grade.name},
        data={"entry": entry.pk, "indicator": indicator.code, "due_on": due_on},
    )
    return entry
