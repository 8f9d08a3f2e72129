"""Public reports (R-PUB-2): the public's form, and the handling bureau's pages. Who
reported is shown only to the bureau's designated handlers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import event_list_for
from core.downloads import file_download
from core.forms import add_service_errors
from grading.models import Region
from publication.forms import ReportForm, ReportHandleForm
from publication.rules import allows, refusal
from publication.selectors.reports import evidence_get, report_get, report_list
from publication.services.reports import report_handle, report_lodge


@require_http_methods(["GET", "POST"])
def report_new(request):
    """The public's report form; a row of a published list links here with the enterprise."""
    initial = {k: request.GET.get(k, "")[:200] for k in ("enterprise_name", "uscc", "county")}
    form = ReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        county = Region.objects.filter(code=data["county"]).first() if data["county"] else None
        try:
            report = report_lodge(
                kind=data["kind"],
                content=data["content"],
                enterprise_name=data["enterprise_name"],
                uscc=data["uscc"],
                county=county,
                files=data["files"],
                name=data["name"],
                contact=data["contact"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session["report_receipt"] = report.receipt
            return redirect("public:report-lodged")
    return render(request, "publication/public/report.html", {"form": form})


def report_lodged(request):
    receipt = request.session.pop("report_receipt", "")
    return render(request, "publication/public/report_lodged.html", {"receipt": receipt})


@login_required
def reports(request):
    user = request.user
    if not allows(user, "publication.view_reports"):
        raise PermissionDenied(refusal(user, "publication.view_reports"))
    page = Paginator(report_list(viewer=user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "publication/reports.html",
        {"page": page, "sees_reporters": allows(user, "publication.handle_report")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_detail(request, pk: int):
    report = report_get(viewer=request.user, pk=pk)
    can_handle = allows(request.user, "publication.handle_report", report)
    form = None
    if can_handle and report.status == "received":
        form = ReportHandleForm(request.POST or None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(refusal(request.user, "publication.handle_report"))
        if form.is_valid():
            try:
                report_handle(
                    actor=request.user,
                    report=report,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已记录核实结果"))
                return redirect("publication:report", pk=pk)
    return render(
        request,
        "publication/report.html",
        {
            "report": report,
            "sees_reporter": can_handle,
            "evidence": report.evidence.all() if can_handle else [],
            "form": form,
            "events": event_list_for(report)[:20],
        },
    )


@login_required
def report_evidence(request, pk: int, evidence_pk: int):
    report = report_get(viewer=request.user, pk=pk)
    evidence = evidence_get(viewer=request.user, report=report, pk=evidence_pk)
    return file_download(
        request,
        target=report,
        kind="report_evidence",
        file=evidence.file.open("rb"),
        content_type=evidence.content_type,
        filename=evidence.original_name,
    )
