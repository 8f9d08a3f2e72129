"""Spot-check samples and industry downgrade proposals (R-REV-9): the province reads its own
and its cities' samples, a city its own; another city's sample is a 404, the same as a
missing one; a role that runs no spot checks gets 403."""

from django.db.models import Prefetch, Q, QuerySet

from grading.models import Region, User
from grading.rules import is_admin
from review.models import IndustryDowngradeProposal, SpotCheckItem, SpotCheckSample
from review.rules import require
from review.selectors import get_or_404

ITEMS = SpotCheckItem.objects.select_related(
    "enterprise__county", "industry", "grade", "city", "downgrade_to", "checked_by"
)


def _regions_in_reach(viewer: User) -> Q:
    """Samples of the viewer's own area, and for the province those of its cities."""
    if is_admin(viewer):
        return Q()
    return Q(region=viewer.region_id) | Q(region__parent=viewer.region_id)


def sample_list(*, viewer: User, items: bool = False) -> QuerySet[SpotCheckSample]:
    """Samples, newest first; ``items`` brings each one's items along."""
    require(viewer, "review.spot_check")
    samples = (
        SpotCheckSample.objects.filter(_regions_in_reach(viewer))
        .select_related("drawn_by", "region")
        .order_by("-drawn_at", "-id")
    )
    return samples.prefetch_related(Prefetch("items", queryset=ITEMS)) if items else samples


def sample_get(*, viewer: User, pk, items: bool = False) -> SpotCheckSample:
    return get_or_404(sample_list(viewer=viewer, items=items), pk)


def sample_item_get(*, sample: SpotCheckSample, pk) -> SpotCheckItem:
    """One item of a sample the viewer holds; 404 for an item of another sample."""
    return get_or_404(ITEMS.filter(sample=sample), pk)


def proposal_list(*, viewer: User) -> QuerySet[IndustryDowngradeProposal]:
    """Industry downgrade proposals of the samples in reach, newest year first; those made
    before samples had an area are the province's."""
    require(viewer, "review.spot_check")
    proposals = IndustryDowngradeProposal.objects.all()
    if not is_admin(viewer):
        in_reach = Q(sample__in=sample_list(viewer=viewer).values("pk"))
        if viewer.region is not None and viewer.region.level == Region.Level.PROVINCE:
            in_reach |= Q(sample__isnull=True)
        proposals = proposals.filter(in_reach)
    return proposals.select_related("industry", "decided_by", "sample__region").order_by(
        "-year", "industry__code", "-id"
    )


def proposal_get(*, viewer: User, pk) -> IndustryDowngradeProposal:
    return get_or_404(proposal_list(viewer=viewer), pk)
