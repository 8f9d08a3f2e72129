"""The province's spot-check samples and industry downgrade proposals (R-REV-9): readable by
those who run spot checks, 403 for the others."""

from django.db.models import Prefetch, QuerySet

from grading.models import User
from review.models import IndustryDowngradeProposal, SpotCheckItem, SpotCheckSample
from review.rules import require
from review.selectors import get_or_404

ITEMS = SpotCheckItem.objects.select_related(
    "enterprise", "industry", "grade", "city", "downgrade_to", "checked_by"
)


def sample_list(*, viewer: User, items: bool = False) -> QuerySet[SpotCheckSample]:
    """Samples, newest first; ``items`` brings each one's items along."""
    require(viewer, "review.spot_check")
    samples = SpotCheckSample.objects.select_related("drawn_by").order_by("-drawn_at", "-id")
    return samples.prefetch_related(Prefetch("items", queryset=ITEMS)) if items else samples


def sample_get(*, viewer: User, pk, items: bool = False) -> SpotCheckSample:
    return get_or_404(sample_list(viewer=viewer, items=items), pk)


def sample_item_get(*, sample: SpotCheckSample, pk) -> SpotCheckItem:
    """One item of a sample the viewer holds; 404 for an item of another sample."""
    return get_or_404(ITEMS.filter(sample=sample), pk)


def proposal_list(*, viewer: User) -> QuerySet[IndustryDowngradeProposal]:
    """Industry downgrade proposals, newest year first."""
    require(viewer, "review.spot_check")
    return IndustryDowngradeProposal.objects.select_related("industry", "decided_by").order_by(
        "-year", "industry__code", "-id"
    )


def proposal_get(*, viewer: User, pk) -> IndustryDowngradeProposal:
    return get_or_404(proposal_list(viewer=viewer), pk)
