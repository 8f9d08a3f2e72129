"""Downgrade cases (R-DYN-1; 001 三(七), 002 第十五条).

``downgrade_case_open`` is the one entry point: a violation record of the R-DYN-1 kinds (through
grading's ``violation_recorded`` signal), a failed inspection, a founded public report or a
measure not taken during an alert opens a case at the county with its reason code, or adds the
fact to the enterprise's open case. Inspection problems go to an expert second review: the city
forms a panel under the rules of on-site verification (R-REV-6..8) and the panel signs its
opinion. The county then signs the outcome four-eyes (at least two of its staff, none of them a
signer of the second review): downgrade to a named grade, the lowest grade (every graded
industry), or no change. The grade history records it with its source (``GradeRecord.Source.
DOWNGRADE``, the case number), which the emergency list follows and eligibility reads
(R-ELIG-1, R-ELIG-2); the worker renders each signed opinion as a form; the enterprise may ask
the city to re-review within the appeal period (R-REV-10).
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.notifications import notify
from grading.models import (
    Enterprise,
    EnterpriseIndustry,
    Grade,
    GradeRecord,
    Industry,
    User,
    ViolationRecord,
)
from grading.selectors import indicator_set_in_force
from grading.services.grades import grade_record_add
from review.models import CaseOpinion, DowngradeCase, DowngradeTrigger, Panel, PanelMember
from review.rules import allows, require
from review.selectors.cases import city_staff_for, staff_of
from review.services.case_forms import case_form_request
from review.services.case_opinions import case_opinion_create, panel_signers_check
from review.services.panels import panel_problems

Reason = DowngradeCase.Reason
Outcome = DowngradeCase.Outcome
Stage = DowngradeCase.Stage
Kind = CaseOpinion.Kind

#: R-DYN-1: the violation kinds that open a downgrade case, and their reason code.
REASON_OF_VIOLATION = {
    ViolationRecord.Kind.EXCEEDING_PERMIT: Reason.EXCEEDING,
    ViolationRecord.Kind.SECRET_DISCHARGE: Reason.SECRET_DISCHARGE,
    ViolationRecord.Kind.TREATMENT_NOT_RUNNING: Reason.TREATMENT_NOT_RUNNING,
}
#: Reasons an expert second review looks into before the county decides (R-DYN-1; a change
#: of equipment or facilities re-reviewed as R-ELIG-5 asks).
SECOND_REVIEW_REASONS = (Reason.INSPECTION, Reason.CHANGE)
#: Reasons a bureau reports by hand; violations come in through their records.
REPORTED_REASONS = {
    Reason.INSPECTION: DowngradeTrigger.Source.INSPECTION,
    Reason.PUBLIC_REPORT: DowngradeTrigger.Source.PUBLIC_REPORT,
    Reason.ALERT_MEASURE: DowngradeTrigger.Source.ALERT,
}
#: Reasons other services open a case for, with the source they record.
SOURCE_OF_REASON = {
    **REPORTED_REASONS,
    Reason.CHANGE: DowngradeTrigger.Source.CHANGE_REPORT,
}


def appeal_days() -> int:
    """R-REV-10: days after a county-level decision within which the enterprise may appeal."""
    return int(settings.GRADING.get("APPEAL_DAYS", 15))


def graded_industries(enterprise: Enterprise) -> list[EnterpriseIndustry]:
    return list(
        EnterpriseIndustry.objects.filter(enterprise=enterprise, current_grade__isnull=False)
        .select_related("industry", "current_grade")
        .order_by("-is_main", "id")
    )


def grade_ladder(industry: Industry, on: date) -> list[Grade]:
    indicator_set = indicator_set_in_force(industry=industry, on=on)
    if indicator_set is None:
        return list(Grade.objects.order_by("severity", "code"))
    return indicator_set.scheme.ordered_grades()


def _staff_notified(case: DowngradeCase) -> list[User]:
    return list(staff_of(case.enterprise.county, User.Role.COUNTY))


def _enterprise_users(case: DowngradeCase):
    return case.enterprise.users.filter(is_active=True)


def _transition(case: DowngradeCase, name: str) -> None:
    try:
        getattr(case, name)()
        case.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(
            _("案卷当前处于“%s”阶段，不能执行此操作（可能已被他人处理，请刷新）")
            % case.get_stage_display()
        ) from exc


# --- Opening ---------------------------------------------------------------------------------


@transaction.atomic
def downgrade_case_open(
    *,
    actor: User | None,
    enterprise: Enterprise,
    reason: str,
    detail: str,
    occurred_on: date,
    reference: str = "",
    industry: Industry | None = None,
    violation: ViolationRecord | None = None,
    recorded_by: User | None = None,
) -> DowngradeCase:
    """R-DYN-1: open a downgrade case at the enterprise's county with ``reason`` (or add the
    fact to its open case). ``actor`` is the county staff member reporting an inspection,
    a public report or an alert measure by hand (``review.open_downgrade``); None when another
    service opens it on the system's behalf (a violation record, which its own service let in;
    ``recorded_by`` is then who recorded the fact). An enterprise with no grade has nothing to
    lose (it is managed at the lowest grade, R-ELIG-4) and is refused."""
    enterprise = Enterprise.objects.select_related("county__parent").get(pk=enterprise.pk)
    if actor is not None:
        require(actor, "review.open_downgrade", enterprise)
        if reason not in REPORTED_REASONS:
            raise ValidationError(
                {
                    "reason": _(
                        "超标排放、偷排漏排、治污设施不正常运行请登记违法违规记录，系统自动立案"
                    )
                }
            )
    if reason not in Reason.values:
        raise ValidationError({"reason": _("请选择降级事由")})
    if not detail.strip():
        raise ValidationError({"detail": _("请说明情况")})
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": _("发生日期不能晚于今天")})
    graded = graded_industries(enterprise)
    if not graded:
        raise ValidationError(_("该企业尚无绩效等级，按最低等级管理，无需降级处理"))
    if industry is not None and industry.pk not in {r.industry_id for r in graded}:
        raise ValidationError({"industry": _("该企业在此行业没有绩效等级")})
    recorder = actor or recorded_by
    case = (
        DowngradeCase.objects.select_for_update()
        .filter(enterprise=enterprise)
        .exclude(stage=Stage.DECIDED)
        .first()
    )
    opened = case is None
    if opened:
        case = DowngradeCase.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:14]}",
            enterprise=enterprise,
            industry=industry or graded[0].industry,
            reasons=[reason],
            needs_second_review=reason in SECOND_REVIEW_REASONS,
            opened_by=recorder,
        )
        case.number = f"DG{timezone.localdate().year}{case.pk:06d}"
        case.save(update_fields=["number"])
    elif reason not in case.reasons:
        case.reasons = [*case.reasons, reason]
        case.needs_second_review = case.needs_second_review or reason in SECOND_REVIEW_REASONS
        case.save(update_fields=["reasons", "needs_second_review"])
    trigger = DowngradeTrigger.objects.create(
        case=case,
        reason=reason,
        source=SOURCE_OF_REASON.get(reason, DowngradeTrigger.Source.VIOLATION),
        violation=violation,
        reference=reference.strip(),
        occurred_on=occurred_on,
        detail=detail.strip(),
        recorded_by=recorder,
    )
    reviewed = case.opinions.filter(kind=Kind.SECOND_REVIEW).exists()
    if case.needs_second_review and case.stage == Stage.COUNTY and not reviewed:
        _transition(case, "to_second_review")
    label = trigger.get_reason_display()
    event_record(
        code="review.downgrade.opened" if opened else "review.downgrade.fact_added",
        actor=recorder,
        target=case,
        summary=(_("立案降级处理：%(reason)s") if opened else _("追加降级事由：%(reason)s"))
        % {"reason": label},
        reason=detail,
        data={"trigger": trigger.pk, "reason": reason, "violation": getattr(violation, "pk", None)},
    )
    event_record(
        code="enterprise.downgrade_case_opened" if opened else "enterprise.downgrade_fact_added",
        actor=recorder,
        target=enterprise,
        summary=_("%(number)s：%(reason)s") % {"number": case.number, "reason": label},
        data={"case": case.pk},
    )
    recipients = _staff_notified(case)
    if case.stage == Stage.SECOND_REVIEW:
        recipients += list(city_staff_for(enterprise.county))
    notify(
        recipients=[*recipients, *_enterprise_users(case)],
        code="review.downgrade.opened",
        message=_("%(ent)s 因%(reason)s进入降级处理（%(number)s）")
        % {"ent": enterprise.name, "reason": label, "number": case.number},
        url=f"/review/downgrades/{case.pk}/",
    )
    return case


def downgrade_case_from_violation(*, record: ViolationRecord, actor: User | None) -> None:
    """grading's ``violation_recorded``: a violation of the R-DYN-1 kinds opens a case for a
    graded enterprise (an ungraded one has no grade to lose)."""
    reason = REASON_OF_VIOLATION.get(record.kind)
    if reason is None or not graded_industries(record.enterprise):
        return
    downgrade_case_open(
        actor=None,
        enterprise=record.enterprise,
        reason=reason,
        detail=record.description,
        occurred_on=record.occurred_on,
        reference=record.document_no,
        violation=record,
        recorded_by=actor,
    )


# --- The second review -----------------------------------------------------------------------


def _lock(case: DowngradeCase) -> DowngradeCase:
    return (
        DowngradeCase.objects.select_for_update(of=("self",))
        .select_related("enterprise__county__parent", "industry")
        .get(pk=case.pk)
    )


def downgrade_panel_problems(case: DowngradeCase) -> list[str]:
    panel = getattr(case, "panel", None)
    if panel is None:
        return [_("尚未组建专家组")]
    members = [m.expert for m in panel.memberships.select_related("expert__expert_profile")]
    return panel_problems(enterprise=case.enterprise, industry=case.industry, members=members)


@transaction.atomic
def downgrade_panel_assign(
    *, actor: User, case: DowngradeCase, experts: list[User], leader: User | None = None
) -> Panel:
    """The city forms the second-review panel under the rules of on-site verification: of the
    city's pool or the provincial one, eligible, one expert of the industry (R-REV-6..8)."""
    case = _lock(case)
    require(actor, "review.assign_downgrade_panel", case)
    if case.stage != Stage.SECOND_REVIEW:
        raise ValidationError(_("只有处于专家二次审核阶段的案卷可以组建专家组"))
    experts = list(dict.fromkeys(experts))
    if not experts:
        raise ValidationError({"experts": _("请选择专家")})
    problems = panel_problems(enterprise=case.enterprise, industry=case.industry, members=experts)
    if problems:
        raise ValidationError({"experts": problems})
    leader = leader or experts[0]
    if leader not in experts:
        raise ValidationError({"leader": _("组长须为专家组成员")})
    panel, _created = Panel.objects.get_or_create(
        downgrade_case=case, defaults={"formed_by": actor}
    )
    before = sorted(panel.memberships.values_list("expert__username", flat=True))
    panel.memberships.all().delete()
    PanelMember.objects.bulk_create(
        PanelMember(panel=panel, expert=e, is_leader=e == leader) for e in experts
    )
    event_record(
        code="review.downgrade.panel_assigned",
        actor=actor,
        target=case,
        summary=_("组建二次审核专家组：%s") % "、".join(e.display_name for e in experts),
        data={"before": before, "after": [e.username for e in experts]},
    )
    notify(
        recipients=experts,
        code="review.downgrade.panel_assigned",
        message=_("您被选入 %(ent)s 降级处理（%(number)s）的二次审核专家组")
        % {"ent": case.enterprise.name, "number": case.number},
        url=f"/review/downgrades/{case.pk}/",
    )
    return panel


