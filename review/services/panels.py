"""Expert panels (R-REV-6, R-REV-7, R-REV-8): who may review an enterprise, and the panel a
city forms for material review and on-site verification."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import event_record
from core.notifications import notify
from grading.models import Enterprise, User
from grading.rules import is_expert, region_is_in_reach
from review.models import (
    ExpertBlacklisting,
    ExpertConflict,
    Panel,
    PanelMember,
    PoolMembership,
    ReviewCase,
    ServiceEngagement,
    ServiceUnitBlacklisting,
)
from review.rules import is_the_expert, pools_for_case_city, require
from review.selectors.experts import enterprise_in_reach_by_uscc, enterprise_named

#: The one answer to a code outside the recorder's jurisdiction and to a code nobody holds.
ENTERPRISE_NOT_FOUND = gettext_lazy("未找到该统一社会信用代码的企业")
#: The one answer to an expert's declaration whose name and code do not both match.
ENTERPRISE_NOT_MATCHED = gettext_lazy("未找到名称与统一社会信用代码均相符的企业")


def is_blacklisted(expert: User) -> bool:
    return ExpertBlacklisting.objects.filter(expert=expert, lifted_at__isnull=True).exists()


def unit_refusals(*, expert: User, enterprise: Enterprise) -> list[str]:
    """R-REV-7, R-REV-8 through the expert's technical service units: a unit it works or
    worked for served the enterprise (a detected conflict), or a unit it works for now is
    blacklisted."""
    reasons = []
    served = (
        ServiceEngagement.objects.filter(enterprise=enterprise, unit__members__expert=expert)
        .select_related("unit")
        .distinct()
    )
    for engagement in served:
        reasons.append(
            _("所在技术服务单位“%(unit)s”曾为该企业提供%(service)s服务")
            % {"unit": engagement.unit.name, "service": engagement.get_service_display()}
        )
    banned = ServiceUnitBlacklisting.objects.filter(
        lifted_at__isnull=True, unit__members__expert=expert, unit__members__until__isnull=True
    ).select_related("unit")
    for entry in banned.distinct():
        reasons.append(_("所在技术服务单位“%(unit)s”已被列入黑名单") % {"unit": entry.unit.name})
    return reasons


def expert_refusals_for(
    *, expert: User, enterprise: Enterprise, industry, require_industry: bool = True
) -> list[str]:
    """Why ``expert`` may not review ``enterprise`` (its ``industry``): empty when eligible
    (R-REV-6..8)."""
    reasons = []
    profile = getattr(expert, "expert_profile", None)
    if not is_expert(expert) or profile is None:
        return [_("不是专家库中的有效专家")]
    if profile.employer_is_service_agency:
        reasons.append(_("工作单位为第三方服务机构，不得进入专家库"))
    if is_blacklisted(expert):
        reasons.append(_("已被列入黑名单，不得参与绩效分级工作"))
    reasons += unit_refusals(expert=expert, enterprise=enterprise)
    for conflict in ExpertConflict.objects.filter(expert=expert, enterprise=enterprise):
        reasons.append(_("与该企业存在回避关系：%(kind)s") % {"kind": conflict.get_kind_display()})
    if require_industry and not profile.industries.filter(pk=industry.pk).exists():
        reasons.append(_("不熟悉%(industry)s行业") % {"industry": industry.name})
    return reasons


def expert_refusals(*, expert: User, case: ReviewCase, require_industry: bool = True) -> list[str]:
    """Why ``expert`` may not review ``case`` (empty when eligible)."""
    return expert_refusals_for(
        expert=expert,
        enterprise=case.declaration.enterprise,
        industry=case.declaration.industry,
        require_industry=require_industry,
    )


def panel_refusals(*, case: ReviewCase) -> list[str]:
    """A formed panel still holds: an industry expert, and no member became ineligible."""
    panel = getattr(case, "panel", None)
    if panel is None:
        return [_("尚未组建专家组")]
    members = [m.expert for m in panel.memberships.select_related("expert__expert_profile")]
    return _panel_problems(case, members)


def _panel_problems(case: ReviewCase, members: list[User]) -> list[str]:
    return panel_problems(
        enterprise=case.declaration.enterprise, industry=case.declaration.industry, members=members
    )


def panel_problems(*, enterprise: Enterprise, industry, members: list[User]) -> list[str]:
    """What keeps ``members`` from forming a panel on ``enterprise`` (R-REV-6..8): each is of
    the city's pool or the provincial one and eligible, and one knows the industry. The same
    rules hold for on-site verification and for a downgrade's second review (R-DYN-1)."""
    problems = []
    city = enterprise.county.city
    pooled = set(
        PoolMembership.objects.filter(
            expert__in=members, removed_at__isnull=True, pool__in=pools_for_case_city(city)
        ).values_list("expert_id", flat=True)
    )
    for expert in members:
        reasons = expert_refusals_for(
            expert=expert, enterprise=enterprise, industry=industry, require_industry=False
        )
        if expert.pk not in pooled:
            reasons.append(
                _("不在%(city)s专家库或省级专家库中") % {"city": city.name if city else ""}
            )
        if reasons:
            problems.append(f"{expert.display_name}：{'；'.join(reasons)}")
    if not any(
        getattr(e, "expert_profile", None)
        and e.expert_profile.industries.filter(pk=industry.pk).exists()
        for e in members
    ):
        problems.append(_("专家组中至少应有1名%(industry)s行业专家") % {"industry": industry.name})
    return problems


