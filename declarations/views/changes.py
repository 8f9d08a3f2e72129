"""Change reports (R-ELIG-5): the list of the viewer's reach, the enterprise's filing form, a
report's page with its files, its steps and the county's actions (acknowledge here; the
re-review button comes from the review stage through the ``change_report_actions`` hook)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import event_list_for
from core.forms import add_service_errors, error_text
from core.hooks import collect
from declarations.forms import ChangeHandleForm, ChangeReportForm
from declarations.rules import require
from declarations.selectors import change_report_file_get, change_report_get, change_report_list
from declarations.services import changes
from grading.models import Industry
from grading.rules import allows


@login_required
def change_report_index(request):
    user = request.user
    require(user, "declarations.view_change_reports")
    page = Paginator(change_report_list(viewer=user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "declarations/changes.html",
        {
            "page": page,
            "can_file": allows(user, "declarations.file_change_report", user.enterprise),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_report_new(request):
    user = request.user
    enterprise = user.enterprise
    require(user, "declarations.file_change_report", enterprise)
    graded = enterprise.industries.filter(current_grade__isnull=False).values("industry")
    industries = Industry.objects.filter(pk__in=graded).order_by("seq")
    form = ChangeReportForm(request.POST or None, industries=industries)
    if request.method == "POST" and form.is_valid():
        try:
            report = changes.change_report_file(
                actor=user,
                enterprise=enterprise,
                files=request.FILES.getlist("files"),
                **form.cleaned_data,
            )
            messages.success(request, _("变更报告已提交：%s") % report.number)
            return redirect("declarations:change", pk=report.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request, "declarations/change_new.html", {"form": form, "graded": industries.exists()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_report_detail(request, pk: int):
    user = request.user
    report = change_report_get(viewer=user, pk=pk)
    can_handle = allows(user, "declarations.handle_change_report", report)
    form = ChangeHandleForm(request.POST or None) if can_handle else None
    if request.method == "POST":
        require(user, "declarations.handle_change_report", report)
        if form.is_valid():
            try:
                changes.change_report_acknowledge(
                    actor=user, report=report, note=form.cleaned_data["note"]
                )
                messages.success(request, _("已确认变更，绩效等级不变"))
                return redirect("declarations:change", pk=report.pk)
            except ValidationError as exc:
                messages.error(request, error_text(exc))
    return render(
        request,
        "declarations/change.html",
        {
            "report": report,
            "form": form,
            "actions": collect("change_report_actions", user, report) if can_handle else [],
            "steps": event_list_for(report).order_by("at", "id"),
        },
    )


@login_required
def change_report_file_download(request, pk: int):
    row = change_report_file_get(viewer=request.user, pk=pk)
    response = FileResponse(
        row.file.open("rb"), as_attachment=True, content_type=row.content_type, filename=row.name
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
