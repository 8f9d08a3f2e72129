"""Who may do what in the review chain. Built from ``grading.rules``' role predicates.

The services refuse with ``require`` (PermissionDenied with the Chinese reason of
``refusal``); the selectors, pages and API ask ``allows`` before they offer an action, so a
page and its API give the same answer. ``allows`` asks the rule itself, not
``user.has_perm``: Django lets a superuser (the administrator's account) pass every
``has_perm``, but the administrator signs no opinion and grades no enterprise directly.

Predicates about reach accept no object (``None``) as "in general": ``allows(user,
"review.grade_directly")`` asks whether the user grades enterprises directly at all.
"""

from collections.abc import Callable

import rules
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from grading.jurisdiction import county_units_for
from grading.models import Region, User
from grading.rules import (
    allows,
    enterprise_in_reach,
    is_active_user,
    is_admin,
    is_bureau_staff,
    is_city_or_above,
    is_city_staff,
    is_county_staff,
    is_enterprise_user,
    is_expert,
    is_own_enterprise,
    is_province_or_admin,
    is_province_staff,
    region_is_in_reach,
    role_label,
)
from review.models import PoolMembership, ReviewCase, ServiceUnit

Stage = ReviewCase.Stage

#: The stage of the chain each role works at (experts sit on city-stage panels).
_STAGE_OF_ROLE = {
    User.Role.COUNTY: Stage.COUNTY,
    User.Role.CITY: Stage.CITY,
    User.Role.PROVINCE: Stage.PROVINCE,
    User.Role.EXPERT: Stage.CITY,
}

#: R-REV-1: the bureau that signs the decisions of each stage.
SIGNING_ROLE = {
    Stage.COUNTY: User.Role.COUNTY,
    Stage.CITY: User.Role.CITY,
    Stage.PROVINCE: User.Role.PROVINCE,
}
_STAFF_OF_ROLE = {
    User.Role.COUNTY: is_county_staff,
    User.Role.CITY: is_city_staff,
    User.Role.PROVINCE: is_province_staff,
}


def stage_for(user) -> str:
    """The review stage whose queue is the user's own ("" for roles without one)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return _STAGE_OF_ROLE.get(user.role, "")


def pools_in_reach(user) -> QuerySet[Region]:
    """The expert pools a bureau works with (002 第八条; 003 四): the administrator and the
    province every pool of the province, a city its own pool and the provincial one."""
    pools = Region.objects.filter(level__in=(Region.Level.PROVINCE, Region.Level.CITY))
    if not is_active_user(user):
        return pools.none()
    if is_admin(user):
        return pools
    region = user.region
    if region is None or not (is_city_staff(user) or is_province_staff(user)):
        return pools.none()
    if is_province_staff(user):
        return pools.filter(Q(pk=region.pk) | Q(parent=region))
    return pools.filter(Q(pk=region.pk) | Q(pk=region.parent_id))


def pools_for_case_city(city: Region) -> QuerySet[Region]:
    """The pools a city forms a panel from: its own and the provincial one."""
    return Region.objects.filter(Q(pk=city.pk) | Q(pk=city.parent_id))


# --- Predicates -------------------------------------------------------------------------------


@rules.predicate
def is_own_region(user, region) -> bool:
    """The region is the user's own (a city's staff and its city)."""
    return region is not None and user.region_id == region.pk


@rules.predicate
def case_in_reach(user, case) -> bool:
    """The case's enterprise lies in the user's jurisdiction (bureau staff)."""
    return case is None or region_is_in_reach(user, case.declaration.enterprise.county)


@rules.predicate
def declaration_in_reach(user, declaration) -> bool:
    """The declaration's enterprise lies in the user's jurisdiction (bureau staff)."""
    return declaration is None or region_is_in_reach(user, declaration.enterprise.county)


@rules.predicate
def signs_at_case_stage(user, case) -> bool:
    """R-REV-1: staff of the bureau whose stage the case is at, the enterprise in its reach."""
    role = SIGNING_ROLE.get(getattr(case, "stage", None))
    return role is not None and _STAFF_OF_ROLE[role](user) and case_in_reach(user, case)


@rules.predicate
def is_panel_member(user, case) -> bool:
    """R-REV-3: the user sits on the case's expert panel."""
    panel = getattr(case, "panel", None) if case is not None else None
    return (
        panel is not None
        and is_active_user(user)
        and panel.memberships.filter(expert=user).exists()
    )


