"""The expert pools (002 第八条; 003 四): a pool per city and the provincial pool. A city adds
experts to its own pool, the province to the provincial pool or a city's; leaving a pool ends
the membership with a reason and keeps it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Region, User
from review.models import PoolMembership
from review.rules import require


@transaction.atomic
def pool_member_add(*, actor: User, expert: User, pool: Region) -> PoolMembership:
    require(actor, "review.manage_pool", pool)
    if pool.level not in (Region.Level.CITY, Region.Level.PROVINCE):
        raise ValidationError({"pool": _("专家库应为省辖市专家库或省级专家库")})
    profile = getattr(expert, "expert_profile", None)
    if expert.role != User.Role.EXPERT or profile is None:
        raise ValidationError({"expert": _("请选择专家")})
    if profile.employer_is_service_agency:
        raise ValidationError({"expert": _("为工业企业提供服务的第三方机构人员不得入库")})
    if PoolMembership.objects.filter(expert=expert, pool=pool, removed_at__isnull=True).exists():
        raise ValidationError(_("该专家已在%(pool)s专家库中") % {"pool": pool.name})
    membership = PoolMembership.objects.create(expert=expert, pool=pool, added_by=actor)
    event_record(
        code="expert.pool_joined",
        actor=actor,
        target=expert,
        summary=_("列入%(pool)s专家库") % {"pool": pool.name},
        data={"pool": pool.code, "membership": membership.pk},
    )
    return membership


@transaction.atomic
def pool_member_remove(*, actor: User, membership: PoolMembership, reason: str) -> PoolMembership:
    membership = PoolMembership.objects.select_for_update().get(pk=membership.pk)
    require(actor, "review.manage_pool", membership.pool)
    if not reason.strip():
        raise ValidationError({"reason": _("请说明出库原因")})
    if membership.removed_at is not None:
        raise ValidationError(_("该专家已出库"))
    membership.removed_at = timezone.now()
    membership.removed_by = actor
    membership.removed_reason = reason.strip()
    membership.save(update_fields=["removed_at", "removed_by", "removed_reason"])
    event_record(
        code="expert.pool_left",
        actor=actor,
        target=membership.expert,
        summary=_("移出%(pool)s专家库") % {"pool": membership.pool.name},
        reason=reason,
        data={"pool": membership.pool.code, "membership": membership.pk},
    )
    return membership
