"""What a list publishes now, its versions, and the public's reads of them (R-PUB-1)."""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from grading.models import GradeRecord, Region
from publication.models import TIER_GRADES, ListRow, ListVersion, NoticeItem, Tier
from publication.selectors.notices import NOTICED_SOURCES, open_objections
from publication.selectors.public import area_q, by_name, publishable_enterprises


def publishable_records(
    *, issuer: Region, tier: str, today: datetime.date | None = None
) -> QuerySet[GradeRecord]:
    """The results the issuer's list publishes now: each enterprise's current grade in each
    industry, of the tier's grades and the issuer's area, of an enterprise the public may see
    (R-DECL-5), and — for the review chain's decisions — noticed with the window over and no
    open objection, or changed by an objection's outcome."""
    today = today or timezone.localdate()
    cleared = NoticeItem.objects.filter(
        record=OuterRef("pk"),
        status=NoticeItem.Status.NOTICED,
        notice__ends_on__lt=today,
    ).exclude(Exists(open_objections()))
    changed = NoticeItem.objects.filter(final_record=OuterRef("pk"), status="changed")
    return (
        GradeRecord.objects.filter(
            area_q(issuer, county_path="enterprise__county"),
            effective_to__isnull=True,
            effective_from__lte=today,
            grade__code__in=TIER_GRADES[tier],
            enterprise__in=publishable_enterprises(),
        )
        .filter(~Q(source__in=NOTICED_SOURCES) | Exists(cleared) | Exists(changed))
        .select_related("enterprise__county__parent", "industry__category", "grade")
        .order_by(
            "enterprise__county__parent__code",
            "enterprise__county__code",
            "industry__category__seq",
            "industry__seq",
            "grade__severity",
            by_name("enterprise__name"),
            "pk",
        )
    )


def issuers() -> QuerySet[Region]:
    """Every bureau that publishes a list: the province and the cities."""
    return Region.objects.filter(
        level__in=[Region.Level.PROVINCE, Region.Level.CITY], is_active=True
    ).order_by("code")


def tier_of_issuer(region: Region) -> str:
    return Tier.PROVINCE if region.level == Region.Level.PROVINCE else Tier.LOCAL


def latest_version(*, issuer: Region, tier: str) -> ListVersion | None:
    return ListVersion.objects.filter(issuer=issuer, tier=tier).order_by("-number").first()


def version_list(*, issuer: Region, tier: str) -> QuerySet[ListVersion]:
    return ListVersion.objects.filter(issuer=issuer, tier=tier).order_by("-number")


# --- The public's view ------------------------------------------------------------------------


def public_issuer_get(*, code: str) -> Region:
    try:
        return issuers().get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None


def public_version_get(*, issuer: Region, number: int | None = None) -> ListVersion:
    """A version of the issuer's list (the latest when no number is given); 404 if none."""
    qs = version_list(issuer=issuer, tier=tier_of_issuer(issuer)).select_related("issuer")
    version = qs.first() if number is None else qs.filter(number=number).first()
    if version is None:
        raise Http404
    return version


def public_rows(
    *,
    version: ListVersion,
    city: str = "",
    county: str = "",
    industry: str = "",
    grade: str = "",
    search: str = "",
) -> QuerySet[ListRow]:
    """The version's rows the public may see, filtered; an enterprise withheld since
    (R-DECL-5) is left out of every version, however old."""
    qs = version.rows.filter(uscc__in=publishable_enterprises().values("uscc"))
    if city:
        qs = qs.filter(city_code=city)
    if county:
        qs = qs.filter(county_code=county)
    if industry:
        qs = qs.filter(industry_code=industry)
    if grade:
        qs = qs.filter(grade_code=grade)
    if search:
        search = search.strip()[:50]
        qs = qs.filter(Q(enterprise_name__contains=search) | Q(uscc=search.upper()))
    return qs.order_by("seq")
