"""The targets dashboard's figures (R-TGT-1) as the page shows them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from publication.selectors.dashboard import (
    Line,
    Tally,
    dashboard,
    dashboard_region_get,
    year_from,
)


def _tally(t: Tally) -> dict:
    return {
        "graded": t.graded,
        "ab": t.ab,
        "share": t.share,
        "d": t.d,
        "ungraded": t.ungraded,
    }


def _line(line: Line) -> dict:
    return {
        "code": line.code,
        "name": line.name,
        **_tally(line.tally),
        "target": line.target,
        "baseline": line.baseline,
        "gap": line.gap,
    }


class DashboardView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="区划代码（默认本级）"),
            OpenApiParameter("year", int, description="年度（默认本年度）"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        """A/B share by industry category and by city (or county) against the year's targets
        and the 2020 baseline, D enterprises, month-end progress, by industry."""
        region = dashboard_region_get(
            viewer=request.user, code=request.query_params.get("region") or ""
        )
        d = dashboard(region=region, year=year_from(request.query_params.get("year") or ""))
        return Response(
            {
                "region": {"code": region.code, "name": region.name, "level": region.level},
                "year": d.year,
                "targets_year": d.targets_year,
                "target": d.target,
                "goal": {"year": d.goal[0], "pct": d.goal[1]} if d.goal else None,
                "total": _tally(d.total),
                "categories": [_line(line) for line in d.categories],
                "areas": [_line(line) for line in d.areas],
                "industries": [_line(line) | {"category": line.drill} for line in d.industries],
                "months": d.months,
            }
        )