@transaction.atomic
def panel_assign(
    *, actor: User, case: ReviewCase, experts: list[User], leader: User | None = None
) -> Panel:
    """Form (or re-form) the case's panel; every refusal names the expert and the rule."""
    case = ReviewCase.objects.select_for_update().get(pk=case.pk)
    require(actor, "review.assign_panel", case)
    if case.stage != ReviewCase.Stage.CITY:
        raise ValidationError(_("只有处于市级审核阶段的案卷可以组建专家组"))
    experts = list(dict.fromkeys(experts))
    if not experts:
        raise ValidationError({"experts": _("请选择专家")})
    problems = _panel_problems(case, experts)
    if problems:
        raise ValidationError({"experts": problems})
    leader = leader or experts[0]
    if leader not in experts:
        raise ValidationError({"leader": _("组长须为专家组成员")})
    panel, created = Panel.objects.get_or_create(case=case, defaults={"formed_by": actor})
    if not created and case.verifications.exists():
        raise ValidationError(_("专家组已完成现场核查，不能再调整成员"))
    before = sorted(panel.memberships.values_list("expert__username", flat=True))
    panel.memberships.all().delete()
    PanelMember.objects.bulk_create(
        PanelMember(panel=panel, expert=e, is_leader=e == leader) for e in experts
    )
    event_record(
        code="review.panel.assigned",
        actor=actor,
        target=case.declaration,
        summary=_("组建专家组：%s") % "、".join(e.display_name for e in experts),
        data={"case": case.pk, "before": before, "after": [e.username for e in experts]},
    )
    notify(
        recipients=experts,
        code="review.panel.assigned",
        message=_("您被选入 %(ent)s（%(industry)s）的专家组，请开展资料审核和现场核查")
        % {"ent": case.declaration.enterprise.name, "industry": case.declaration.industry.name},
        url=f"/review/cases/{case.pk}/",
    )
    return panel


