"""Appeals (R-REV-10; 002 第十五条): within ``GRADING["APPEAL_DAYS"]`` days (15 by default) of a
county-level grade decision (a downgrade decision that changed the grade, or the county's
direct grading) the enterprise asks the city to re-review it, with its reasons and files. The
city re-reviews: with an expert panel (rules of on-site verification) where the decision
rested on an expert review, or where it chooses to; then it signs the outcome, upholding the
county's decision or changing the grade. The grade changes only when the city signs
(``GradeRecord.Source.APPEAL``). The enterprise is told of every step and sees them all.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.notifications import notify
from core.uploads import validate_upload
from grading.models import Enterprise, Grade, GradeRecord, Industry, User
from grading.services.grades import grade_record_add
from review.models import Appeal, AppealFile, CaseOpinion, DowngradeCase, Panel, PanelMember
from review.rules import allows, require
from review.selectors.cases import city_staff_for, staff_of
from review.services.annual import DIRECT_GRADING_REF
from review.services.case_forms import case_form_request
from review.services.case_opinions import case_opinion_create, panel_signers_check
from review.services.decisions import PROVINCE_GRADES
from review.services.downgrades import appeal_days, grade_ladder, graded_industries
from review.services.panels import panel_problems

Stage = Appeal.Stage
Outcome = Appeal.Outcome
Kind = CaseOpinion.Kind
MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
FILE_KINDS = ("pdf", "jpeg", "png")


@dataclass(frozen=True)
class Appealable:
    """A county-level decision the enterprise may still appeal."""

    industry: Industry
    grade: Grade
    earlier: Grade | None
    decided_on: date
    due_on: date
    downgrade_case: DowngradeCase | None = None
    grade_record: GradeRecord | None = None

    @property
    def label(self) -> str:
        if self.downgrade_case is not None:
            return _("降级处理决定 %(number)s（%(outcome)s）") % {
                "number": self.downgrade_case.number,
                "outcome": self.downgrade_case.get_outcome_display(),
            }
        return _("县级直接评定")


def _earlier_grade(record: GradeRecord) -> Grade | None:
    before = (
        GradeRecord.objects.filter(
            enterprise=record.enterprise_id,
            industry=record.industry_id,
            effective_from__lt=record.effective_from,
        )
        .exclude(pk=record.pk)
        .select_related("grade")
        .order_by("-effective_from", "-id")
        .first()
    )
    return before.grade if before else None


def appealable_decisions(*, enterprise: Enterprise, today: date | None = None) -> list[Appealable]:
    """R-REV-10: the county-level decisions of the last ``APPEAL_DAYS`` days not yet appealed:
    downgrade decisions that changed a grade, and the county's direct gradings still in force."""
    today = today or timezone.localdate()
    since = today - timedelta(days=appeal_days())
    days = timedelta(days=appeal_days())
    out = []
    cases = (
        DowngradeCase.objects.filter(
            enterprise=enterprise,
            stage=DowngradeCase.Stage.DECIDED,
            decided_on__gte=since,
            appeal__isnull=True,
        )
        .exclude(outcome=DowngradeCase.Outcome.NO_CHANGE)
        .select_related("industry", "grade", "grade_before")
    )
    for case in cases:
        out.append(
            Appealable(
                industry=case.industry,
                grade=case.grade,
                earlier=case.grade_before,
                decided_on=case.decided_on,
                due_on=case.decided_on + days,
                downgrade_case=case,
            )
        )
    appealed = Appeal.objects.filter(grade_record__isnull=False).values("grade_record")
    records = (
        GradeRecord.objects.filter(
            enterprise=enterprise,
            source=GradeRecord.Source.REVIEW,
            source_ref=DIRECT_GRADING_REF,
            effective_from__gte=since,
            effective_to__isnull=True,
        )
        .exclude(pk__in=appealed)
        .select_related("industry", "grade", "enterprise")
    )
    for record in records:
        out.append(
            Appealable(
                industry=record.industry,
                grade=record.grade,
                earlier=_earlier_grade(record),
                decided_on=record.effective_from,
                due_on=record.effective_from + days,
                grade_record=record,
            )
        )
    return sorted(out, key=lambda a: a.decided_on, reverse=True)


def _transition(appeal: Appeal, name: str) -> None:
    try:
        getattr(appeal, name)()
        appeal.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(
            _("复核申请当前处于“%s”阶段，不能执行此操作（可能已被他人处理，请刷新）")
            % appeal.get_stage_display()
        ) from exc


