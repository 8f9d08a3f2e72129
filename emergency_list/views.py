"""Pages of the emergency list: thin — who may see what is asked of the selectors and
``emergency_list.rules``, every write is a service of ``emergency_list.services``."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.audit import event_list_for
from core.downloads import file_download
from core.forms import error_text
from core.pagination import IdsFirstPaginator
from emergency_list import forms as eforms
from emergency_list.excel.alerts import alert_export
from emergency_list.hooks import duty_links
from emergency_list.models import PRINT_ORDER, Alert
from emergency_list.selectors import (
    alert_city_choices,
    alert_duties_for,
    alert_duty_dicts,
    alert_get,
    alert_list,
    alert_results_for,
    entry_document_get,
    entry_documents,
    entry_documents_state,
    entry_get,
    entry_history,
    entry_list,
    entry_measure_get,
    entry_version_diff,
    excel_export_scopes,
    excel_import_counties,
    excel_job_get,
    excel_job_list,
    list_generate_state,
    list_round_scope,
    list_scope_children,
    list_scope_get,
    list_version_diff,
    list_versions,
)
from emergency_list.services.alerts import alert_call
from emergency_list.services.bundles import bundle_request
from emergency_list.services.charts import alert_chart_svg, ratio_chart_svg
from emergency_list.services.documents import documents_request
from emergency_list.services.entries import (
    entry_update,
    list_generate_request,
    measure_override,
)
from emergency_list.services.jobs import export_request, import_confirm, import_upload
from emergency_list.services.ratios import LABELS, POLLUTANTS, ratio_check
from emergency_list.services.rounds import (
    diff_export_request,
    list_version_publish,
    list_windows,
    round_worklist,
)
from grading.models import User
from grading.rules import allows

# --- the list of a scope ---------------------------------------------------------------------


@login_required
def list_index(request):
    user: User = request.user
    code, year, search = eforms.ListQueryForm(request.GET).values()
    scope = list_scope_get(viewer=user, code=code)
    county = scope if scope.holds_enterprises else None
    qs = entry_list(viewer=user, year=year, county=county, search=search)
    page = IdsFirstPaginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "emergency_list/index.html",
        {
            "page": page,
            "year": year,
            "scope": scope,
            "county": county,
            "children": [] if county else list_scope_children(viewer=user, scope=scope),
            "can_generate": county is not None
            and allows(user, "emergency_list.generate_list", county),
            "generate_state": list_generate_state(county=county, year=year) if county else None,
            "can_bundle": county is not None and allows(user, "emergency_list.export_list", county),
            "levels": PRINT_ORDER,
        },
    )


@login_required
@require_POST
def list_generate(request):
    form = eforms.GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect("emergency_list:index")
    county, year = form.cleaned_data["county"], form.cleaned_data["year"]
    try:
        list_generate_request(actor=request.user, county=county, year=year)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("emergency_list:index")
    messages.success(request, _("清单编制已提交后台处理，完成后刷新本页即可查看"))
    return redirect(reverse("emergency_list:index") + f"?scope={county.code}&year={year}")


@login_required
@require_POST
def list_bundle(request):
    """All plans and signboards of a county's list as one archive, built by a worker."""
    form = eforms.GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect("emergency_list:index")
    county, year = form.cleaned_data["county"], form.cleaned_data["year"]
    try:
        job = bundle_request(actor=request.user, county=county, year=year)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(reverse("emergency_list:index") + f"?scope={county.code}&year={year}")
    messages.success(request, _("打包任务已提交，完成后在本页下载"))
    return redirect("emergency_list:job", pk=job.pk)


@login_required
def ratio_page(request):
    user: User = request.user
    code, year, _search = eforms.ListQueryForm(request.GET).values()
    scope = list_scope_get(viewer=user, code=code)
    results = ratio_check(scope=scope, year=year)
    title = f"{scope.name} {year}"
    return render(
        request,
        "emergency_list/ratio.html",
        {
            "scope": scope,
            "year": year,
            "results": [
                (level, results[level], ratio_chart_svg(results[level], title))
                for level in PRINT_ORDER
            ],
        },
    )


