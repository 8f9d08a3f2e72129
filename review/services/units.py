"""Technical service units (技术服务单位, 002 第二十一条) and expert training records (002 第八条).

A unit is kept by a city bureau or the province; its experts are recorded with the dates they
worked for it; each enterprise it served is an automatic conflict of interest for its experts
(R-REV-7); a blacklisted unit takes its experts out of grading work with it (R-REV-8). Nothing
is deleted: a membership ends, a blacklisting is lifted, each with its reason."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import User
from grading.rules import is_admin
from grading.validators import normalize_uscc, validate_uscc
from review.models import (
    ExpertBlacklisting,
    ExpertTraining,
    ServiceEngagement,
    ServiceUnit,
    ServiceUnitBlacklisting,
    ServiceUnitMember,
)
from review.rules import expert_in_reach, require
from review.selectors import configured_province
from review.selectors.experts import enterprise_in_reach_by_uscc
from review.services.panels import ENTERPRISE_NOT_FOUND


@transaction.atomic
def training_record(
    *,
    actor: User,
    expert: User,
    held_on: date,
    title: str,
    organiser: str,
    hours: Decimal,
    certificate_no: str = "",
) -> ExpertTraining:
    """002 第八条(1): a training the expert attended."""
    require(actor, "review.record_training", expert)
    if expert.role != User.Role.EXPERT:
        raise ValidationError({"expert": _("请选择专家")})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("培训日期不能晚于今天")})
    if not title.strip() or not organiser.strip():
        raise ValidationError(_("请填写培训内容和组织单位"))
    if hours <= 0:
        raise ValidationError({"hours": _("学时应大于0")})
    training = ExpertTraining.objects.create(
        expert=expert,
        held_on=held_on,
        title=title.strip(),
        organiser=organiser.strip(),
        hours=hours,
        certificate_no=certificate_no.strip(),
        recorded_by=actor,
    )
    event_record(
        code="expert.training_recorded",
        actor=actor,
        target=expert,
        summary=_("登记培训：%(title)s（%(date)s，%(hours)s学时）")
        % {"title": training.title, "date": held_on, "hours": hours},
        data={"training": training.pk},
    )
    return training


@transaction.atomic
def unit_create(*, actor: User, name: str, uscc: str = "", note: str = "") -> ServiceUnit:
    """A unit recorded by the actor's bureau (the province for the administrator)."""
    require(actor, "review.view_service_units")
    if not name.strip():
        raise ValidationError({"name": _("请填写单位名称")})
    if uscc.strip():
        uscc = normalize_uscc(uscc)
        validate_uscc(uscc)
    region = configured_province() if is_admin(actor) or actor.region is None else actor.region
    try:
        with transaction.atomic():
            unit = ServiceUnit.objects.create(
                name=name.strip(), uscc=uscc, region=region, note=note.strip(), created_by=actor
            )
    except IntegrityError:
        raise ValidationError({"name": _("本部门已登记同名的技术服务单位")}) from None
    event_record(
        code="review.unit.created",
        actor=actor,
        target=unit,
        summary=_("登记技术服务单位：%s") % unit.name,
    )
    return unit


@transaction.atomic
def unit_member_add(
    *, actor: User, unit: ServiceUnit, expert: User, since: date
) -> ServiceUnitMember:
    """An expert (of a pool the actor works with) works for the unit from ``since``."""
    require(actor, "review.keep_service_unit", unit)
    if expert.role != User.Role.EXPERT or not expert_in_reach(actor, expert):
        raise ValidationError({"expert": _("请选择本部门专家库中的专家")})
    if since > timezone.localdate():
        raise ValidationError({"since": _("起始日期不能晚于今天")})
    if ServiceUnitMember.objects.filter(unit=unit, expert=expert, until__isnull=True).exists():
        raise ValidationError(_("该专家已登记为本单位人员"))
    member = ServiceUnitMember.objects.create(
        unit=unit, expert=expert, since=since, recorded_by=actor
    )
    event_record(
        code="review.unit.member_added",
        actor=actor,
        target=unit,
        summary=_("登记本单位专家：%(name)s（自%(since)s）")
        % {"name": expert.display_name, "since": since},
        data={"expert": expert.username, "member": member.pk},
    )
    return member