def _parties(appeal: Appeal) -> list[User]:
    """Who follows the appeal: the enterprise, the county whose decision it is, the city."""
    county = appeal.enterprise.county
    return [
        *appeal.enterprise.users.filter(is_active=True),
        *staff_of(county, User.Role.COUNTY),
        *city_staff_for(county),
    ]


def _tell(appeal: Appeal, *, code: str, actor, summary: str, reason: str = "", data=None):
    """Every step is an event on the appeal (the enterprise's page shows them) and on the
    enterprise's timeline, and a notice to the parties."""
    event_record(
        code=code, actor=actor, target=appeal, summary=summary, reason=reason, data=data or {}
    )
    event_record(
        code=code,
        actor=actor,
        target=appeal.enterprise,
        summary=f"{appeal.number}：{summary}",
        data={"appeal": appeal.pk},
    )
    notify(
        recipients=_parties(appeal),
        code=code,
        message=f"{appeal.enterprise.name} 复核申请 {appeal.number}：{summary}",
        url=f"/review/appeals/{appeal.pk}/",
    )


@transaction.atomic
def appeal_file(
    *,
    actor: User,
    enterprise: Enterprise,
    reasons: str,
    files: list | None = None,
    downgrade_case: DowngradeCase | None = None,
    grade_record: GradeRecord | None = None,
) -> Appeal:
    """R-REV-10: the enterprise asks the city to re-review one county-level decision."""
    require(actor, "review.file_appeal", enterprise)
    if (downgrade_case is None) == (grade_record is None):
        raise ValidationError(_("请选择申请复核的县级决定"))
    if not reasons.strip():
        raise ValidationError({"reasons": _("请说明申请复核的理由")})
    target = next(
        (
            a
            for a in appealable_decisions(enterprise=enterprise)
            if (downgrade_case is not None and a.downgrade_case == downgrade_case)
            or (grade_record is not None and a.grade_record == grade_record)
        ),
        None,
    )
    if target is None:
        raise ValidationError(
            _(
                "该决定不可申请复核：须为本企业县级作出的绩效等级决定，尚未申请过，"
                "且在决定作出之日起%(days)d日内"
            )
            % {"days": appeal_days()}
        )
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("最多上传%d个文件") % MAX_FILES})
    checked = []
    for upload in files:
        result = validate_upload(
            upload, original_name=getattr(upload, "name", ""), max_bytes=MAX_FILE_BYTES
        )
        if result.kind not in FILE_KINDS:
            raise ValidationError({"files": _("复核材料仅支持 PDF、JPG、PNG 格式")})
        checked.append((upload, result))
    appeal = Appeal.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:14]}",
        enterprise=enterprise,
        industry=target.industry,
        downgrade_case=target.downgrade_case,
        grade_record=target.grade_record,
        contested_on=target.decided_on,
        due_on=target.due_on,
        reasons=reasons.strip(),
        needs_panel=bool(target.downgrade_case and target.downgrade_case.needs_second_review),
        grade_contested=target.grade,
        grade_earlier=target.earlier,
        filed_by=actor,
    )
    appeal.number = f"FH{timezone.localdate().year}{appeal.pk:06d}"
    appeal.save(update_fields=["number"])
    for upload, result in checked:
        row = AppealFile(
            appeal=appeal,
            name=result.safe_name[:200],
            extension=result.extension,
            content_type=result.content_type,
            size=result.size,
            sha256=result.sha256,
            uploaded_by=actor,
        )
        row.file.save(f"file{result.extension}", upload, save=False)
        row.save()
    _tell(
        appeal,
        code="review.appeal.filed",
        actor=actor,
        summary=_("申请市级复核：%(what)s（附材料%(n)d份）")
        % {"what": target.label, "n": len(checked)},
        reason=reasons,
        data={"files": len(checked)},
    )
    return appeal


@transaction.atomic
def appeal_withdraw(*, actor: User, appeal: Appeal, reason: str) -> Appeal:
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=appeal.pk)
    )
    require(actor, "review.withdraw_appeal", appeal)
    if not reason.strip():
        raise ValidationError({"reason": _("请说明撤回理由")})
    appeal.withdrawn_reason = reason.strip()
    appeal.closed_at = timezone.now()
    _transition(appeal, "withdraw")
    _tell(
        appeal,
        code="review.appeal.withdrawn",
        actor=actor,
        summary=_("企业撤回复核申请"),
        reason=reason,
    )
    return appeal


