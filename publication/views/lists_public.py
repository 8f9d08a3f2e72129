"""Public pages of the published lists (R-PUB-1): the lists, a version with its filters, old
versions, the downloads, and a search across the lists. No login; every read goes through
``publication.selectors`` so a confidential enterprise (R-DECL-5) never appears."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.http import urlencode

from publication.forms import PublicListFilterForm
from publication.models import VersionFile
from publication.selectors.lists import (
    issuers,
    latest_version,
    public_issuer_get,
    public_rows,
    public_version_get,
    tier_of_issuer,
    version_list,
)
from publication.services.downloads import download_for


def lists(request):
    rows = []
    for region in issuers():
        tier = tier_of_issuer(region)
        rows.append({"region": region, "version": latest_version(issuer=region, tier=tier)})
    return render(request, "publication/public/lists.html", {"rows": rows})


def version(request, code: str, number: int | None = None):
    issuer = public_issuer_get(code=code)
    tier = tier_of_issuer(issuer)
    shown = public_version_get(issuer=issuer, number=number)
    form = PublicListFilterForm(request.GET or None, issuer=issuer, tier=tier)
    filters = form.filters()
    rows = public_rows(
        version=shown,
        city=filters.get("city", ""),
        county=filters.get("county", ""),
        industry=filters.get("industry", ""),
        grade=filters.get("grade", ""),
        search=filters.get("q", ""),
    )
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/public/version.html",
        {
            "issuer": issuer,
            "version": shown,
            "form": form,
            "page": page,
            "query": urlencode(filters),
            "versions": version_list(issuer=issuer, tier=tier)[:50],
        },
    )


def download(request, code: str, number: int, fmt: str):
    if fmt not in VersionFile.Format.values:
        raise Http404
    issuer = public_issuer_get(code=code)
    shown = public_version_get(issuer=issuer, number=number)
    ready = download_for(version=shown, fmt=fmt)
    if ready is None:
        response = render(
            request, "publication/public/download_pending.html", {"version": shown}, status=202
        )
        response["Refresh"] = "5"
        return response
    name = f"{shown.title}（第{shown.number}版）.{fmt}"
    return FileResponse(ready.file.open("rb"), as_attachment=True, filename=name)


def search(request):
    """Enterprises by name (or USCC) in the latest version of every published list."""
    q = (request.GET.get("q") or "").strip()[:50]
    found = []
    if q:
        for region in issuers():
            latest = latest_version(issuer=region, tier=tier_of_issuer(region))
            if latest is not None:
                for row in public_rows(version=latest, search=q)[:50]:
                    found.append({"version": latest, "row": row})
    return render(request, "publication/public/search.html", {"q": q, "found": found[:200]})
