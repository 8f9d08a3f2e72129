"""The expert pools (R-REV-6..8; 002 第八条, 003 四): which experts a bureau works with, which of
their conflicts it may read, and who may sit on a case's panel.

A city works with its own pool and the provincial one, the province with every pool of the
province; an expert sees itself. Conflicts are read only within the reader's jurisdiction: a
city never learns another city's enterprise from the pool (issue: a province-wide code → name
lookup)."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from grading.jurisdiction import county_units_for
from grading.models import Enterprise, Region, User
from grading.rules import is_expert
from grading.validators import normalize_uscc
from review.models import (
    DowngradeCase,
    ExpertBlacklisting,
    ExpertConflict,
    Opinion,
    Panel,
    PoolMembership,
    ReviewCase,
    ServiceEngagement,
    ServiceUnitMember,
)
from review.rules import pools_for_case_city, pools_in_reach, require
from review.selectors.cases import case_list
from review.selectors.downgrades import downgrade_list


def expert_accounts() -> QuerySet[User]:
    """Every account of the expert role (what an expert's username may name in a request)."""
    return User.objects.filter(role=User.Role.EXPERT)


def active_memberships() -> QuerySet[PoolMembership]:
    return PoolMembership.objects.filter(removed_at__isnull=True)


def in_pools(pools: QuerySet[Region]) -> Exists:
    """An expert (the outer row) with an active membership in one of ``pools``."""
    return Exists(active_memberships().filter(expert=OuterRef("pk"), pool__in=pools))


def conflicts_readable_by(viewer: User) -> QuerySet[ExpertConflict]:
    """The conflicts ``viewer`` may read: an expert its own, staff those with enterprises of
    their jurisdiction."""
    conflicts = ExpertConflict.objects.select_related("enterprise")
    if is_expert(viewer):
        return conflicts.filter(expert=viewer)
    return conflicts.filter(enterprise__county__in=county_units_for(viewer))


def expert_pool(*, viewer: User, pool: Region | None = None) -> QuerySet[User]:
    """The experts of the pools the viewer works with (or of one of them), with their
    industries, pools, conflicts in the viewer's jurisdiction and active blacklistings; only
    itself for an expert; 403 for the others."""
    require(viewer, "review.view_experts")
    experts = expert_accounts()
    if is_expert(viewer):
        experts = experts.filter(pk=viewer.pk)
    else:
        pools = pools_in_reach(viewer)
        if pool is not None:
            pools = pools.filter(pk=pool.pk)
        experts = experts.filter(in_pools(pools))
    year = timezone.localdate().year
    return (
        experts.select_related("expert_profile")
        .annotate(
            open_panels=Count("panels", filter=open_panel_filter("panels__"), distinct=True),
            panels_this_year=Count("panels", filter=Q(panels__formed_at__year=year), distinct=True),
        )
        .prefetch_related(
            "expert_profile__industries",
            Prefetch(
                "blacklistings",
                queryset=ExpertBlacklisting.objects.filter(lifted_at__isnull=True),
                to_attr="active_blacklistings",
            ),
            Prefetch(
                "conflicts", queryset=conflicts_readable_by(viewer), to_attr="readable_conflicts"
            ),
            Prefetch(
                "pool_memberships",
                queryset=active_memberships().select_related("pool"),
                to_attr="active_pools",
            ),
        )
        .order_by("full_name", "username")
    )


def expert_get(*, viewer: User, username: str) -> User:
    """One expert of the viewer's pools; 404 outside them."""
    try:
        return expert_pool(viewer=viewer).get(username=username)
    except User.DoesNotExist:
        raise Http404 from None


def blacklisting_get(*, viewer: User, pk) -> ExpertBlacklisting:
    """A blacklisting of an expert of the viewer's pools; 404 outside them."""
    try:
        return ExpertBlacklisting.objects.filter(
            expert__in=expert_pool(viewer=viewer).values("pk")
        ).get(pk=pk)
    except (ExpertBlacklisting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pool_get(*, viewer: User, code: str) -> Region:
    """One pool the viewer works with, by its region code; 404 otherwise."""
    pool = pools_in_reach(viewer).filter(code=code).first()
    if pool is None:
        raise Http404
    return pool


def enterprise_in_reach_by_uscc(*, viewer: User, uscc: str) -> Enterprise | None:
    """The enterprise of a 统一社会信用代码 in the viewer's jurisdiction; None for one outside
    it, the same answer as for a code nobody holds."""
    return Enterprise.objects.filter(
        uscc=normalize_uscc(uscc), county__in=county_units_for(viewer)
    ).first()


def enterprise_named(*, uscc: str, name: str) -> Enterprise | None:
    """The enterprise whose code and full name both match what an expert declares; a wrong
    name is the same answer as an unknown code, so a declaration confirms nothing about an
    enterprise it does not name correctly (no code → name lookup)."""
    if not uscc.strip() or not name.strip():
        return None
    return Enterprise.objects.filter(uscc=normalize_uscc(uscc), name=name.strip()).first()


def expert_suggestions(*, case: ReviewCase) -> QuerySet[User]:
    """Eligible experts for the review case's panel (see ``expert_suggestions_for``)."""
    return expert_suggestions_for(
        enterprise=case.declaration.enterprise, industry=case.declaration.industry
    )


def expert_suggestions_for(*, enterprise: Enterprise, industry) -> QuerySet[User]:
    """Eligible experts for a panel on ``enterprise``, those of ``industry`` first
    (``knows_industry``): of the city's pool or the provincial one, no third-party agency,
    blacklisting or conflict with the enterprise, directly or through a technical service
    unit (R-REV-6..8)."""
    blacklisted = ExpertBlacklisting.objects.filter(expert=OuterRef("pk"), lifted_at__isnull=True)
    conflicted = ExpertConflict.objects.filter(expert=OuterRef("pk"), enterprise=enterprise)
    unit_served = ServiceUnitMember.objects.filter(
        expert=OuterRef("pk"), unit__engagements__enterprise=enterprise
    )
    unit_banned = ServiceUnitMember.objects.filter(
        expert=OuterRef("pk"),
        until__isnull=True,
        unit__blacklistings__isnull=False,
        unit__blacklistings__lifted_at__isnull=True,
    )
    knows = User.objects.filter(pk=OuterRef("pk"), expert_profile__industries=industry)
    city = enterprise.county.city
    return (
        expert_accounts()
        .filter(is_active=True, expert_profile__isnull=False)
        .filter(in_pools(pools_for_case_city(city)))
        .filter(expert_profile__employer_is_service_agency=False)
        .exclude(Exists(blacklisted))
        .exclude(Exists(conflicted))
        .exclude(Exists(unit_served))
        .exclude(Exists(unit_banned))
        .annotate(knows_industry=Exists(knows))
        .select_related("expert_profile")
        .order_by("-knows_industry", "full_name", "username")
    )


def panel_candidates(*, viewer: User, case: ReviewCase, limit: int = 30) -> QuerySet[User]:
    """The first ``limit`` suggestions for the case's panel, for whoever forms it
    (``review.assign_panel``) while the case is at the city."""
    require(viewer, "review.assign_panel", case)
    if case.stage != ReviewCase.Stage.CITY:
        raise ValidationError(_("只有处于市级审核阶段的案卷可以组建专家组"))
    suggestions = expert_suggestions(case=case)
    first = list(suggestions.values_list("pk", flat=True)[:limit])
    return suggestions.filter(pk__in=first).prefetch_related("expert_profile__industries")


def detected_conflicts(*, viewer: User, expert: User) -> QuerySet[ServiceEngagement]:
    """R-REV-7 detected, not declared: enterprises a technical service unit of the expert
    (now or before) served, those of the viewer's jurisdiction only (an expert sees its own)."""
    engagements = ServiceEngagement.objects.filter(unit__members__expert=expert).distinct()
    if not is_expert(viewer):
        engagements = engagements.filter(enterprise__county__in=county_units_for(viewer))
    return engagements.select_related("unit", "enterprise").order_by("-served_on", "-id")


@dataclass(frozen=True)
class Workload:
    """How much grading work an expert carries (numbers only, whoever's jurisdiction)."""

    open_panels: int
    panels_this_year: int
    panels_total: int
    onsite_signed_this_year: int
    opinions_signed_total: int


def expert_workload(*, expert: User, today: date | None = None) -> Workload:
    year = (today or timezone.localdate()).year
    panels = Panel.objects.filter(memberships__expert=expert)
    counts = panels.aggregate(
        total=Count("pk", distinct=True),
        this_year=Count("pk", filter=Q(formed_at__year=year), distinct=True),
        open=Count("pk", filter=open_panel_filter(), distinct=True),
    )
    signed = Opinion.objects.filter(signers=expert).aggregate(
        total=Count("pk", distinct=True),
        onsite=Count(
            "pk",
            filter=Q(kind=Opinion.Kind.ON_SITE, signed_at__year=year),
            distinct=True,
        ),
    )
    return Workload(
        open_panels=counts["open"],
        panels_this_year=counts["this_year"],
        panels_total=counts["total"],
        onsite_signed_this_year=signed["onsite"],
        opinions_signed_total=signed["total"],
    )


def open_panel_filter(prefix: str = "") -> Q:
    """A panel whose work is not done: its review case is still at the city, or its downgrade
    case still in second review."""
    return Q(**{f"{prefix}case__stage": ReviewCase.Stage.CITY}) | Q(
        **{f"{prefix}downgrade_case__stage": DowngradeCase.Stage.SECOND_REVIEW}
    )


def expert_history(*, viewer: User, expert: User) -> QuerySet[Panel]:
    """The panels the expert sat on (on-site verification and downgrade second reviews),
    newest first, of the cases the viewer may see (a city its jurisdiction's; the expert all
    its own)."""
    visible = case_list(viewer=viewer).values("pk")
    downgrades = downgrade_list(viewer=viewer).values("pk")
    return (
        Panel.objects.filter(memberships__expert=expert)
        .filter(Q(case__in=visible) | Q(downgrade_case__in=downgrades))
        .select_related(
            "case__declaration__enterprise__county",
            "case__declaration__industry",
            "case__final_grade",
            "downgrade_case__enterprise",
            "downgrade_case__industry",
            "downgrade_case__grade",
        )
        .order_by("-formed_at", "-id")
    )
