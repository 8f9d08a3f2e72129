"""The positive enforcement list (监管执法正面清单, R-PUB-3): A, 引领性 and 先进性 enterprises,
kept current as grades change (it reads the enterprise's current overall grade)."""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from grading.jurisdiction import scope_to_viewer
from grading.models import Enterprise, EnterpriseIndustry, GradeRecord, Region, User
from publication.models import POSITIVE_GRADES, ListRow
from publication.rules import allows
from publication.selectors.lists import latest_version
from publication.selectors.public import area_q, by_name, publishable_enterprises


def positive_enterprises(region: Region | None = None) -> QuerySet[Enterprise]:
    """Every enterprise whose overall grade puts it on the list now (in ``region``)."""
    qs = Enterprise.objects.filter(overall_grade__code__in=POSITIVE_GRADES)
    if region is not None:
        qs = qs.filter(area_q(region))
    main = EnterpriseIndustry.objects.filter(is_main=True).select_related("industry")
    return (
        qs.select_related("county__parent", "overall_grade")
        .prefetch_related(Prefetch("industries", queryset=main, to_attr="main_industries"))
        .order_by("county__parent__code", "county__code", by_name("name"), "pk")
    )


def positive_list(
    *, viewer: User, county: Region | None = None, industry=None
) -> QuerySet[Enterprise]:
    """The list as the viewer's jurisdiction holds it (bureaus only; nothing for others)."""
    if not allows(viewer, "publication.view_positive_list"):
        return Enterprise.objects.none()
    qs = scope_to_viewer(positive_enterprises(), viewer)
    if county is not None:
        qs = qs.filter(area_q(county))
    if industry is not None:
        qs = qs.filter(
            Exists(EnterpriseIndustry.objects.filter(enterprise=OuterRef("pk"), industry=industry))
        )
    return qs


def since(enterprise: Enterprise):
    """When the enterprise's current grade took effect (the latest of its current records)."""
    record = (
        GradeRecord.objects.filter(enterprise=enterprise, effective_to__isnull=True)
        .order_by("-effective_from")
        .first()
    )
    return record.effective_from if record else None


def public_positive_rows(*, province: Region, county: str = "", search: str = ""):
    """What the public reads (R-PUB-1, R-PUB-3): the A-tier results of the province's latest
    published list whose enterprise is still on the positive list now and may be seen."""
    version = latest_version(issuer=province, tier="province")
    if version is None:
        return version, ListRow.objects.none()
    still = publishable_enterprises().filter(overall_grade__code__in=POSITIVE_GRADES)
    qs = version.rows.filter(grade_code__in=POSITIVE_GRADES, uscc__in=still.values("uscc"))
    if county:
        qs = qs.filter(county_code=county)
    if search:
        qs = qs.filter(enterprise_name__contains=search.strip()[:50])
    return version, qs.order_by("seq")
