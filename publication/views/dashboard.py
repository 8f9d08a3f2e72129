"""The targets dashboard (R-TGT-1): the province, a city or a county, drill-down by region and
industry, charts drawn on the server."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from grading.models import Region
from publication import charts
from publication.rules import allows
from publication.selectors.dashboard import dashboard, dashboard_region_get, year_from


@login_required
def dashboard_view(request):
    region = dashboard_region_get(viewer=request.user, code=request.GET.get("region") or "")
    figures = dashboard(region=region, year=year_from(request.GET.get("year") or ""))
    return render(
        request,
        "publication/dashboard.html",
        {
            "d": figures,
            "trail": [
                (r, allows(request.user, "publication.view_dashboard", r)) for r in _trail(region)
            ],
            "years": range(timezone.localdate().year, 2019, -1),
            "category_chart": mark_safe(  # noqa: S308 (built from escaped parts)
                charts.share_bars_svg(
                    figures.categories,
                    title=_("各类重点行业A、B级企业占比（红线：目标，灰线：2020年）"),
                )
            ),
            "area_chart": mark_safe(  # noqa: S308
                charts.share_bars_svg(figures.areas, title=_("各地A、B级企业占比（红线：目标）"))
            )
            if len(figures.areas) > 1
            else "",
            "month_chart": mark_safe(  # noqa: S308
                charts.monthly_svg(
                    figures.months,
                    target=figures.target,
                    title=_("%(year)d年逐月A、B级企业占比") % {"year": figures.year},
                )
            ),
        },
    )


def _trail(region: Region) -> list[Region]:
    trail = []
    while region is not None:
        trail.insert(0, region)
        region = region.parent
    return trail
