"""Designating the staff who handle objections and reports and see who lodged them (R-PUB-2)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import User
from publication.models import HandlerDesignation
from publication.rules import is_regional_staff, require


@transaction.atomic
def handler_designate(*, actor: User, user: User) -> HandlerDesignation:
    """Make ``user`` (staff of a county, city or province bureau) a designated handler."""
    require(actor, "publication.designate_handler", user)
    if not is_regional_staff(user):
        raise ValidationError(_("只能指定县级、市级或省级生态环境部门的工作人员为承办人"))
    User.objects.select_for_update().get(pk=user.pk)
    if HandlerDesignation.objects.filter(user=user, revoked_at__isnull=True).exists():
        raise ValidationError(_("%(name)s 已是指定承办人") % {"name": user.display_name})
    designation = HandlerDesignation.objects.create(user=user, designated_by=actor)
    event_record(
        code="publication.handler.designated",
        actor=actor,
        target=user,
        summary=_("指定 %(name)s 为举报和公示异议承办人") % {"name": user.display_name},
        data={"region": user.region.code if user.region_id else None},
    )
    return designation


@transaction.atomic
def handler_revoke(*, actor: User, user: User, reason: str = "") -> HandlerDesignation:
    require(actor, "publication.designate_handler", user)
    designation = (
        HandlerDesignation.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True)
        .first()
    )
    if designation is None:
        raise ValidationError(_("%(name)s 不是指定承办人") % {"name": user.display_name})
    designation.revoked_by = actor
    designation.revoked_at = timezone.now()
    designation.save(update_fields=["revoked_by", "revoked_at"])
    event_record(
        code="publication.handler.revoked",
        actor=actor,
        target=user,
        summary=_("撤销 %(name)s 的承办人指定") % {"name": user.display_name},
        reason=reason,
    )
    return designation