# --- entries ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def entry_detail(request, pk: int):
    user: User = request.user
    entry = entry_get(viewer=user, pk=pk)
    can_edit = allows(user, "emergency_list.change_entry", entry)
    # Which of the page's forms was sent ("action" is a field of the override form).
    sent = request.POST.get("form")
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("只有辖区生态环境部门可以修改应急减排清单"))
    if sent == "override":
        return _override(request, entry)
    form = eforms.EntryForm(request.POST if sent == "entry" else None, instance=entry)
    if sent == "entry" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            entry_update(actor=user, entry=entry, data=data)
            messages.success(request, _("清单信息已保存，措施已按新信息更新"))
            return redirect("emergency_list:entry", pk=pk)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        entry = entry_get(viewer=user, pk=pk)
    older, newer = eforms.VersionDiffForm(request.GET if "older" in request.GET else None).versions(
        entry.revision
    )
    try:
        diff = entry_version_diff(entry=entry, older=older, newer=newer)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        older, newer = max(entry.revision - 1, 1), entry.revision
        diff = entry_version_diff(entry=entry, older=older, newer=newer)
    rows = []
    for ep in entry.processes.all():
        by_level = {m.level: m for m in ep.measures.all()}
        rows.append({"ep": ep, "measures": [by_level.get(level) for level in PRINT_ORDER]})
    documents_state = entry_documents_state(entry=entry)
    return render(
        request,
        "emergency_list/entry.html",
        {
            "entry": entry,
            "rows": rows,
            "form": form,
            "can_edit": can_edit,
            "levels": PRINT_ORDER,
            "override_form": eforms.OverrideForm(),
            "documents": entry_documents(viewer=user, entry=entry),
            "documents_state": documents_state,
            "documents_pending": documents_state.pending,
            "events": event_list_for(entry)[:50],
            "versions": entry_history(entry=entry),
            "diff": diff,
            "older": older,
            "newer": newer,
        },
    )


