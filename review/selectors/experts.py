"""The expert pool (R-REV-6..8): who sees which experts, and who may sit on a case's panel."""

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from grading.models import Enterprise, User
from grading.rules import is_expert
from grading.validators import normalize_uscc
from review.models import ExpertBlacklisting, ExpertConflict, ReviewCase
from review.rules import require


def expert_accounts() -> QuerySet[User]:
    """Every account of the expert role (what an expert's username may name in a request)."""
    return User.objects.filter(role=User.Role.EXPERT)


def expert_pool(*, viewer: User) -> QuerySet[User]:
    """The pool with its industries, conflicts and active blacklistings: every expert for city
    and province staff, only itself for an expert; 403 for the others."""
    require(viewer, "review.view_experts")
    pool = (
        expert_accounts()
        .select_related("expert_profile")
        .prefetch_related(
            "expert_profile__industries",
            Prefetch(
                "blacklistings",
                queryset=ExpertBlacklisting.objects.filter(lifted_at__isnull=True),
                to_attr="active_blacklistings",
            ),
            Prefetch("conflicts", queryset=ExpertConflict.objects.select_related("enterprise")),
        )
        .order_by("full_name", "username")
    )
    if is_expert(viewer):
        pool = pool.filter(pk=viewer.pk)
    return pool


def expert_get(*, viewer: User, username: str) -> User:
    """One expert of the viewer's pool; 404 outside it."""
    try:
        return expert_pool(viewer=viewer).get(username=username)
    except User.DoesNotExist:
        raise Http404 from None


def blacklisting_get(*, viewer: User, pk) -> ExpertBlacklisting:
    """A blacklisting of an expert of the viewer's pool; 404 outside it."""
    try:
        return ExpertBlacklisting.objects.filter(expert__in=expert_pool(viewer=viewer)).get(pk=pk)
    except (ExpertBlacklisting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def enterprise_by_uscc(uscc: str) -> Enterprise | None:
    """The enterprise of a 统一社会信用代码 anywhere in the province (a conflict of interest is
    recorded whoever oversees the enterprise)."""
    return Enterprise.objects.filter(uscc=normalize_uscc(uscc)).first()


def expert_suggestions(*, case: ReviewCase) -> QuerySet[User]:
    """Eligible experts for the case, those of its industry first (``knows_industry``): no
    third-party agency, blacklisting or conflict with the enterprise (R-REV-6..8)."""
    enterprise = case.declaration.enterprise
    industry = case.declaration.industry
    blacklisted = ExpertBlacklisting.objects.filter(expert=OuterRef("pk"), lifted_at__isnull=True)
    conflicted = ExpertConflict.objects.filter(expert=OuterRef("pk"), enterprise=enterprise)
    knows = User.objects.filter(pk=OuterRef("pk"), expert_profile__industries=industry)
    return (
        expert_accounts()
        .filter(is_active=True, expert_profile__isnull=False)
        .filter(expert_profile__employer_is_service_agency=False)
        .exclude(Exists(blacklisted))
        .exclude(Exists(conflicted))
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
