"""Reads of notices and objections. Candidates, staff views and the public's view."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from grading.models import GradeRecord, Region, User
from publication.models import TIER_GRADES, Notice, NoticeItem, Objection
from publication.rules import allows, issuer_for
from publication.selectors.public import area_q, by_name, publishable_enterprises

#: Records of the review chain's decisions are noticed before they are published; downgrades
#: and spot-check results are published directly (R-REV-9), imports are history.
NOTICED_SOURCES = (GradeRecord.Source.REVIEW, GradeRecord.Source.APPEAL)


def open_objections(item_ref="pk") -> QuerySet[Objection]:
    return Objection.objects.filter(item=OuterRef(item_ref), status=Objection.Status.OPEN)


def notice_candidates(*, issuer: Region, tier: str) -> QuerySet[GradeRecord]:
    """Decided results of the issuer's tier and area not yet noticed: current records of the
    review chain, of enterprises the public may see (R-PUB-1, R-DECL-5)."""
    return (
        GradeRecord.objects.filter(
            area_q(issuer, county_path="enterprise__county"),
            effective_to__isnull=True,
            source__in=NOTICED_SOURCES,
            grade__code__in=TIER_GRADES[tier],
            enterprise__in=publishable_enterprises(),
            notice_item__isnull=True,
            changed_notice_item__isnull=True,
        )
        .select_related("enterprise__county__parent", "industry__category", "grade")
        .order_by("enterprise__county__code", "industry__seq", by_name("enterprise__name"), "pk")
    )


def candidates_for(*, viewer: User) -> QuerySet[GradeRecord]:
    mine = issuer_for(viewer)
    if mine is None or not allows(viewer, "publication.manage_notices", mine[0]):
        return GradeRecord.objects.none()
    return notice_candidates(issuer=mine[0], tier=mine[1])


def notice_list(*, viewer: User) -> QuerySet[Notice]:
    """The notices of the viewer's own bureau, newest first."""
    mine = issuer_for(viewer)
    if mine is None:
        return Notice.objects.none()
    return (
        Notice.objects.filter(issuer=mine[0], tier=mine[1])
        .select_related("issuer", "version")
        .order_by("-starts_on", "-pk")
        .annotate(
            item_count=Count("items", distinct=True),
            open_count=Count(
                "items__objections",
                filter=Q(items__objections__status=Objection.Status.OPEN),
                distinct=True,
            ),
        )
    )


def notice_get(*, viewer: User, pk: int) -> Notice:
    """One notice of the viewer's bureau; 404 otherwise."""
    try:
        return notice_list(viewer=viewer).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notice_items(*, notice: Notice) -> QuerySet[NoticeItem]:
    return (
        NoticeItem.objects.filter(notice=notice)
        .select_related("enterprise__county__parent", "industry", "grade", "final_record__grade")
        .annotate(open_count=Count("objections", filter=Q(objections__status="open")))
        .order_by("enterprise__county__code", "industry__seq", by_name("enterprise__name"), "pk")
    )


def objection_list(*, viewer: User, notice: Notice | None = None) -> QuerySet[Objection]:
    """Objections to the notices of the viewer's bureau (content and outcome; who lodged
    them is shown only where ``publication.handle_objection`` allows)."""
    mine = issuer_for(viewer)
    if mine is None:
        return Objection.objects.none()
    qs = Objection.objects.filter(item__notice__issuer=mine[0], item__notice__tier=mine[1])
    if notice is not None:
        qs = qs.filter(item__notice=notice)
    return qs.select_related(
        "item__notice", "item__enterprise__county", "item__industry", "item__grade", "new_grade"
    ).order_by("status", "lodged_at", "pk")


def objection_get(*, viewer: User, pk: int) -> Objection:
    try:
        return objection_list(viewer=viewer).get(pk=pk)
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- The public's view ------------------------------------------------------------------------


def public_notices() -> QuerySet[Notice]:
    """Notices the public reads: those whose window has begun, newest first."""
    today = timezone.localdate()
    return (
        Notice.objects.filter(starts_on__lte=today)
        .select_related("issuer")
        .annotate(item_count=Count("items"))
        .order_by("-starts_on", "-pk")
    )


def public_notice_get(*, number: str) -> Notice:
    try:
        return public_notices().get(number=number)
    except Notice.DoesNotExist:
        raise Http404 from None


def public_notice_items(*, notice: Notice) -> QuerySet[NoticeItem]:
    """The notice's results the public may see (R-DECL-5 re-checked at every read)."""
    return (
        NoticeItem.objects.filter(notice=notice, enterprise__in=publishable_enterprises())
        .select_related("enterprise__county__parent", "industry", "grade")
        .order_by("enterprise__county__code", "industry__seq", by_name("enterprise__name"), "pk")
    )


def public_notice_item_get(*, notice: Notice, key: str) -> NoticeItem:
    """One public item by its public key (``USCC-industry code``)."""
    uscc, _sep, industry = (key or "").partition("-")
    item = public_notice_items(notice=notice).filter(enterprise__uscc=uscc, industry__code=industry)
    found = item.first()
    if found is None:
        raise Http404
    return found


def has_open_objection():
    return Exists(open_objections())