def _lock(appeal: Appeal) -> Appeal:
    return (
        Appeal.objects.select_for_update(of=("self",))
        .select_related(
            "enterprise__county__parent", "industry", "grade_contested", "grade_earlier"
        )
        .get(pk=appeal.pk)
    )


def appeal_panel_problems(appeal: Appeal) -> list[str]:
    panel = getattr(appeal, "panel", None)
    if panel is None:
        return [_("尚未组建专家组")]
    members = [m.expert for m in panel.memberships.select_related("expert__expert_profile")]
    return panel_problems(enterprise=appeal.enterprise, industry=appeal.industry, members=members)


@transaction.atomic
def appeal_panel_assign(
    *, actor: User, appeal: Appeal, experts: list[User], leader: User | None = None
) -> Panel:
    """The city forms the re-review panel under the rules of on-site verification."""
    appeal = _lock(appeal)
    require(actor, "review.assign_appeal_panel", appeal)
    if appeal.stage != Stage.FILED:
        raise ValidationError(_("复核已办结，不能再组建专家组"))
    if appeal.opinions.filter(kind=Kind.SECOND_REVIEW).exists():
        raise ValidationError(_("专家组已签署复核意见，不能再调整成员"))
    experts = list(dict.fromkeys(experts))
    if not experts:
        raise ValidationError({"experts": _("请选择专家")})
    problems = panel_problems(
        enterprise=appeal.enterprise, industry=appeal.industry, members=experts
    )
    if problems:
        raise ValidationError({"experts": problems})
    leader = leader or experts[0]
    if leader not in experts:
        raise ValidationError({"leader": _("组长须为专家组成员")})
    panel, _created = Panel.objects.get_or_create(appeal=appeal, defaults={"formed_by": actor})
    panel.memberships.all().delete()
    PanelMember.objects.bulk_create(
        PanelMember(panel=panel, expert=e, is_leader=e == leader) for e in experts
    )
    _tell(
        appeal,
        code="review.appeal.panel_assigned",
        actor=actor,
        summary=_("市级组建复核专家组（%d人）") % len(experts),
        data={"experts": [e.username for e in experts]},
    )
    notify(
        recipients=experts,
        code="review.appeal.panel_assigned",
        message=_("您被选入 %(ent)s 复核申请（%(number)s）的专家组")
        % {"ent": appeal.enterprise.name, "number": appeal.number},
        url=f"/review/appeals/{appeal.pk}/",
    )
    return panel


def _check_outcome(appeal: Appeal, outcome: str, grade: Grade | None) -> None:
    """UPHOLD changes nothing; CHANGE names a grade of the industry's scheme other than the
    current one. A, B (B-) and 引领性 are the province's to award (R-REV-3): the city may only
    restore the grade held before the county's decision."""
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("请选择复核结果")})
    if outcome == Outcome.UPHOLD:
        if grade is not None:
            raise ValidationError({"grade": _("维持县级决定时不选择等级")})
        return
    if grade is None:
        raise ValidationError({"grade": _("变更绩效等级时须选择等级")})
    row = next(
        (r for r in graded_industries(appeal.enterprise) if r.industry_id == appeal.industry_id),
        None,
    )
    if grade not in grade_ladder(appeal.industry, timezone.localdate()):
        raise ValidationError({"grade": _("%(g)s 不属于该行业的分级体系") % {"g": grade.name}})
    if row is not None and row.current_grade_id == grade.pk:
        raise ValidationError({"grade": _("与现行等级相同，请选择维持县级决定")})
    if grade.code in PROVINCE_GRADES and grade != appeal.grade_earlier:
        raise ValidationError(
            {"grade": _("A、B（含B-）级、引领性由省级认定；市级复核只能恢复县级决定前的等级")}
        )


def _opinion(appeal, **signed) -> CaseOpinion:
    return case_opinion_create(
        case_field="appeal", case=appeal, missing_text=_("请填写复核情况和结论"), **signed
    )


