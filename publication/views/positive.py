"""The positive enforcement list (R-PUB-3): the bureaus' page with its export, and the
public's page of the published part of it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode

from grading.models import Industry, Region
from publication.rules import allows, refusal
from publication.selectors.exports import regions_in_reach
from publication.selectors.lists import public_issuer_get
from publication.selectors.positive import positive_list, public_positive_rows


@login_required
def positive(request):
    user = request.user
    if not allows(user, "publication.view_positive_list"):
        raise PermissionDenied(refusal(user, "publication.view_positive_list"))
    reach = regions_in_reach(user).order_by("code")
    county = reach.filter(code=request.GET.get("region") or "").first()
    industry = Industry.objects.filter(code=request.GET.get("industry") or "").first()
    qs = positive_list(viewer=user, county=county, industry=industry)
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    query = urlencode(
        {
            k: v
            for k, v in {
                "region": county and county.code,
                "industry": industry and industry.code,
            }.items()
            if v
        }
    )
    return render(
        request,
        "publication/positive.html",
        {
            "page": page,
            "query": query,
            "regions": reach,
            "industries": Industry.objects.filter(is_active=True),
            "region": county,
            "industry": industry,
            "export_region": county or _own(user, reach),
        },
    )


def _own(user, reach):
    return user.region if user.region_id else reach.filter(level=Region.Level.PROVINCE).first()


def public_positive(request):
    province = public_issuer_get(code=_province_code())
    county = (request.GET.get("county") or "")[:12]
    q = (request.GET.get("q") or "")[:50]
    version, rows = public_positive_rows(province=province, county=county, search=q)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/public/positive.html",
        {
            "version": version,
            "page": page,
            "q": q,
            "county": county,
            "counties": Region.objects.filter(parent__parent=province).order_by("code"),
            "query": urlencode({k: v for k, v in {"county": county, "q": q}.items() if v}),
        },
    )


def _province_code() -> str:
    from django.conf import settings

    return settings.GRADING["PROVINCE_CODE"]
