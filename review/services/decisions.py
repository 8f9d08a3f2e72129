"""Typed review decisions (R-REV-1..5, R-GRADE-3, R-DECL-6).

County and city *recommend*; the city *decides* C and below; the province *decides* A, B, B-,
引领性 and 先进性. Each decision type declares the stage it acts in, its target (a case
transition), its audit code and who is notified; who may sign the decisions of a stage is
``review.rules``' ``review.sign_opinion`` (the actor) and ``review.co_sign_opinion`` (the other
signers). Every decision is a signed opinion that is never edited afterwards; nobody
recommends and decides on the same case (four-eyes).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.notifications import notify
from declarations.models import Declaration, IndicatorRow
from declarations.services import lifecycle
from grading.models import Grade, GradeRecord, User
from grading.rules import is_expert
from grading.services.grades import grade_record_add
from review.deadlines import county_due, month_end
from review.models import IndicatorOpinion, Opinion, Rectification, ReviewCase
from review.rules import allows, require
from review.selectors.cases import city_staff_for, province_staff_for
from review.services.eligibility import case_eligibility_recheck, decision_eligibility_gate
from review.services.forms import approval_form_request
from review.services.guarantee import (
    guarantee_county_due,
    guarantee_decision_check,
    guarantee_granted_send,
    is_guarantee_case,
)
from review.services.panels import expert_refusals, panel_refusals

# Grades the province decides (R-REV-1, R-REV-3, R-PUB-1); the city decides the rest.
PROVINCE_GRADES = {"A+", "A", "B", "B-", "LEAD", "ADV"}
# R-REV-5: first-review results for these grades carry the signatures of the review group.
GROUP_SIGNED_GRADES = PROVINCE_GRADES
Stage = ReviewCase.Stage
Kind = Opinion.Kind
D = Opinion.Decision


@dataclass(frozen=True)
class DecisionType:
    stage: str
    decision: str
    kind: str
    label: str
    case_transition: str
    audit: str
    decides: bool = False
    needs_grade: bool = False
    recipients: Callable = lambda case: []


def _enterprise_users(case):
    return case.declaration.enterprise.users.filter(is_active=True)


def _city(case):
    return list(_enterprise_users(case)) + list(city_staff_for(case.declaration.enterprise.county))


def _province(case):
    return list(_enterprise_users(case)) + list(
        province_staff_for(case.declaration.enterprise.county)
    )


DECISIONS: dict[tuple[str, str], DecisionType] = {
    (Stage.COUNTY, D.RECOMMEND): DecisionType(
        Stage.COUNTY,
        D.RECOMMEND,
        Kind.FIRST_REVIEW,
        gettext_lazy("初审通过，报市级审核"),
        "pass_to_city",
        "review.county.recommended",
        needs_grade=True,
        recipients=_city,
    ),
    (Stage.COUNTY, D.RETURN): DecisionType(
        Stage.COUNTY,
        D.RETURN,
        Kind.FIRST_REVIEW,
        gettext_lazy("退回企业修改"),
        "return_to_enterprise",
        "review.county.returned",
        recipients=_enterprise_users,
    ),
    (Stage.COUNTY, D.REJECT): DecisionType(
        Stage.COUNTY,
        D.REJECT,
        Kind.FIRST_REVIEW,
        gettext_lazy("不予通过"),
        "reject",
        "review.county.rejected",
        recipients=_enterprise_users,
    ),
    (Stage.CITY, D.DECIDE): DecisionType(
        Stage.CITY,
        D.DECIDE,
        Kind.CITY_REVIEW,
        gettext_lazy("市级认定（C级及以下）"),
        "decide",
        "review.city.decided",
        decides=True,
        needs_grade=True,
        recipients=_enterprise_users,
    ),
    (Stage.CITY, D.FORWARD): DecisionType(
        Stage.CITY,
        D.FORWARD,
        Kind.CITY_REVIEW,
        gettext_lazy("审核通过，报省级复核"),
        "forward_to_province",
        "review.city.forwarded",
        needs_grade=True,
        recipients=_province,
    ),
    (Stage.CITY, D.RETURN): DecisionType(
        Stage.CITY,
        D.RETURN,
        Kind.CITY_REVIEW,
        gettext_lazy("退回企业修改"),
        "return_to_enterprise",
        "review.city.returned",
        recipients=_enterprise_users,
    ),
    (Stage.CITY, D.REJECT): DecisionType(
        Stage.CITY,
        D.REJECT,
        Kind.CITY_REVIEW,
        gettext_lazy("不予通过"),
        "reject",
        "review.city.rejected",
        recipients=_enterprise_users,
    ),
    (Stage.PROVINCE, D.CONFIRM): DecisionType(
        Stage.PROVINCE,
        D.CONFIRM,
        Kind.PROVINCE_CHECK,
        gettext_lazy("确认等级"),
        "decide",
        "review.province.confirmed",
        decides=True,
        needs_grade=True,
        recipients=_city,
    ),
    (Stage.PROVINCE, D.DOWNGRADE): DecisionType(
        Stage.PROVINCE,
        D.DOWNGRADE,
        Kind.PROVINCE_CHECK,
        gettext_lazy("降级认定"),
        "decide",
        "review.province.downgraded",
        decides=True,
        needs_grade=True,
        recipients=_city,
    ),
    (Stage.PROVINCE, D.SEND_BACK): DecisionType(
        Stage.PROVINCE,
        D.SEND_BACK,
        Kind.PROVINCE_CHECK,
        gettext_lazy("退回市级重审"),
        "send_back_to_city",
        "review.province.sent_back",
        recipients=lambda case: list(city_staff_for(case.declaration.enterprise.county)),
    ),
}


#: The stage whose decisions an opinion of each kind records (on-site findings decide nothing).
STAGE_OF_KIND = {
    Kind.FIRST_REVIEW: Stage.COUNTY,
    Kind.CITY_REVIEW: Stage.CITY,
    Kind.PROVINCE_CHECK: Stage.PROVINCE,
}


def decisions_for(stage: str) -> list[DecisionType]:
    return [dt for (s, _d), dt in DECISIONS.items() if s == stage]


def decision_label(opinion: Opinion) -> str:
    """What the opinion decided, in the words of its decision type."""
    dt = DECISIONS.get((STAGE_OF_KIND.get(opinion.kind), opinion.decision))
    return str(dt.label) if dt else opinion.get_decision_display()


def _lock_case(case: ReviewCase) -> ReviewCase:
    # Lock the case row only: PostgreSQL cannot lock the nullable side of an outer join
    # (city_grade, the county's parent).
    return (
        ReviewCase.objects.select_for_update(of=("self",))
        .select_related(
            "declaration__enterprise__county__parent",
            "declaration__industry",
            "declaration__requested_grade",
            "declaration__indicator_set__scheme",
            "city_grade",
        )
        .get(pk=case.pk)
    )


def _check_signers(actor: User, dt: DecisionType, case: ReviewCase, signers: list[User]) -> None:
    """R-REV-5: the users who gave the opinion sign it; the acting user is one of them. Who
    may co-sign is ``review.co_sign_opinion``: staff for their own level, experts of the
    review group at the county and of the panel at the city; the province decides without
    the city's panel, whose on-site opinion recommended the grade (four-eyes). An expert
    also still has to be eligible for the enterprise (R-REV-7, R-REV-8)."""
    if actor not in signers:
        raise ValidationError({"signers": _("提交人须为签署人之一")})
    for user in signers:
        if not allows(user, "review.co_sign_opinion", case):
            raise ValidationError(
                {"signers": _("%(name)s 不能签署本级审核意见") % {"name": user.display_name}}
            )
        if is_expert(user):
            refusals = expert_refusals(expert=user, case=case, require_industry=False)
            if refusals:
                raise ValidationError({"signers": f"{user.display_name}：{'；'.join(refusals)}"})
    requested = case.declaration.requested_grade.code
    group_signed = dt.stage == Stage.COUNTY and dt.decision == D.RECOMMEND
    if group_signed and requested in GROUP_SIGNED_GRADES and len(signers) < 2:
        raise ValidationError(
            {
                "signers": _(
                    "A、B（含B-）级及引领性企业的初审结果须由初审小组成员共同签署（至少2人）"
                )
            }
        )


def _check_four_eyes(dt: DecisionType, case: ReviewCase, signers: list[User]) -> None:
    """Nobody recommends and decides on the same case."""
    earlier = set(
        Opinion.objects.filter(case=case)
        .exclude(kind=Kind.ON_SITE)
        .exclude(kind=dt.kind)
        .values_list("signers", flat=True)
    )
    clash = [u.display_name for u in signers if u.pk in earlier]
    if clash:
        raise ValidationError(
            {
                "signers": _("四眼原则：%(names)s 已在其他审核环节签署意见，不能在本环节再签署")
                % {"names": "、".join(clash)}
            }
        )


def _check_grade(dt: DecisionType, case: ReviewCase, grade: Grade | None, verdicts: dict) -> None:
    if not dt.needs_grade:
        return
    if grade is None:
        raise ValidationError({"grade": _("请选择等级")})
    scheme = case.declaration.indicator_set.scheme
    if not scheme.grades.filter(pk=grade.pk).exists():
        raise ValidationError({"grade": _("%(g)s 不属于该行业的分级体系") % {"g": grade.name}})
    requested = case.declaration.requested_grade
    if grade.severity < requested.severity:
        raise ValidationError({"grade": _("审核等级不能高于企业自评估等级")})
    # R-GUAR-3: the city decides a guarantee case whatever its grade.
    if dt.decision == D.DECIDE and grade.code in PROVINCE_GRADES and not is_guarantee_case(case):
        raise ValidationError({"grade": _("市级认定C级及以下；A、B（含B-）级、引领性须报省级复核")})
    if dt.decision == D.FORWARD and grade.code not in PROVINCE_GRADES:
        raise ValidationError({"grade": _("C级及以下由市级直接认定，无需报省")})
    if dt.decision == D.CONFIRM and grade != case.city_grade:
        raise ValidationError({"grade": _("确认等级应与市级审核等级一致；如需调整请选择降级认定")})
    if dt.decision == D.DOWNGRADE and (
        case.city_grade is None or grade.severity <= case.city_grade.severity
    ):
        raise ValidationError({"grade": _("降级认定的等级须低于市级审核等级")})
    # R-GRADE-3: one unmet indicator means the next lower grade.
    unmet = [v for v in verdicts.values() if v[0] == IndicatorOpinion.Verdict.NOT_MEETS]
    if unmet and grade == requested:
        raise ValidationError(
            {
                "grade": _("有指标不符合%(g)s要求，按严格分级原则应评为更低等级")
                % {"g": requested.name}
            }
        )


def _check_verdicts(dt: DecisionType, case: ReviewCase, verdicts: dict) -> dict:
    """Every applicable indicator gets a verdict at first review; 'needs evidence' means the
    declaration goes back to the enterprise, not up the chain."""
    rows = {r.pk: r for r in IndicatorRow.objects.filter(declaration=case.declaration)}
    unknown = set(verdicts) - set(rows)
    if unknown:
        raise ValidationError({"indicators": _("指标不属于本申报")})
    if dt.kind == Kind.FIRST_REVIEW and dt.decision == D.RECOMMEND:
        missing = [r.category.name for pk, r in rows.items() if r.applicable and pk not in verdicts]
        if missing:
            raise ValidationError(
                {"indicators": _("请对每项指标给出初审意见，尚缺：%s") % "、".join(missing)}
            )
        waiting = [
            rows[pk].category.name
            for pk, v in verdicts.items()
            if v[0] == IndicatorOpinion.Verdict.NEEDS_EVIDENCE
        ]
        if waiting:
            raise ValidationError(
                {"indicators": _("以下指标需补充证明材料，请退回企业修改：%s") % "、".join(waiting)}
            )
    return rows


def _check_city_onsite(case: ReviewCase) -> None:
    """R-REV-3, R-REV-6 (002 第六条(3)): the city decides a grade (C included) or forwards A,
    B, B- and 引领性 only after an expert panel with an expert of the industry has recorded and
    signed its on-site verification (现场核查意见), and the rectifications it required are
    verified (R-DECL-6)."""
    if not hasattr(case, "panel"):
        raise ValidationError(_("市级认定等级或报省级复核前，须组建专家组并完成现场核查"))
    refusals = panel_refusals(case=case)
    if refusals:
        raise ValidationError(refusals)
    if not case.verifications.exists():
        raise ValidationError(
            _("市级认定等级或报省级复核前，须记录专家组现场核查意见并由专家组成员签署")
        )
    open_items = Rectification.objects.filter(verification__case=case).exclude(
        status=Rectification.Status.VERIFIED
    )
    if open_items.exists():
        raise ValidationError(
            _("现场核查提出的整改要求尚有%d项未核实，核实后方可认定或报省级复核")
            % open_items.count()
        )


def _transition(case: ReviewCase, name: str) -> None:
    try:
        getattr(case, name)()
        case.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(
            _("案卷当前处于“%s”阶段，不能执行此操作（可能已被他人处理，请刷新）")
            % case.get_stage_display()
        ) from exc


def review_sign(*, actor: User, case: ReviewCase, decision: str, **kwargs) -> Opinion:
    """Sign one decision on a case at its current stage and carry it out. A decision that
    gives a grade first re-checks eligibility (R-ELIG-1..3): a case that fails is returned to
    the enterprise and the signature refused (``CaseReturnedIneligible``)."""
    dt = DECISIONS.get((case.stage, decision))
    if dt is not None and dt.decides and kwargs.get("grade") is not None:
        require(actor, "review.sign_opinion", case)
        decision_eligibility_gate(
            actor=actor, case=case, grade=kwargs["grade"], on=kwargs.get("on")
        )
    return _review_sign(actor=actor, case=case, decision=decision, **kwargs)


@transaction.atomic
def _review_sign(
    *,
    actor: User,
    case: ReviewCase,
    decision: str,
    summary: str,
    conclusion: str,
    signers: list[User],
    grade: Grade | None = None,
    verdicts: dict[int, tuple[str, str]] | None = None,
    on: date | None = None,
) -> Opinion:
    verdicts = verdicts or {}
    case = _lock_case(case)
    dt = DECISIONS.get((case.stage, decision))
    if dt is None:
        raise ValidationError(_("案卷当前处于“%s”阶段，不能作出该结论") % case.get_stage_display())
    require(actor, "review.sign_opinion", case)
    if not summary.strip() or not conclusion.strip():
        raise ValidationError(_("请填写审核意见汇总和分级意见结论"))
    signers = list(dict.fromkeys(signers))
    _check_signers(actor, dt, case, signers)
    _check_four_eyes(dt, case, signers)
    _check_verdicts(dt, case, verdicts)
    _check_grade(dt, case, grade, verdicts)
    if dt.stage == Stage.CITY and is_guarantee_case(case):
        guarantee_decision_check(case, dt.decision)
    if dt.stage == Stage.CITY and dt.decision in (D.FORWARD, D.DECIDE):
        _check_city_onsite(case)
    today = on or timezone.localdate()
    opinion = Opinion.objects.create(
        case=case,
        kind=dt.kind,
        decision=dt.decision,
        grade=grade,
        summary=summary.strip(),
        conclusion=conclusion.strip(),
        signed_by=actor,
        signed_at=timezone.now(),
    )
    opinion.signers.set(signers)
    IndicatorOpinion.objects.bulk_create(
        IndicatorOpinion(opinion=opinion, indicator_row_id=pk, verdict=v, text=t.strip())
        for pk, (v, t) in verdicts.items()
    )
    before = case.stage
    _transition(case, dt.case_transition)
    case.reached_stage_at = timezone.now()
    declaration = case.declaration
    if dt.stage == Stage.COUNTY and grade is not None:
        case.proposed_grade = grade
    if dt.stage == Stage.CITY and grade is not None:
        case.city_grade = grade
    if case.stage == Stage.CITY:
        case.city_due = month_end(today)
    if dt.decides:
        case.final_grade = grade
        case.decided_on = today
    if not case.is_open:
        case.closed_at = timezone.now()
    case.save()
    if dt.decision == D.RETURN:
        lifecycle.declaration_return(actor=actor, declaration=declaration, reason=conclusion)
    elif dt.decision == D.REJECT:
        lifecycle.declaration_close(
            actor=actor, declaration=declaration, decided=False, reason=conclusion
        )
    elif dt.decides:
        lifecycle.declaration_close(
            actor=actor, declaration=declaration, decided=True, reason=conclusion
        )
        grade_record_add(
            actor=actor,
            enterprise=declaration.enterprise,
            industry=declaration.industry,
            grade=grade,
            effective_from=today,
            source=GradeRecord.Source.REVIEW,
            source_ref=declaration.number,
            reason=conclusion,
        )
        if is_guarantee_case(case):
            guarantee_granted_send(case=case, actor=actor)
    event_record(
        code=dt.audit,
        actor=actor,
        target=declaration,
        summary=f"{dt.label}" + (f"（{grade.name}）" if grade else ""),
        reason=conclusion,
        data={
            "case": case.pk,
            "opinion": opinion.pk,
            "from": before,
            "to": case.stage,
            "signers": [u.username for u in signers],
        },
    )
    url = f"/review/cases/{case.pk}/"
    notify(
        recipients=dt.recipients(case),
        code=dt.audit,
        message=_("%(ent)s %(industry)s申报：%(label)s%(grade)s")
        % {
            "ent": declaration.enterprise.name,
            "industry": declaration.industry.name,
            "label": dt.label,
            "grade": f"（{grade.name}）" if grade else "",
        },
        url=url,
    )
    approval_form_request(actor=actor, opinion=opinion)
    return opinion


@transaction.atomic
def first_review_open(*, actor: User, declaration: Declaration) -> ReviewCase:
    """The county accepts a submitted declaration for first review: from now on the enterprise
    can no longer withdraw it. The case is due by the 20th (R-REV-2)."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    require(actor, "review.open_case", declaration)
    # The case carries the declaration as it now is (under review), not the stale instance.
    declaration = lifecycle.declaration_start_review(actor=actor, declaration=declaration)
    version = declaration.versions.get(number=declaration.current_version)
    case = ReviewCase.objects.create(
        declaration=declaration,
        version=version,
        county_due=guarantee_county_due(declaration.year)
        if declaration.control_type == Declaration.ControlType.GUARANTEE
        else county_due(timezone.localdate(version.submitted_at)),
        reached_stage_at=timezone.now(),
    )
    # R-ELIG-1..3: what happened since submission may bar the grade; then it goes back.
    if case_eligibility_recheck(actor=actor, case=case, on=timezone.localdate()):
        return case
    event_record(
        code="review.case.opened",
        actor=actor,
        target=declaration,
        summary=_("受理初审（第%d版）") % version.number,
        data={"case": case.pk, "due": case.county_due},
    )
    notify(
        recipients=_enterprise_users(case),
        code="review.case.opened",
        message=_("%(ent)s 的申报已受理，进入县级初审") % {"ent": declaration.enterprise.name},
        url=f"/declarations/{declaration.pk}/",
    )
    return case


@transaction.atomic
def opinion_correct(
    *, actor: User, opinion: Opinion, summary: str, conclusion: str, reason: str
) -> Opinion:
    """R-REV-5: a signed opinion is never edited. A signer may correct its wording with a new,
    signed entry that points at the original; the decision and the grade stay as signed."""
    if not reason.strip():
        raise ValidationError({"reason": _("请说明更正理由")})
    require(actor, "review.correct_opinion", opinion)
    if not summary.strip() or not conclusion.strip():
        raise ValidationError(_("请填写审核意见汇总和分级意见结论"))
    correction = Opinion.objects.create(
        case=opinion.case,
        kind=opinion.kind,
        decision=opinion.decision,
        grade=opinion.grade,
        summary=summary.strip(),
        conclusion=conclusion.strip(),
        signed_by=actor,
        signed_at=timezone.now(),
        corrects=opinion,
    )
    correction.signers.set([actor])
    event_record(
        code="review.opinion.corrected",
        actor=actor,
        target=opinion.case.declaration,
        summary=_("更正%s") % opinion.get_kind_display(),
        reason=reason,
        data={"opinion": opinion.pk, "correction": correction.pk},
    )
    approval_form_request(actor=actor, opinion=correction)
    return correction
