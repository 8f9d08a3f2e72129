"""Grading outside the declaration flow: the county's C/D grading of small enterprises, and
the yearly re-grading of last year's A and B (R-REV-11)."""

import logging
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.notifications import notify
from grading.models import Enterprise, EnterpriseIndustry, Grade, GradeRecord, Industry, User
from grading.selectors import indicator_set_in_force
from grading.services.grades import grade_record_add
from review.models import ReapplicationDecision, ReapplicationReminder
from review.rules import require
from review.selectors.annual import reapplication_due, reapplication_overdue
from review.services.downgrades import grade_ladder

DIRECT_GRADES = ("C", "D", "NONLEAD", "NONADV")
#: The source reference of a grade record of the county's direct grading (appealable,
#: R-REV-10).
DIRECT_GRADING_REF = "县级直接评定"
#: The source reference of a grade lost for not re-applying by the deadline (R-REV-11).
REAPPLY_LAPSED_REF = "%(year)s年度未按期重新申报"
Round = ReapplicationReminder.Round
logger = logging.getLogger(__name__)


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


def _rounds(today: date, deadline: date | None) -> list[str]:
    """The reminder rounds due today: the yearly one, then 30 and 7 days before the deadline
    of the industry's batch (until it passes)."""
    rounds = [Round.YEARLY]
    if deadline is not None and today < deadline:
        if today >= deadline - timedelta(days=30):
            rounds.append(Round.MONTH_BEFORE)
        if today >= deadline - timedelta(days=7):
            rounds.append(Round.WEEK_BEFORE)
    return rounds


def _remind_one(row, *, year: int, round_: str, version: str) -> int:
    """One reminder, recorded before it is sent so that it is never sent twice (a repeated
    beat run, a redelivered task): the unique row is the lock."""
    try:
        with transaction.atomic():
            reminder = ReapplicationReminder.objects.create(
                enterprise=row.enterprise,
                industry=row.industry,
                year=year,
                round=round_,
                deadline=row.deadline,
            )
            when = ""
            if row.deadline:
                when = _("，请于%(d)s前提交") % {"d": row.deadline.isoformat()}
            created = notify(
                recipients=row.enterprise.users.filter(is_active=True),
                code="review.reapply.reminder",
                message=_(
                    "%(year)s年度绩效分级：%(industry)s现为%(grade)s，"
                    "请按现行指标（%(version)s）重新申报%(when)s"
                )
                % {
                    "year": year,
                    "industry": row.industry.name,
                    "grade": row.current_grade.name,
                    "version": version,
                    "when": when,
                },
                url="/declarations/new/",
            )
            reminder.recipients = len(created)
            reminder.save(update_fields=["recipients"])
            event_record(
                code="review.reapply.reminded",
                actor=None,
                target=row.enterprise,
                summary=_("%(year)s年度重新申报提醒（%(round)s，%(industry)s）")
                % {
                    "year": year,
                    "round": reminder.get_round_display(),
                    "industry": row.industry.name,
                },
                data={"round": round_, "recipients": len(created)},
            )
    except IntegrityError:
        return 0
    return len(created)


def reapplication_remind(*, year: int, today: date | None = None) -> int:
    """R-REV-11, run daily by the beat schedule: each enterprise due to re-apply is reminded
    (in-app notice and e-mail) once a year and again 30 and 7 days before its batch's
    deadline; each reminder once only. Returns the number of notices sent."""
    today = today or timezone.localdate()
    sent = reminders = 0
    for row in reapplication_due(year=year).iterator(chunk_size=500):
        sent_rounds = set(
            ReapplicationReminder.objects.filter(
                enterprise=row.enterprise, industry=row.industry, year=year
            ).values_list("round", flat=True)
        )
        todo = [r for r in _rounds(today, row.deadline) if r not in sent_rounds]
        if not todo:
            continue
        current = indicator_set_in_force(industry=row.industry, on=today)
        version = current.guideline_version.name if current else ""
        for round_ in todo:
            count = _remind_one(row, year=year, round_=round_, version=version)
            sent += count
            reminders += 1 if count else 0
    logger.info("R-REV-11 %s: %d reminders, %d notices sent", year, reminders, sent)
    return sent


def reapplication_lowest_grade(row: EnterpriseIndustry, on: date) -> Grade:
    return grade_ladder(row.industry, on)[-1]


@transaction.atomic
def reapplication_decide(
    *,
    actor: User,
    enterprise: Enterprise,
    industry: Industry,
    year: int,
    outcome: str,
    reason: str,
) -> ReapplicationDecision:
    """R-REV-11: the county signs, with its reason, whether an enterprise that did not
    re-apply by its batch's deadline keeps its grade or loses it (the lowest grade of the
    industry's scheme from today, in the grade history; the list follows)."""
    require(actor, "review.decide_reapplication", enterprise)
    if outcome not in ReapplicationDecision.Outcome.values:
        raise ValidationError({"outcome": _("请选择保留或取消原等级")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写理由")})
    today = timezone.localdate()
    row = (
        reapplication_overdue(viewer=actor, year=year, today=today)
        .filter(enterprise=enterprise, industry=industry)
        .first()
    )
    if row is None:
        raise ValidationError(
            _("该企业该行业不在逾期未重新申报名单中（已申报、已决定或批次截止日期未到）")
        )
    EnterpriseIndustry.objects.select_for_update().filter(pk=row.pk).first()
    after = row.current_grade
    if outcome == ReapplicationDecision.Outcome.LOSE:
        after = reapplication_lowest_grade(row, today)
        grade_record_add(
            actor=actor,
            enterprise=enterprise,
            industry=industry,
            grade=after,
            effective_from=today,
            source=GradeRecord.Source.REVIEW,
            source_ref=REAPPLY_LAPSED_REF % {"year": year},
            reason=reason.strip(),
        )
    try:
        with transaction.atomic():
            decision = ReapplicationDecision.objects.create(
                enterprise=enterprise,
                industry=industry,
                year=year,
                deadline=row.deadline,
                outcome=outcome,
                grade_before=row.current_grade,
                grade_after=after,
                reason=reason.strip(),
                signed_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(_("该企业该行业本年度已作出决定")) from exc
    summary = _("%(year)s年度未按期重新申报：%(outcome)s（%(before)s→%(after)s，%(industry)s）") % {
        "year": year,
        "outcome": decision.get_outcome_display(),
        "before": row.current_grade.name,
        "after": after.name,
        "industry": industry.name,
    }
    event_record(
        code="review.reapply.decided",
        actor=actor,
        target=enterprise,
        summary=summary,
        reason=reason,
        data={"decision": decision.pk, "outcome": outcome, "year": year},
    )
    notify(
        recipients=enterprise.users.filter(is_active=True),
        code="review.reapply.decided",
        message=f"{enterprise.name} {summary}",
        url="/declarations/results/",
    )
    return decision