@rules.predicate
def co_signs_as_expert(user, case) -> bool:
    """R-REV-5: an expert of the review group co-signs the county's first review; at the city
    only a member of the case's panel; the province decides without experts (four-eyes)."""
    if case is None or not is_expert(user):
        return False
    if case.stage == Stage.COUNTY:
        return True
    return case.stage == Stage.CITY and is_panel_member(user, case)


@rules.predicate
def is_case_enterprise(user, case) -> bool:
    """The account of the enterprise under review."""
    return case is not None and is_own_enterprise(user, case.declaration.enterprise)


@rules.predicate
def signed_the_opinion(user, opinion) -> bool:
    """R-REV-5: the user is one of the opinion's signers."""
    return opinion is not None and opinion.signers.filter(pk=user.pk).exists()


@rules.predicate
def is_the_expert(user, expert) -> bool:
    """R-REV-7: an expert acting for itself."""
    return expert is not None and is_expert(user) and user.pk == expert.pk


@rules.predicate
def expert_in_reach(user, expert) -> bool:
    """R-REV-6..8: the expert sits in one of the pools the user works with."""
    if expert is None or is_admin(user):
        return True
    return PoolMembership.objects.filter(
        expert=expert, removed_at__isnull=True, pool__in=pools_in_reach(user)
    ).exists()


@rules.predicate
def expert_in_own_pool(user, expert) -> bool:
    """The expert sits in the user's own pool: a city's pool for its staff; for the province
    and the administrator, any pool of the province."""
    if expert is None or is_province_or_admin(user):
        return expert_in_reach(user, expert)
    return PoolMembership.objects.filter(
        expert=expert, removed_at__isnull=True, pool_id=user.region_id
    ).exists()


@rules.predicate
def manages_pool(user, pool) -> bool:
    """A city manages its own pool; the province the provincial pool and its cities'."""
    if pool is None or is_admin(user):
        return True
    if is_province_staff(user):
        return pool.pk == user.region_id or pool.parent_id == user.region_id
    return is_city_staff(user) and pool.pk == user.region_id


@rules.predicate
def service_unit_in_reach(user, unit: ServiceUnit | None) -> bool:
    """The unit is kept by a bureau whose records the user works with (a city its own and the
    province's, the province every city's)."""
    return unit is None or pools_in_reach(user).filter(pk=unit.region_id).exists()


@rules.predicate
def keeps_service_unit(user, unit: ServiceUnit | None) -> bool:
    """The user's bureau keeps the unit's record (the province any of the province)."""
    if unit is None or is_admin(user):
        return True
    if is_province_staff(user):
        return service_unit_in_reach(user, unit)
    return is_city_staff(user) and unit.region_id == user.region_id


@rules.predicate
def units_in_reach(user, units: QuerySet | None) -> bool:
    """Every county-level unit of ``units`` lies in the user's jurisdiction."""
    if units is None:
        return True
    reach = county_units_for(user)
    return units.exists() and not units.exclude(pk__in=reach.values("pk")).exists()


@rules.predicate
def drew_the_sample(user, obj) -> bool:
    """R-REV-9: the bureau (province or city) whose spot check a sample, or the downgrade
    proposal of a sample, is: its own staff act on it; the administrator on any. A proposal
    made before samples had an area is the province's."""
    if obj is None or is_admin(user):
        return True
    region_id = getattr(obj, "region_id", None)
    if region_id is None and getattr(obj, "sample_id", None):
        region_id = obj.sample.region_id
    if region_id is None:
        return is_province_staff(user)
    return (is_city_staff(user) or is_province_staff(user)) and user.region_id == region_id