@transaction.atomic
def appeal_review_sign(
    *,
    actor: User,
    appeal: Appeal,
    outcome: str,
    summary: str,
    conclusion: str,
    signers: list[User],
    grade: Grade | None = None,
) -> CaseOpinion:
    """The panel's signed re-review opinion with the outcome it recommends (the grade does not
    change until the city signs)."""
    appeal = _lock(appeal)
    require(actor, "review.sign_appeal_review", appeal)
    if appeal.stage != Stage.FILED:
        raise ValidationError(_("复核已办结"))
    problems = appeal_panel_problems(appeal)
    if problems:
        raise ValidationError(problems)
    if appeal.opinions.filter(kind=Kind.SECOND_REVIEW).exists():
        raise ValidationError(_("专家组已签署复核意见"))
    signers = panel_signers_check(
        actor=actor,
        signers=signers,
        panel=appeal.panel,
        perm="review.sign_appeal_review",
        obj=appeal,
        member_needed=_("复核专家意见须由专家组成员签署"),
    )
    _check_outcome(appeal, outcome, grade)
    opinion = _opinion(
        appeal,
        kind=Kind.SECOND_REVIEW,
        outcome=outcome,
        grade=grade,
        summary=summary,
        conclusion=conclusion,
        actor=actor,
        signers=signers,
    )
    _tell(
        appeal,
        code="review.appeal.panel_signed",
        actor=actor,
        summary=_("复核专家组签署意见：建议%(outcome)s%(grade)s")
        % {"outcome": opinion.get_outcome_display(), "grade": f"（{grade.name}）" if grade else ""},
        reason=conclusion,
        data={"opinion": opinion.pk},
    )
    case_form_request(actor=actor, opinion=opinion)
    return opinion


def _check_decision_signers(appeal: Appeal, actor: User, signers: list[User]) -> None:
    """The city's staff sign; nobody who signed the county's decision or the panel's opinion
    signs the re-review (four-eyes)."""
    if actor not in signers:
        raise ValidationError({"signers": _("提交人须为签署人之一")})
    for s in signers:
        if not allows(s, "review.decide_appeal", appeal):
            raise ValidationError(
                {"signers": _("%(name)s 不能签署本复核决定") % {"name": s.display_name}}
            )
    earlier = set(appeal.opinions.values_list("signers", flat=True))
    if appeal.downgrade_case_id:
        earlier |= set(
            CaseOpinion.objects.filter(downgrade_case=appeal.downgrade_case_id).values_list(
                "signers", flat=True
            )
        )
    clash = [s.display_name for s in signers if s.pk in earlier]
    if clash:
        raise ValidationError(
            {
                "signers": _("四眼原则：%(names)s 已签署本案其他意见，不能再签署复核决定")
                % {"names": "、".join(clash)}
            }
        )


@transaction.atomic
def appeal_decide(
    *,
    actor: User,
    appeal: Appeal,
    outcome: str,
    summary: str,
    conclusion: str,
    signers: list[User],
    grade: Grade | None = None,
) -> CaseOpinion:
    """R-REV-10: the city signs its re-review; only now does the grade change."""
    appeal = _lock(appeal)
    require(actor, "review.decide_appeal", appeal)
    if appeal.stage != Stage.FILED:
        raise ValidationError(
            _("复核申请当前处于“%s”阶段，不能作出复核决定") % appeal.get_stage_display()
        )
    reviewed = appeal.opinions.filter(kind=Kind.SECOND_REVIEW).exists()
    if (appeal.needs_panel or hasattr(appeal, "panel")) and not reviewed:
        raise ValidationError(
            _(
                "本案须由复核专家组签署意见后方可作出复核决定（原决定经专家二次审核作出或已组建专家组）"
            )
        )
    signers = list(dict.fromkeys(signers))
    _check_decision_signers(appeal, actor, signers)
    _check_outcome(appeal, outcome, grade)
    opinion = _opinion(
        appeal,
        kind=Kind.DECISION,
        outcome=outcome,
        grade=grade,
        summary=summary,
        conclusion=conclusion,
        actor=actor,
        signers=signers,
    )
    today = timezone.localdate()
    if outcome == Outcome.CHANGE:
        grade_record_add(
            actor=actor,
            enterprise=appeal.enterprise,
            industry=appeal.industry,
            grade=grade,
            effective_from=today,
            source=GradeRecord.Source.APPEAL,
            source_ref=appeal.number,
            reason=conclusion,
        )
    appeal.outcome = outcome
    appeal.grade = grade if outcome == Outcome.CHANGE else appeal.grade_contested
    appeal.decided_on = today
    appeal.closed_at = timezone.now()
    _transition(appeal, "decide")
    _tell(
        appeal,
        code="review.appeal.decided",
        actor=actor,
        summary=_("市级复核决定：%(outcome)s（%(grade)s）")
        % {"outcome": opinion.get_outcome_display(), "grade": appeal.grade.name},
        reason=conclusion,
        data={"opinion": opinion.pk, "outcome": outcome, "signers": [u.username for u in signers]},
    )
    case_form_request(actor=actor, opinion=opinion)
    return opinion