@dataclass(frozen=True)
class Change:
    row: EnterpriseIndustry
    grade: Grade


def outcome_changes(
    case: DowngradeCase, outcome: str, grade: Grade | None, on: date
) -> list[Change]:
    """What an outcome does to the grades (R-DYN-1): a named grade for the case's industry,
    below its current one and of its scheme; the lowest grade for every graded industry
    (those already there stay); nothing for no change."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("请选择处理结果")})
    if outcome != Outcome.DOWNGRADE and grade is not None:
        raise ValidationError({"grade": _("只有“降为指定等级”须选择等级")})
    graded = graded_industries(case.enterprise)
    if outcome == Outcome.NO_CHANGE:
        return []
    if outcome == Outcome.DOWNGRADE:
        row = next((r for r in graded if r.industry_id == case.industry_id), None)
        if row is None:
            raise ValidationError(_("该企业在%s行业已无绩效等级") % case.industry.name)
        if grade is None:
            raise ValidationError({"grade": _("降为指定等级时须选择等级")})
        ladder = grade_ladder(case.industry, on)
        if grade not in ladder or grade.severity <= row.current_grade.severity:
            raise ValidationError(
                {
                    "grade": _("降级后的等级须低于现行等级（%(g)s）且属于该行业分级体系")
                    % {"g": row.current_grade.name}
                }
            )
        return [Change(row, grade)]
    changes = []
    for row in graded:
        lowest = grade_ladder(row.industry, on)[-1]
        if row.current_grade_id != lowest.pk:
            changes.append(Change(row, lowest))
    if not changes:
        raise ValidationError({"outcome": _("该企业各行业已是最低等级，请选择维持原等级")})
    return changes


def _signed_opinion(case, **signed) -> CaseOpinion:
    return case_opinion_create(
        case_field="downgrade_case", case=case, missing_text=_("请填写核查情况和结论"), **signed
    )


@transaction.atomic
def downgrade_second_review_sign(
    *,
    actor: User,
    case: DowngradeCase,
    outcome: str,
    summary: str,
    conclusion: str,
    signers: list[User],
    grade: Grade | None = None,
) -> CaseOpinion:
    """R-DYN-1: the panel's signed second-review opinion with the outcome it recommends; the
    case goes back to the county for its decision."""
    case = _lock(case)
    require(actor, "review.sign_second_review", case)
    if case.stage != Stage.SECOND_REVIEW:
        raise ValidationError(_("只有处于专家二次审核阶段的案卷可以签署二次审核意见"))
    problems = downgrade_panel_problems(case)
    if problems:
        raise ValidationError(problems)
    signers = panel_signers_check(
        actor=actor,
        signers=signers,
        panel=case.panel,
        perm="review.sign_second_review",
        obj=case,
        member_needed=_("二次审核意见须由专家组成员签署"),
    )
    outcome_changes(case, outcome, grade, timezone.localdate())
    opinion = _signed_opinion(
        case,
        kind=Kind.SECOND_REVIEW,
        outcome=outcome,
        grade=grade,
        summary=summary,
        conclusion=conclusion,
        actor=actor,
        signers=signers,
    )
    _transition(case, "second_review_signed")
    event_record(
        code="review.downgrade.second_review_signed",
        actor=actor,
        target=case,
        summary=_("专家二次审核意见：%(outcome)s%(grade)s")
        % {"outcome": opinion.get_outcome_display(), "grade": f"（{grade.name}）" if grade else ""},
        reason=conclusion,
        data={"opinion": opinion.pk, "signers": [u.username for u in signers]},
    )
    notify(
        recipients=_staff_notified(case),
        code="review.downgrade.second_review_signed",
        message=_("%(number)s 专家二次审核意见已签署，请作出处理决定") % {"number": case.number},
        url=f"/review/downgrades/{case.pk}/",
    )
    case_form_request(actor=actor, opinion=opinion)
    return opinion


# --- The decision ----------------------------------------------------------------------------


def _check_decision_signers(case: DowngradeCase, actor: User, signers: list[User]) -> None:
    """Four-eyes: at least two of the county's staff sign; nobody who signed the second
    review signs the decision."""
    if actor not in signers:
        raise ValidationError({"signers": _("提交人须为签署人之一")})
    if len(signers) < 2:
        raise ValidationError({"signers": _("处理决定须由至少2名县级工作人员共同签署（四眼原则）")})
    for s in signers:
        if not allows(s, "review.decide_downgrade", case):
            raise ValidationError(
                {"signers": _("%(name)s 不能签署本案处理决定") % {"name": s.display_name}}
            )
    reviewed = set(case.opinions.filter(kind=Kind.SECOND_REVIEW).values_list("signers", flat=True))
    clash = [s.display_name for s in signers if s.pk in reviewed]
    if clash:
        raise ValidationError(
            {
                "signers": _("四眼原则：%(names)s 已签署二次审核意见，不能再签署处理决定")
                % {"names": "、".join(clash)}
            }
        )


@transaction.atomic
def downgrade_decide(
    *,
    actor: User,
    case: DowngradeCase,
    outcome: str,
    summary: str,
    conclusion: str,
    signers: list[User],
    grade: Grade | None = None,
) -> CaseOpinion:
    """R-DYN-1: the county signs the outcome four-eyes; the grade history records it with its
    source and the list follows; the enterprise may appeal to the city (R-REV-10)."""
    case = _lock(case)
    require(actor, "review.decide_downgrade", case)
    if case.needs_second_review and not case.opinions.filter(kind=Kind.SECOND_REVIEW).exists():
        raise ValidationError(_("监督检查发现的问题须经专家二次审核后方可作出处理决定"))
    if case.stage != Stage.COUNTY:
        raise ValidationError(
            _("案卷当前处于“%s”阶段，不能作出处理决定") % case.get_stage_display()
        )
    signers = list(dict.fromkeys(signers))
    _check_decision_signers(case, actor, signers)
    today = timezone.localdate()
    changes = outcome_changes(case, outcome, grade, today)
    opinion = _signed_opinion(
        case,
        kind=Kind.DECISION,
        outcome=outcome,
        grade=grade,
        summary=summary,
        conclusion=conclusion,
        actor=actor,
        signers=signers,
    )
    main = next(
        (r for r in graded_industries(case.enterprise) if r.industry_id == case.industry_id), None
    )
    case.grade_before = main.current_grade if main else None
    for change in changes:
        grade_record_add(
            actor=actor,
            enterprise=case.enterprise,
            industry=change.row.industry,
            grade=change.grade,
            effective_from=today,
            source=GradeRecord.Source.DOWNGRADE,
            source_ref=case.number,
            reason=conclusion,
        )
    after = next((c.grade for c in changes if c.row.industry_id == case.industry_id), None)
    case.outcome = outcome
    case.grade = after or case.grade_before
    case.decided_on = today
    case.appeal_due = today + timedelta(days=appeal_days())
    case.closed_at = timezone.now()
    _transition(case, "decide")
    summary_text = _("降级处理决定：%(outcome)s%(grade)s") % {
        "outcome": opinion.get_outcome_display(),
        "grade": f"（{case.grade.name}）" if changes and case.grade else "",
    }
    event_record(
        code="review.downgrade.decided",
        actor=actor,
        target=case,
        summary=summary_text,
        reason=conclusion,
        data={
            "opinion": opinion.pk,
            "outcome": outcome,
            "changes": {c.row.industry.code: c.grade.code for c in changes},
            "signers": [u.username for u in signers],
        },
    )
    event_record(
        code="enterprise.downgrade_decided",
        actor=actor,
        target=case.enterprise,
        summary=f"{case.number}：{summary_text}",
        reason=conclusion,
        data={"case": case.pk},
    )
    notify(
        recipients=[*_enterprise_users(case), *city_staff_for(case.enterprise.county)],
        code="review.downgrade.decided",
        message=_("%(ent)s %(text)s；如有异议，可于%(due)s前向市级生态环境部门申请复核")
        % {"ent": case.enterprise.name, "text": summary_text, "due": case.appeal_due},
        url=f"/review/downgrades/{case.pk}/",
    )
    case_form_request(actor=actor, opinion=opinion)
    return opinion


def grade_choices(case: DowngradeCase) -> list[Grade]:
    """The grades a downgrade of the case's industry may name: of its scheme, below its
    current grade."""
    row = next(
        (r for r in graded_industries(case.enterprise) if r.industry_id == case.industry_id), None
    )
    if row is None:
        return []
    ladder = grade_ladder(case.industry, timezone.localdate())
    return [g for g in ladder if g.severity > row.current_grade.severity]
