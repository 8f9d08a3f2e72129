"""The bureaus' Excel files: requesting one, following it, downloading it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.downloads import file_download
from core.forms import error_text
from publication.models import ExportFile
from publication.rules import allows, refusal
from publication.selectors.exports import export_get, export_list, regions_in_reach
from publication.services.exports import LEVELS, export_file_name, export_request


@login_required
@require_http_methods(["GET", "POST"])
def exports(request):
    user = request.user
    if not allows(user, "publication.view_positive_list"):
        raise PermissionDenied(refusal(user, "publication.view_positive_list"))
    reach = regions_in_reach(user)
    if request.method == "POST":
        region = reach.filter(code=request.POST.get("region") or "").first()
        year = request.POST.get("year") or ""
        month = request.POST.get("month") or ""
        try:
            if region is None:
                raise ValidationError(_("请选择本辖区内的区划"))
            export = export_request(
                actor=user,
                kind=request.POST.get("kind") or "",
                region=region,
                year=int(year) if year.isdigit() else None,
                params={"month": int(month)} if month.isdigit() else None,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                _("已提交导出：%(kind)s，生成后可下载") % {"kind": export.get_kind_display()},
            )
        return redirect("publication:exports")
    page = Paginator(export_list(viewer=user), 30).get_page(request.GET.get("page"))
    kinds = [(k, ExportFile.Kind(k).label) for k in LEVELS]
    return render(
        request,
        "publication/exports.html",
        {
            "page": page,
            "kinds": kinds,
            "regions": reach.exclude(level="county").order_by("code")
            if reach.count() > 1
            else reach,
            "counties": reach.filter(level="county").order_by("code") if reach.count() > 1 else [],
        },
    )


@login_required
def export_download(request, pk: int):
    export = export_get(viewer=request.user, pk=pk)
    if export.status != ExportFile.Status.READY or not export.file:
        raise Http404
    return file_download(
        request,
        target=export,
        kind="export",
        file=export.file.open("rb"),
        filename=export_file_name(export),
    )
