"""Who may do what after the decision: notices, objections, published lists, designated
handlers. Built from ``grading.rules``' role predicates.

Services refuse with ``require`` (PermissionDenied with the Chinese reason of ``refusal``);
pages and API ask ``allows`` before they offer an action. The issuing bureau of a list is the
province for A, B (B-), 引领性 and 先进性 and the city for C and below (R-PUB-1). Who lodged an
objection or a report, and how to reach them, is seen only by the designated handlers of the
bureau that handles it (R-PUB-2).
"""

from collections.abc import Callable

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from grading.models import Region, User
from grading.rules import (
    allows,
    is_active_user,
    is_admin,
    is_city_staff,
    is_county_staff,
    is_province_staff,
)
from publication.models import HandlerDesignation, Tier

#: Staff bound to a county, city or province bureau.
is_regional_staff = is_county_staff | is_city_staff | is_province_staff
#: The bureaus that notice and publish: the province (A-tier) and the cities (C and below).
is_issuing_staff = is_province_staff | is_city_staff


def issuer_for(user) -> tuple[Region, str] | None:
    """The region and tier of the list the user's bureau notices and publishes (R-PUB-1)."""
    if is_province_staff(user):
        return user.region, Tier.PROVINCE
    if is_city_staff(user):
        return user.region, Tier.LOCAL
    return None


def _issuer_region(obj):
    """The issuing region of a notice, a list version, an objection or a region itself."""
    if obj is None:
        return None
    if isinstance(obj, Region):
        return obj
    if hasattr(obj, "item"):  # an objection
        obj = obj.item.notice
    return obj.issuer


@rules.predicate
def is_designated_handler(user) -> bool:
    """Regional staff the bureau designated to handle objections and reports (R-PUB-2)."""
    return (
        is_regional_staff(user)
        and HandlerDesignation.objects.filter(user=user, revoked_at__isnull=True).exists()
    )


@rules.predicate
def of_issuing_bureau(user, obj) -> bool:
    """The user works at the bureau that issues the notice, list or region given (any when
    none is given)."""
    if obj is None:
        return True
    mine = issuer_for(user)
    region = _issuer_region(obj)
    return mine is not None and region is not None and mine[0].pk == region.pk


@rules.predicate
def same_bureau(user, other) -> bool:
    """``other`` is staff of the user's own bureau (same role, same region), not the user."""
    return (
        other is not None
        and is_active_user(user)
        and other.pk != user.pk
        and other.role == user.role
        and other.region_id is not None
        and other.region_id == user.region_id
    )


# --- Permissions ------------------------------------------------------------------------------

#: R-PUB-1: the province notices its A-tier results, each city its C and below.
rules.add_perm("publication.manage_notices", is_issuing_staff & of_issuing_bureau)
#: R-PUB-1: the same bureau publishes a new version of its list.
rules.add_perm("publication.publish_list", is_issuing_staff & of_issuing_bureau)
#: R-PUB-2: who lodged an objection, and the outcome, only for the issuer's designated staff.
rules.add_perm(
    "publication.handle_objection", is_issuing_staff & of_issuing_bureau & is_designated_handler
)
#: The administrator designates the first handlers of a bureau; a designated handler may
#: designate or revoke a colleague of the same bureau (never itself).
rules.add_perm("publication.designate_handler", is_admin | (is_designated_handler & same_bureau))
rules.add_perm("publication.view_handlers", is_regional_staff | is_admin)


# --- Asking and refusing ----------------------------------------------------------------------


#: The Chinese reason each refused permission gives.
REFUSALS: dict[str, object | Callable[[User, object], str]] = {
    "publication.manage_notices": _(
        "只有省级生态环境部门（A级、B级、引领性、先进性）或市级生态环境部门（C级及以下）可以公示本级认定结果"
    ),
    "publication.publish_list": _("只有名单的发布单位可以发布新版本"),
    "publication.handle_objection": _("只有公示发布单位指定的承办人可以处理异议"),
    "publication.designate_handler": _(
        "只有系统管理员或本单位已指定的承办人可以指定（或撤销）本单位其他工作人员为承办人"
    ),
    "publication.view_handlers": _("只有生态环境部门工作人员可以查看承办人"),
}


def refusal(user, perm: str, obj=None) -> str:
    reason = REFUSALS[perm]
    return reason(user, obj) if callable(reason) else str(reason)


def require(user, perm: str, obj=None) -> None:
    """Raise PermissionDenied with the reason unless ``perm`` lets ``user`` act (on ``obj``)."""
    if not allows(user, perm, obj):
        raise PermissionDenied(refusal(user, perm, obj))


__all__ = ["allows", "issuer_for", "refusal", "require"]


# --- Reports, exports and the dashboard -------------------------------------------------------


@rules.predicate
def region_within_reach(user, region) -> bool:
    """``region`` (a county-level unit, a city or the province) lies wholly in the user's
    jurisdiction (none given: any)."""
    if region is None:
        return True
    if is_admin(user):
        return True
    if not is_regional_staff(user) or user.region_id is None:
        return False
    mine = user.region
    if region.pk == mine.pk:
        return True
    if is_county_staff(user):
        return False
    if region.parent_id == mine.pk:
        return True
    return (
        is_province_staff(user)
        and region.parent is not None
        and (region.parent.parent_id == mine.pk)
    )


#: R-PUB-3: the bureaus read the positive enforcement list of their jurisdiction.
rules.add_perm("publication.view_positive_list", is_regional_staff | is_admin)
#: R-PUB-3, R-TGT-2, R-TGT-3: the bureaus export lists of regions in their jurisdiction.
rules.add_perm("publication.request_export", (is_regional_staff | is_admin) & region_within_reach)
REFUSALS.update(
    {
        "publication.view_positive_list": _("只有生态环境部门可以查看监管执法正面清单"),
        "publication.request_export": _("只能导出本辖区的清单"),
    }
)

#: R-TGT-1: the bureaus follow the A/B share targets of their jurisdiction.
rules.add_perm("publication.view_dashboard", (is_regional_staff | is_admin) & region_within_reach)
REFUSALS["publication.view_dashboard"] = _("只能查看本辖区的目标进展")

#: R-TGT-2: the county draws up its improvement list (a city or the province reads it).
rules.add_perm("publication.edit_improvement", is_county_staff & region_within_reach)
REFUSALS["publication.edit_improvement"] = _("只有企业所属县级生态环境部门可以填报绩效提升企业清单")


# --- Public reports (R-PUB-2) ------------------------------------------------------------------


def _report_county(obj):
    return obj.county if obj is not None and hasattr(obj, "county") else obj


@rules.predicate
def of_reports_county(user, report) -> bool:
    """The user is staff of the county-level bureau the report went to (any when none)."""
    if report is None:
        return True
    county = _report_county(report)
    return county is not None and user.region_id == county.pk


#: The reports go to the bureau of the enterprise's county-level unit (济源's own bureau for
#: 济源, a city reviewing as a county); its staff read them.
rules.add_perm("publication.view_reports", is_regional_staff & of_reports_county)
#: R-PUB-2: who reported, the evidence and the outcome: the bureau's designated handlers only.
rules.add_perm(
    "publication.handle_report", is_regional_staff & of_reports_county & is_designated_handler
)
REFUSALS.update(
    {
        "publication.view_reports": _("举报由企业所在县级生态环境部门核实处理"),
        "publication.handle_report": _("只有承办举报的县级生态环境部门指定的承办人可以处理举报"),
    }
)