@rules.predicate
def enterprise_case_in_reach(user, case) -> bool:
    """A downgrade case (or appeal) whose enterprise lies in the user's jurisdiction."""
    return case is None or region_is_in_reach(user, case.enterprise.county)


@rules.predicate
def is_case_enterprise_of_appeal(user, appeal) -> bool:
    """The account of the enterprise that filed the appeal."""
    return appeal is None or is_own_enterprise(user, appeal.enterprise)


#: The city bureau over the case's county.
is_case_city_staff = is_city_staff & case_in_reach
#: Staff bound to a county, city or province bureau (the administrator is not).
is_regional_staff = is_county_staff | is_city_staff | is_province_staff

# --- Permissions ------------------------------------------------------------------------------

#: The review queue: the bureaus' cases of their stage, an expert's those of its panels.
rules.add_perm("review.view_queue", is_bureau_staff | is_expert)
#: R-REV-2: the county accepts a submitted declaration of its enterprise for first review.
rules.add_perm("review.open_case", is_county_staff & declaration_in_reach)
#: R-REV-1: every decision type of a stage is signed by that stage's bureau.
rules.add_perm("review.sign_opinion", signs_at_case_stage)
#: R-REV-5: who may sign the opinion with the acting user.
rules.add_perm("review.co_sign_opinion", signs_at_case_stage | co_signs_as_expert)
#: R-REV-5: a signer corrects the wording of its opinion with a new signed entry.
rules.add_perm("review.correct_opinion", signed_the_opinion)
#: R-REV-3, R-REV-6: the city of the county forms the expert panel.
rules.add_perm("review.assign_panel", is_case_city_staff)
#: R-REV-3: the panel (or the city's staff with it) records and signs the on-site visit.
rules.add_perm("review.record_onsite", is_panel_member | is_case_city_staff)
#: R-DECL-6: the enterprise reports its rectification; the panel or the city verifies it.
rules.add_perm("review.report_rectification", is_case_enterprise)
rules.add_perm("review.verify_rectification", is_panel_member | is_case_city_staff)
#: R-REV-4: reviewers ask for an approval form again; enterprises and experts only read it.
rules.add_perm("review.rerender_approval_form", is_bureau_staff & case_in_reach)
#: R-REV-4: county, city and province staff bundle the forms of their own jurisdiction.
rules.add_perm("review.request_bundle", is_regional_staff & units_in_reach)
#: R-REV-6..8: city and province staff see the experts of the pools they work with (a city
#: its own and the provincial pool), an expert itself.
rules.add_perm("review.view_experts", is_city_or_above | is_expert)
#: A city adds experts to its own pool and ends their membership; the province to any pool.
rules.add_perm("review.manage_pool", is_city_or_above & manages_pool)
#: R-REV-7: a conflict is declared by the expert or recorded by city or province staff for an
#: expert of their pools (and an enterprise of their jurisdiction, checked by the service).
rules.add_perm("review.record_conflict", is_the_expert | (is_city_or_above & expert_in_reach))
#: R-REV-8: a city blacklists an expert of its own pool, the province any; only the province
#: lifts it.
rules.add_perm("review.blacklist_expert", is_city_or_above & expert_in_own_pool)
rules.add_perm("review.lift_blacklisting", is_province_or_admin)
#: R-DYN-1: the county opens downgrade cases and signs their outcome (four-eyes, checked by the
#: service); the city forms the second-review panel, which (or the city's staff with it) signs
#: the second-review opinion; the bureaus ask for a case's forms again.
rules.add_perm("review.view_downgrades", is_bureau_staff | is_expert | is_enterprise_user)
rules.add_perm("review.open_downgrade", is_county_staff & enterprise_in_reach)
rules.add_perm("review.decide_downgrade", is_county_staff & enterprise_case_in_reach)
rules.add_perm("review.assign_downgrade_panel", is_city_staff & enterprise_case_in_reach)
rules.add_perm(
    "review.sign_second_review", is_panel_member | (is_city_staff & enterprise_case_in_reach)
)
rules.add_perm("review.rerender_case_form", is_bureau_staff & enterprise_case_in_reach)
rules.add_perm("review.view_appeals", is_bureau_staff | is_expert | is_enterprise_user)
#: R-REV-10: the enterprise appeals a county-level decision to the city and may withdraw it
#: before the city signs; the city forms a panel where needed, which signs its opinion, and the
#: city signs the re-review.
rules.add_perm("review.file_appeal", is_own_enterprise)
rules.add_perm("review.withdraw_appeal", is_case_enterprise_of_appeal)
rules.add_perm("review.assign_appeal_panel", is_city_staff & enterprise_case_in_reach)
rules.add_perm(
    "review.sign_appeal_review", is_panel_member | (is_city_staff & enterprise_case_in_reach)
)
rules.add_perm("review.decide_appeal", is_city_staff & enterprise_case_in_reach)
#: 002 第八条(1): the bureau that keeps an expert's pool records the trainings it attended.
rules.add_perm("review.record_training", is_city_or_above & expert_in_own_pool)
#: 002 第二十一条, R-REV-7, R-REV-8: technical service units, kept by a city or the province.
rules.add_perm("review.view_service_units", is_city_or_above)
rules.add_perm("review.keep_service_unit", is_city_or_above & keeps_service_unit)
#: R-REV-7: an enterprise a unit served, recorded by a bureau over that enterprise (checked by
#: the service) for a unit it works with.
rules.add_perm("review.record_engagement", is_city_or_above & service_unit_in_reach)
rules.add_perm("review.lift_unit_blacklisting", is_province_or_admin)
#: R-REV-9 (002 第十四条 "省、市"): the province and the cities draw samples of the graded
#: enterprises of their counties; each records the checks of its own samples and decides the
#: industry downgrades they propose; the province sets the thresholds.
rules.add_perm("review.spot_check", is_city_staff | is_province_or_admin)
rules.add_perm("review.check_sample", drew_the_sample)
rules.add_perm("review.set_spot_check_policy", is_province_or_admin)
#: The county grades its small-micro enterprises C or D directly.
rules.add_perm("review.grade_directly", is_county_staff & enterprise_in_reach)
#: R-REV-11: the bureaus follow last year's A and B that re-apply.
rules.add_perm("review.view_reapplications", is_bureau_staff)
#: R-GUAR-3: the city records the departments' joint review of a guarantee case, reports its
#: guarantee list to the province; the bureaus read the lists of their reach.
rules.add_perm("review.record_guarantee_co_review", is_case_city_staff)
rules.add_perm("review.report_guarantee_list", is_city_staff & is_own_region)
rules.add_perm("review.view_guarantee_lists", is_bureau_staff)
#: R-REV-11: the enterprise's county decides on those that did not re-apply by the deadline.
rules.add_perm("review.decide_reapplication", is_county_staff & enterprise_in_reach)


