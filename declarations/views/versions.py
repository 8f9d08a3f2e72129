"""A submitted version: its frozen content and its package PDF."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.downloads import file_download
from core.forms import error_text
from declarations.models import DeclarationVersion
from declarations.selectors import version_get
from declarations.services.rendering import package_rerender


@login_required
def version_detail(request, pk: int, number: int):
    version = version_get(viewer=request.user, declaration_pk=pk, number=number)
    return render(
        request,
        "declarations/version.html",
        {"version": version, "declaration": version.declaration, "snap": version.snapshot},
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_package_status(request, pk: int, number: int):
    """The package's progress, polled by the version page (htmx) until it is ready; a POST
    asks for the package again."""
    version = version_get(viewer=request.user, declaration_pk=pk, number=number)
    if request.method == "POST":
        try:
            version = package_rerender(actor=request.user, version=version)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
    return render(
        request,
        "declarations/_package_status.html",
        {"version": version, "declaration": version.declaration},
    )


@login_required
def version_package_download(request, pk: int, number: int):
    version = version_get(viewer=request.user, declaration_pk=pk, number=number)
    if version.package_status != DeclarationVersion.RenderStatus.READY or not version.package_file:
        return HttpResponse(
            _("申报材料PDF尚未生成完成"), status=409, content_type="text/plain; charset=utf-8"
        )
    return file_download(
        request,
        target=version.declaration,
        kind="package",
        file=version.package_file.open("rb"),
        content_type="application/pdf",
        filename=f"{version.declaration.number}-第{version.number}版申报材料.pdf",
        sha256=version.package_sha256,
    )