def _override(request, entry):
    """A stricter measure (R-LIST-8); the result is a message on the entry's page."""
    url = reverse("emergency_list:entry", args=[entry.pk])
    form = eforms.OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect(url)
    measure = entry_measure_get(entry=entry, pk=form.cleaned_data["measure"])
    try:
        measure_override(actor=request.user, measure=measure, **form.service_data())
        messages.success(request, _("措施已加严"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect(f"{url}#m-{measure.pk}")


@login_required
@require_POST
def entry_documents_request(request, pk: int):
    entry = entry_get(viewer=request.user, pk=pk)
    try:
        documents_request(actor=request.user, entry=entry)
    except ValidationError as exc:  # the worker's queue is down: nothing was asked for
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("正在生成一厂一策方案和公示牌，稍后刷新本页下载"))
    return redirect(reverse("emergency_list:entry", args=[pk]) + "#documents")


@login_required
def entry_document_download(request, pk: int, kind: str, index: int):
    """A stored plan or signboard of the entry; reachable only through the entry's scope."""
    entry, document = entry_document_get(viewer=request.user, pk=pk, kind=kind, index=index)
    label = _("一厂一策") if kind == "plan" else _("公示牌")
    response = file_download(
        request,
        target=entry,
        kind="entry_document",
        file=default_storage.open(document.path, "rb"),
        content_type="application/pdf",
        filename=f"{entry.enterprise.name}-{entry.year}-{label}.pdf",
    )
    return response


# --- adjustment rounds and list versions (R-LIST-6) -------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request):
    """The county's round: the year's windows, the worklist of what changed since its last
    version, publishing a new version, and the difference between any two versions."""
    user: User = request.user
    code, year, _search = eforms.ListQueryForm(request.GET).values()
    try:
        county = list_round_scope(viewer=user, code=code)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("emergency_list:index")
    here = reverse("emergency_list:rounds") + f"?scope={county.code}&year={year}"
    if request.method == "POST":
        return _rounds_post(request, county, year, here)
    versions = list(list_versions(county=county, year=year))
    last = versions[0].number if versions else 0
    older, newer = eforms.VersionDiffForm(request.GET if "older" in request.GET else None).versions(
        last
    )
    diff = None
    if last:
        try:
            diff = list_version_diff(county=county, year=year, older=older, newer=newer)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            older, newer = max(last - 1, 0), last
            diff = list_version_diff(county=county, year=year, older=older, newer=newer)
    return render(
        request,
        "emergency_list/rounds.html",
        {
            "county": county,
            "year": year,
            "windows": list_windows(year),
            "worklist": round_worklist(county, year),
            "versions": versions,
            "last": last,
            "older": older,
            "newer": newer,
            "diff": diff,
            "can_publish": allows(user, "emergency_list.generate_list", county),
            "can_export": allows(user, "emergency_list.export_list", county),
        },
    )


def _rounds_post(request, county, year, here):
    try:
        if request.POST.get("action") == "export":
            form = eforms.VersionDiffForm(request.POST)
            if not form.is_valid():
                messages.error(request, error_text(form))
                return redirect(here)
            job = diff_export_request(
                actor=request.user,
                county=county,
                year=year,
                older=form.cleaned_data["older"],
                newer=form.cleaned_data["newer"],
            )
            messages.success(request, _("导出任务已提交"))
            return redirect("emergency_list:job", pk=job.pk)
        version = list_version_publish(
            actor=request.user, county=county, year=year, note=request.POST.get("note", "")
        )
        messages.success(request, _("已发布第%d版清单") % version.number)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect(here)


# --- alerts ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def alerts(request):
    """Call (simulate) an alert for a set of cities and look at past ones."""
    user: User = request.user
    past = alert_list(viewer=user)[:50]
    cities = alert_city_choices(viewer=user)
    today = timezone.localdate()
    form = eforms.AlertForm(
        request.POST or None,
        cities=cities,
        initial={
            "year": today.year,
            "start_on": today,
            "end_on": today,
            "cities": list(cities[:1]),
        },
    )
    if request.method == "POST":
        if not allows(user, "emergency_list.call_alerts"):
            raise PermissionDenied(_("只有省、市生态环境部门可以发布预警"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                alert = alert_call(
                    actor=user,
                    **{k: data[k] for k in ("level", "start_on", "end_on", "year", "note")},
                    cities=list(data["cities"]),
                )
                return redirect("emergency_list:alert", pk=alert.pk)
            except ValidationError as exc:
                form.add_error(None, error_text(exc))
    return render(
        request,
        "emergency_list/alerts.html",
        {"form": form, "past": past, "can_call": allows(user, "emergency_list.call_alerts")},
    )


@login_required
def alert_detail(request, pk: int):
    """An alert's totals and duties (50 a page); while its job runs, its progress, refreshed."""
    user: User = request.user
    alert = alert_get(viewer=user, pk=pk)
    ready = alert.status == Alert.Status.READY
    if request.htmx:  # the progress polling: its part while running, the whole page when done
        if alert.status in (Alert.Status.READY, Alert.Status.FAILED):
            return HttpResponseClientRefresh()
        return render(request, "emergency_list/_alert_status.html", {"alert": alert})
    results, page = {}, None
    if ready:
        results = alert_results_for(viewer=user, alert=alert)
        page = Paginator(alert_duties_for(viewer=user, alert=alert), 50).get_page(
            request.GET.get("page")
        )
    duties = alert_duty_dicts(list(page.object_list)) if page else []
    links = duty_links(user, alert, duties)
    for d in duties:
        d["links"] = links.get(d["enterprise"], [])
    return render(
        request,
        "emergency_list/alert.html",
        {
            "alert": alert,
            "ready": ready,
            "r": results,
            "pollutants": [LABELS[p] for p in POLLUTANTS],
            "chart": alert_chart_svg(alert, results) if ready else "",
            "page": page,
            "duties": duties,
            "sees_totals": allows(user, "emergency_list.view_alert_totals", alert),
            "can_export": ready and allows(user, "emergency_list.export_alert", alert),
        },
    )


@login_required
def alert_export_view(request, pk: int):
    user: User = request.user
    alert = alert_get(viewer=user, pk=pk)
    if not allows(user, "emergency_list.export_alert", alert):
        raise PermissionDenied(_("只有省、市生态环境部门可以导出预警测算结果"))
    if alert.status != Alert.Status.READY:
        messages.info(request, _("预警测算尚未完成，完成后即可导出"))
        return redirect("emergency_list:alert", pk=alert.pk)
    with tempfile.TemporaryDirectory() as folder:
        path = alert_export(alert, Path(folder) / f"alert-{alert.pk}.xlsx")
        fh = path.open("rb")  # still readable once its folder is removed
    return file_download(
        request,
        target=alert,
        kind="alert_export",
        file=fh,
        filename=f"预警模拟-{alert.get_level_display()}-{alert.start_on}.xlsx",
    )


# --- Excel -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def excel(request):
    """Export the list in the layout bureaus submit upward; import a county's workbook."""
    user: User = request.user
    jobs = excel_job_list(viewer=user)
    year, chosen = timezone.localdate().year, ""
    if request.method == "POST":
        job = _excel_request(request)
        if job is not None:
            return redirect("emergency_list:job", pk=job.pk)
        # Refused (background work unavailable, a wrong scope): the page again with what the
        # user chose, so nothing is typed twice.
        year = request.POST.get("year", "")[:4] or year
        chosen = request.POST.get("region", "")[:12]
    return render(
        request,
        "emergency_list/excel.html",
        {
            "jobs": jobs[:30],
            "scopes": excel_export_scopes(viewer=user)[:300],
            "year": year,
            "chosen": chosen,
            "counties": excel_import_counties(viewer=user)[:300],
        },
    )


def _excel_request(request):
    """Queue an export or upload a workbook; None (with a message) when refused."""
    importing = request.POST.get("action") == "import"
    form_class = eforms.ExcelImportForm if importing else eforms.ExcelExportForm
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return None
    region, year = form.cleaned_data["region"], form.cleaned_data["year"]
    try:
        if importing:
            job = import_upload(
                actor=request.user, county=region, year=year, upload=form.cleaned_data["file"]
            )
            messages.success(request, _("文件已上传，正在逐行校验"))
        else:
            job = export_request(actor=request.user, region=region, year=year)
            messages.success(request, _("导出任务已提交"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return None
    return job


@login_required
@require_http_methods(["GET", "POST"])
def job_detail(request, pk: int):
    job = excel_job_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        try:
            import_confirm(actor=request.user, job=job)
            messages.success(request, _("已确认导入，正在后台处理"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        return redirect("emergency_list:job", pk=pk)
    template = "emergency_list/_job_status.html" if request.htmx else "emergency_list/job.html"
    return render(request, template, {"job": job, "report": job.report or {}})


@login_required
def job_download(request, pk: int):
    job = excel_job_get(viewer=request.user, pk=pk)
    if job.status != job.Status.READY or not job.file:
        return HttpResponse(
            _("文件尚未生成完成"), status=409, content_type="text/plain; charset=utf-8"
        )
    name = f"{job.region.name}{job.year}年应急减排清单.xlsx"
    kind = "list_export"
    if job.kind == job.Kind.BUNDLE:
        name = f"{job.region.name}{job.year}年一厂一策实施方案及公示牌.zip"
        kind = "list_documents"
    elif job.kind == job.Kind.DIFF:
        a, b = job.report.get("older"), job.report.get("newer")
        name = f"{job.region.name}{job.year}年应急减排清单第{a}版与第{b}版对比.xlsx"
        kind = "list_diff"
    return file_download(
        request,
        target=job,
        kind=kind,
        file=job.file.open("rb"),
        filename=name,
        sha256=job.sha256,
    )
