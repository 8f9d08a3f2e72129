"""Designated handlers (R-PUB-2) of a bureau."""

from django.db.models import QuerySet

from grading.models import Region, User
from publication.models import HandlerDesignation, Tier

_ROLE_OF_TIER = {Tier.PROVINCE: User.Role.PROVINCE, Tier.LOCAL: User.Role.CITY}


def handlers_of(region: Region, *, tier: str | None = None, role: str | None = None):
    """Active designated handlers of the bureau of ``region`` (its staff of ``role``, or of
    the role that issues ``tier``)."""
    role = role or _ROLE_OF_TIER[tier]
    return User.objects.filter(
        region=region,
        role=role,
        is_active=True,
        handler_designations__revoked_at__isnull=True,
    ).distinct()


def designations_of(*, region: Region, role: str) -> QuerySet[HandlerDesignation]:
    return HandlerDesignation.objects.filter(user__region=region, user__role=role).select_related(
        "user", "designated_by", "revoked_by"
    )