# --- Asking and refusing ----------------------------------------------------------------------


def _sign_refusal(user, case) -> str:
    role = SIGNING_ROLE.get(getattr(case, "stage", None))
    if role is None:
        return str(_("案卷已办结，不能再作出审核结论"))
    return str(_("只有该企业所属%(who)s可以作出此项审核") % {"who": role_label(role)})


def _blacklist_refusal(user, expert) -> str:
    if not is_city_or_above(user):
        return str(_("只有市级、省级生态环境部门可以将专家列入黑名单"))
    return str(_("市级生态环境部门只能将本市专家库中的专家列入黑名单，其他情形请报省级"))


def _bundle_refusal(user, units) -> str:
    if not is_regional_staff(user):
        return str(_("只有生态环境部门工作人员可以批量生成审核意见表"))
    return str(_("只能批量生成本辖区的审核意见表"))


#: The Chinese reason each refused permission gives (a text, or one built from user and object).
REFUSALS: dict[str, object | Callable[[User, object], str]] = {
    "review.open_case": _("只有企业所属县级生态环境部门可以受理初审"),
    "review.sign_opinion": _sign_refusal,
    "review.correct_opinion": _("只有原意见的签署人可以提出更正"),
    "review.assign_panel": _("只有企业所属市级生态环境部门可以组建专家组"),
    "review.record_onsite": _("只有本案专家组成员或市级生态环境部门可以记录现场核查"),
    "review.report_rectification": _("只有企业本身可以填报整改情况"),
    "review.verify_rectification": _("只有本案专家组成员或市级生态环境部门可以核实整改"),
    "review.rerender_approval_form": _("只有生态环境部门可以重新生成审核意见表"),
    "review.request_bundle": _bundle_refusal,
    "review.view_experts": _("只有市级、省级生态环境部门和专家本人可以查看专家库"),
    "review.manage_pool": _("市级生态环境部门管理本市专家库，省级生态环境部门管理省级专家库"),
    "review.view_downgrades": _("无权查看降级案卷"),
    "review.view_appeals": _("无权查看复核申请"),
    "review.open_downgrade": _("只有企业所属县级生态环境部门可以立案降级处理"),
    "review.decide_downgrade": _("只有企业所属县级生态环境部门可以作出降级处理决定"),
    "review.assign_downgrade_panel": _("只有企业所属市级生态环境部门可以组织专家二次审核"),
    "review.sign_second_review": _("只有本案专家组成员或市级生态环境部门可以签署专家二次审核意见"),
    "review.rerender_case_form": _("只有生态环境部门可以重新生成意见表"),
    "review.file_appeal": _("只有企业本身可以申请复核"),
    "review.withdraw_appeal": _("只有申请复核的企业可以撤回"),
    "review.assign_appeal_panel": _("只有企业所属市级生态环境部门可以组织复核专家组"),
    "review.sign_appeal_review": _("只有本案专家组成员或市级生态环境部门可以签署复核专家意见"),
    "review.decide_appeal": _("只有企业所属市级生态环境部门可以作出复核决定"),
    "review.record_training": _("只有专家所在专家库的管理部门可以登记培训记录"),
    "review.view_service_units": _("只有市级、省级生态环境部门可以查看技术服务单位"),
    "review.keep_service_unit": _("只有登记该技术服务单位的生态环境部门（或省级）可以维护其信息"),
    "review.record_engagement": _("只有市级、省级生态环境部门可以登记技术服务记录"),
    "review.lift_unit_blacklisting": _("只有省级生态环境部门可以解除技术服务单位黑名单"),
    "review.record_conflict": _("只有专家本人或市级、省级生态环境部门可以登记回避关系"),
    "review.blacklist_expert": _blacklist_refusal,
    "review.lift_blacklisting": _("只有省级生态环境部门可以解除专家黑名单"),
    "review.spot_check": _("只有省级、市级生态环境部门可以组织抽查复核"),
    "review.check_sample": _("只有组织该次抽查的生态环境部门可以记录核查结果和处理降级建议"),
    "review.set_spot_check_policy": _("只有省级生态环境部门可以设置抽查规则"),
    "review.grade_directly": _("只有企业所属县级生态环境部门可以直接评定"),
    "review.view_reapplications": _("只有生态环境部门可以查看应重新申报的企业"),
    "review.record_guarantee_co_review": _(
        "只有企业所属市级生态环境部门可以登记保障类部门会审意见"
    ),
    "review.report_guarantee_list": _("只有本市生态环境部门可以向省级报送本市保障类企业清单"),
    "review.view_guarantee_lists": _("只有生态环境部门可以查看保障类企业清单"),
    "review.decide_reapplication": _("只有企业所属县级生态环境部门可以决定未重新申报企业的等级"),
}


def refusal(user, perm: str, obj=None) -> str:
    """The Chinese reason ``perm`` refuses ``user`` (on ``obj``)."""
    reason = REFUSALS[perm]
    return reason(user, obj) if callable(reason) else str(reason)


def require(user, perm: str, obj=None) -> None:
    """Raise PermissionDenied with the reason unless ``perm`` lets ``user`` act (on ``obj``)."""
    if not allows(user, perm, obj):
        raise PermissionDenied(refusal(user, perm, obj))