@transaction.atomic
def conflict_record(
    *, actor: User, expert: User, enterprise: Enterprise, kind: str, note: str = ""
) -> ExpertConflict:
    """A conflict declared by the expert, or recorded by city or province staff for an expert
    of their pools and an enterprise of their jurisdiction (R-REV-7). An enterprise outside
    the recorder's jurisdiction is answered as a code nobody holds."""
    require(actor, "review.record_conflict", expert)
    declared = is_the_expert(actor, expert)
    if expert.role != User.Role.EXPERT:
        raise ValidationError({"expert": _("请选择专家")})
    if not declared and not region_is_in_reach(actor, enterprise.county):
        raise ValidationError({"enterprise_uscc": str(ENTERPRISE_NOT_FOUND)})
    conflict, created = ExpertConflict.objects.get_or_create(
        expert=expert,
        enterprise=enterprise,
        kind=kind,
        defaults={"note": note, "declared_by_expert": declared, "recorded_by": actor},
    )
    if not created:
        raise ValidationError(_("该回避关系已登记"))
    event_record(
        code="expert.conflict_recorded",
        actor=actor,
        target=expert,
        summary=_("登记回避关系：%(ent)s（%(kind)s）")
        % {"ent": enterprise.name, "kind": conflict.get_kind_display()},
        reason=note,
        data={"enterprise": enterprise.pk, "declared_by_expert": declared},
    )
    return conflict


def conflict_declare(
    *,
    actor: User,
    expert: User,
    enterprise_uscc: str,
    kind: str,
    enterprise_name: str = "",
    note: str = "",
) -> ExpertConflict:
    """R-REV-7, named as the recorder knows it: staff by the 统一社会信用代码 of an enterprise
    of their jurisdiction; the expert itself by the code and the enterprise's full name, both
    matching, so that its declarations confirm nothing about an enterprise it does not name
    correctly (the same answer for a wrong name and an unknown code)."""
    require(actor, "review.record_conflict", expert)
    if is_the_expert(actor, expert):
        enterprise = enterprise_named(uscc=enterprise_uscc, name=enterprise_name)
        if enterprise is None:
            raise ValidationError({"enterprise_name": str(ENTERPRISE_NOT_MATCHED)})
    else:
        enterprise = enterprise_in_reach_by_uscc(viewer=actor, uscc=enterprise_uscc)
        if enterprise is None:
            raise ValidationError({"enterprise_uscc": str(ENTERPRISE_NOT_FOUND)})
    return conflict_record(actor=actor, expert=expert, enterprise=enterprise, kind=kind, note=note)


@transaction.atomic
def expert_blacklist(
    *, actor: User, expert: User, reason: str, detail: str, document_no: str = ""
) -> ExpertBlacklisting:
    """R-REV-8: the expert is barred from all grading work from now on. A city blacklists an
    expert of its own pool; the province any expert."""
    require(actor, "review.blacklist_expert", expert)
    if expert.role != User.Role.EXPERT:
        raise ValidationError({"expert": _("请选择专家")})
    if not detail.strip():
        raise ValidationError({"detail": _("请说明情况")})
    entry = ExpertBlacklisting(
        expert=expert,
        reason=reason,
        detail=detail.strip(),
        document_no=document_no,
        recorded_by=actor,
    )
    entry.full_clean()
    entry.save()
    event_record(
        code="expert.blacklisted",
        actor=actor,
        target=expert,
        summary=_("列入专家黑名单：%s") % entry.get_reason_display(),
        reason=detail,
    )
    return entry


@transaction.atomic
def expert_blacklist_lift(
    *, actor: User, entry: ExpertBlacklisting, reason: str
) -> ExpertBlacklisting:
    """R-REV-8: only a recorded decision of the province ends a blacklisting."""
    require(actor, "review.lift_blacklisting")
    if not reason.strip():
        raise ValidationError({"reason": _("请说明解除依据")})
    entry = ExpertBlacklisting.objects.select_for_update().get(pk=entry.pk)
    if entry.lifted_at:
        raise ValidationError(_("已解除"))
    entry.lifted_at = timezone.now()
    entry.lifted_reason = reason.strip()
    entry.save(update_fields=["lifted_at", "lifted_reason"])
    event_record(
        code="expert.blacklist_lifted",
        actor=actor,
        target=entry.expert,
        summary=_("解除专家黑名单"),
        reason=reason,
    )
    return entry
