"""Public pages, no login (R-PUB-1, R-PUB-2): notices and objections to them. Nothing here
shows a contact person, a mobile number or an internal id, and a confidential enterprise
(R-DECL-5) never appears: every read goes through ``publication.selectors.public``."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.forms import add_service_errors
from publication.forms import ObjectionForm
from publication.selectors import notices as selectors
from publication.selectors.lists import issuers, latest_version, tier_of_issuer
from publication.services.notices import objection_lodge


def home(request):
    """What the public can read: notices in their window, the published lists, reports."""
    today = timezone.localdate()
    lists = []
    for region in issuers():
        version = latest_version(issuer=region, tier=tier_of_issuer(region))
        if version is not None:
            lists.append({"region": region, "version": version})
    open_notices = selectors.public_notices().filter(ends_on__gte=today)[:20]
    return render(
        request,
        "publication/public/home.html",
        {"lists": lists, "open_notices": open_notices, "today": today},
    )


def notices(request):
    page = Paginator(selectors.public_notices(), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/public/notices.html",
        {"page": page, "today": timezone.localdate()},
    )


def notice(request, number: str):
    found = selectors.public_notice_get(number=number)
    page = Paginator(selectors.public_notice_items(notice=found), 100).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "publication/public/notice.html",
        {"notice": found, "page": page, "open": found.window_open()},
    )


@require_http_methods(["GET", "POST"])
def objection(request, number: str, key: str):
    found = selectors.public_notice_get(number=number)
    item = selectors.public_notice_item_get(notice=found, key=key)
    form = ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lodged = objection_lodge(
                item=item,
                content=form.cleaned_data["content"],
                name=form.cleaned_data["name"],
                contact=form.cleaned_data["contact"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session["objection_receipt"] = lodged.receipt
            return redirect("public:objection-done", number=number)
    return render(
        request,
        "publication/public/objection.html",
        {"notice": found, "item": item, "form": form, "open": found.window_open()},
    )


def objection_done(request, number: str):
    found = selectors.public_notice_get(number=number)
    receipt = request.session.pop("objection_receipt", "")
    return render(
        request,
        "publication/public/objection_done.html",
        {"notice": found, "receipt": receipt},
    )