@transaction.atomic
def unit_member_end(
    *, actor: User, member: ServiceUnitMember, until: date, reason: str
) -> ServiceUnitMember:
    """The expert left the unit. The served enterprises stay conflicts for it (R-REV-7)."""
    member = ServiceUnitMember.objects.select_for_update().select_related("unit").get(pk=member.pk)
    require(actor, "review.keep_service_unit", member.unit)
    if member.until is not None:
        raise ValidationError(_("该专家已离开本单位"))
    if until < member.since or until > timezone.localdate():
        raise ValidationError({"until": _("截止日期应在起始日期与今天之间")})
    if not reason.strip():
        raise ValidationError({"reason": _("请说明情况")})
    member.until = until
    member.save(update_fields=["until"])
    event_record(
        code="review.unit.member_ended",
        actor=actor,
        target=member.unit,
        summary=_("%(name)s 离开本单位（%(until)s）")
        % {"name": member.expert.display_name, "until": until},
        reason=reason,
        data={"expert": member.expert.username, "member": member.pk},
    )
    return member


@transaction.atomic
def engagement_record(
    *,
    actor: User,
    unit: ServiceUnit,
    enterprise_uscc: str,
    service: str,
    served_on: date,
    note: str = "",
) -> ServiceEngagement:
    """R-REV-7: the unit served an enterprise of the actor's jurisdiction; from now on none of
    its experts may review that enterprise. An enterprise outside the jurisdiction is
    answered as a code nobody holds."""
    require(actor, "review.record_engagement", unit)
    enterprise = enterprise_in_reach_by_uscc(viewer=actor, uscc=enterprise_uscc)
    if enterprise is None:
        raise ValidationError({"enterprise_uscc": str(ENTERPRISE_NOT_FOUND)})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("服务日期不能晚于今天")})
    engagement, created = ServiceEngagement.objects.get_or_create(
        unit=unit,
        enterprise=enterprise,
        service=service,
        defaults={"served_on": served_on, "note": note.strip(), "recorded_by": actor},
    )
    if not created:
        raise ValidationError(_("该服务记录已登记"))
    event_record(
        code="review.unit.engagement_recorded",
        actor=actor,
        target=unit,
        summary=_("登记技术服务：%(ent)s（%(service)s）")
        % {"ent": enterprise.name, "service": engagement.get_service_display()},
        data={"enterprise": enterprise.pk, "engagement": engagement.pk},
    )
    return engagement


@transaction.atomic
def unit_blacklist(
    *, actor: User, unit: ServiceUnit, reason: str, detail: str, document_no: str = ""
) -> ServiceUnitBlacklisting:
    """R-REV-8 (002 第二十一条): the unit and its current experts leave grading work."""
    require(actor, "review.keep_service_unit", unit)
    if reason not in ExpertBlacklisting.Reason.values:
        raise ValidationError({"reason": _("请选择原因")})
    if not detail.strip():
        raise ValidationError({"detail": _("请说明情况")})
    entry = ServiceUnitBlacklisting.objects.create(
        unit=unit,
        reason=reason,
        detail=detail.strip(),
        document_no=document_no.strip(),
        recorded_by=actor,
    )
    event_record(
        code="review.unit.blacklisted",
        actor=actor,
        target=unit,
        summary=_("技术服务单位列入黑名单：%s") % entry.get_reason_display(),
        reason=detail,
    )
    return entry


@transaction.atomic
def unit_blacklist_lift(
    *, actor: User, entry: ServiceUnitBlacklisting, reason: str
) -> ServiceUnitBlacklisting:
    require(actor, "review.lift_unit_blacklisting")
    if not reason.strip():
        raise ValidationError({"reason": _("请说明解除依据")})
    entry = ServiceUnitBlacklisting.objects.select_for_update().get(pk=entry.pk)
    if entry.lifted_at:
        raise ValidationError(_("已解除"))
    entry.lifted_at = timezone.now()
    entry.lifted_reason = reason.strip()
    entry.save(update_fields=["lifted_at", "lifted_reason"])
    event_record(
        code="review.unit.blacklist_lifted",
        actor=actor,
        target=entry.unit,
        summary=_("解除技术服务单位黑名单"),
        reason=reason,
    )
    return entry
