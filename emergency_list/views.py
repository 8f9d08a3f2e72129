"""Pages of the emergency list: thin — every rule is in emergency_list.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for, event_record
from emergency_list import forms as eforms
from emergency_list.models import PRINT_ORDER, EntryMeasure
from emergency_list.selectors import entry_get, entry_list
from emergency_list.services import entries as entry_services
from emergency_list.services.ratios import ratio_check
from grading.jurisdiction import county_units_for, region_in_reach
from grading.models import Region, User

BUREAU = (User.Role.COUNTY, User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN)


def _year(request) -> int:
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


def _require_bureau(user: User) -> None:
    if user.role not in BUREAU:
        raise PermissionDenied


def _scope(request, user: User) -> Region:
    """The region the page looks at: asked for and within reach, else the user's own."""
    code = request.GET.get("scope")
    if code:
        region = get_object_or_404(Region, code=code)
        units = county_units_for(user)
        if region.holds_enterprises and units.filter(pk=region.pk).exists():
            return region
        if region.level in (Region.Level.CITY, Region.Level.PROVINCE) and (
            user.role in (User.Role.PROVINCE, User.Role.ADMIN)
            or (user.role == User.Role.CITY and region == user.region)
        ):
            return region
        raise PermissionDenied
    return user.region


@login_required
def list_index(request):
    user: User = request.user
    _require_bureau(user)
    year = _year(request)
    scope = _scope(request, user)
    county = scope if scope and scope.holds_enterprises else None
    qs = entry_list(viewer=user, year=year, county=county, search=request.GET.get("q", ""))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    children = []
    if scope and not scope.holds_enterprises:
        children = (
            Region.objects.filter(parent=scope).order_by("code")
            if scope.level == Region.Level.PROVINCE
            else county_units_for(user).filter(parent=scope).order_by("code")
        )
    return render(
        request,
        "emergency_list/index.html",
        {
            "page": page,
            "year": year,
            "scope": scope,
            "county": county,
            "children": children,
            "can_generate": county is not None and region_in_reach(user, county),
            "levels": PRINT_ORDER,
        },
    )


@login_required
@require_POST
def list_generate(request):
    user: User = request.user
    _require_bureau(user)
    county = get_object_or_404(Region, code=request.POST.get("county"))
    try:
        year = int(request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        messages.error(request, _("年度格式不正确"))
        return redirect("emergency_list:index")
    if not county.holds_enterprises or not region_in_reach(user, county):
        raise PermissionDenied
    from emergency_list.tasks import generate_list

    with transaction.atomic():
        event_record(
            code="list.generate.requested",
            actor=user,
            target=county,
            summary=_("编制%(year)s年%(county)s应急减排清单")
            % {"year": year, "county": county.name},
        )
        transaction.on_commit(lambda: generate_list.delay(county.pk, year, user.pk))
    messages.success(request, _("清单编制已提交后台处理，完成后刷新本页即可查看"))
    return redirect(reverse("emergency_list:index") + f"?scope={county.code}&year={year}")


@login_required
@require_http_methods(["GET", "POST"])
def entry_detail(request, pk: int):
    user: User = request.user
    entry = entry_get(viewer=user, pk=pk)
    can_edit = user.role in BUREAU and region_in_reach(user, entry.county)
    form = eforms.EntryForm(
        request.POST if request.POST.get("action") == "entry" else None, instance=entry
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "entry" and form.is_valid():
                entry_services.entry_update(
                    actor=user,
                    entry=entry,
                    data={k: form.cleaned_data[k] for k in form.Meta.fields},
                )
                messages.success(request, _("清单信息已保存，措施已按新信息更新"))
                return redirect("emergency_list:entry", pk=pk)
            if request.POST.get("action") == "override":
                measure = get_object_or_404(
                    EntryMeasure, pk=request.POST.get("measure"), entry_process__entry=entry
                )
                oform = eforms.OverrideForm(request.POST)
                if oform.is_valid():
                    entry_services.measure_override(
                        actor=user, measure=measure, **oform.cleaned_data
                    )
                    messages.success(request, _("措施已加严"))
                else:
                    messages.error(
                        request, "；".join(m for ms in oform.errors.values() for m in ms)
                    )
                return redirect(reverse("emergency_list:entry", args=[pk]) + f"#m-{measure.pk}")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            if request.POST.get("action") != "entry":
                return redirect("emergency_list:entry", pk=pk)
    entry = entry_get(viewer=user, pk=pk)
    rows = []
    for ep in entry.processes.all():
        by_level = {m.level: m for m in ep.measures.all()}
        rows.append({"ep": ep, "measures": [by_level.get(level) for level in PRINT_ORDER]})
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
            "events": event_list_for(entry)[:50],
        },
    )


def _documents(entry) -> list[dict]:
    from emergency_list.services.documents import documents_list

    out = []
    for kind, names in documents_list(entry).items():
        for i, name in enumerate(names):
            out.append({"kind": kind, "index": i, "name": name.rsplit("/", 1)[-1]})
    return out


@login_required
def ratio_page(request):
    user: User = request.user
    _require_bureau(user)
    year = _year(request)
    scope = _scope(request, user)
    results = ratio_check(scope=scope, year=year)
    charts = {}
    try:
        from emergency_list.services.alerts import ratio_chart_svg
    except ImportError:  # pragma: no cover - the chart helper ships with the alert module
        ratio_chart_svg = None
    if ratio_chart_svg:
        for level in PRINT_ORDER:
            charts[level] = ratio_chart_svg(results[level], f"{scope.name} {year}")
    return render(
        request,
        "emergency_list/ratio.html",
        {
            "scope": scope,
            "year": year,
            "results": [(level, results[level], charts.get(level)) for level in PRINT_ORDER],
        },
    )


def _alert_cities(user: User):
    if user.role in (User.Role.PROVINCE, User.Role.ADMIN):
        return Region.objects.filter(level=Region.Level.CITY).order_by("code")
    if user.role == User.Role.CITY:
        return Region.objects.filter(pk=user.region_id)
    return Region.objects.none()


@login_required
@require_http_methods(["GET", "POST"])
def alerts(request):
    """Call (simulate) an alert for a set of cities and look at past ones."""
    from emergency_list.models import Alert
    from emergency_list.services.alerts import alert_call

    user: User = request.user
    _require_bureau(user)
    cities = _alert_cities(user)
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
    if request.method == "POST" and form.is_valid():
        try:
            alert = alert_call(
                actor=user,
                **{
                    k: form.cleaned_data[k] for k in ("level", "start_on", "end_on", "year", "note")
                },
                cities=list(form.cleaned_data["cities"]),
            )
            return redirect("emergency_list:alert", pk=alert.pk)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, "；".join(getattr(exc, "messages", [str(exc)])))
    visible = cities
    if user.role == User.Role.COUNTY and user.region:
        # A county reads its city's alerts (its own part of them).
        visible = Region.objects.filter(pk=user.region.parent_id or user.region_id)
    past = Alert.objects.filter(cities__in=visible).distinct().select_related("called_by")[:50]
    return render(
        request,
        "emergency_list/alerts.html",
        {"form": form, "past": past, "can_call": cities.exists()},
    )


def _alert_for(user: User, pk: int):
    from emergency_list.models import Alert

    alert = get_object_or_404(Alert.objects.prefetch_related("cities"), pk=pk)
    mine = _alert_cities(user)
    if user.role == User.Role.COUNTY:
        mine = (
            Region.objects.filter(pk=user.region.parent_id)
            if user.region.parent_id
            else Region.objects.filter(pk=user.region_id)
        )
    if not alert.cities.filter(pk__in=mine).exists():
        from django.http import Http404

        raise Http404
    return alert


@login_required
def alert_detail(request, pk: int):
    from emergency_list.services.alerts import alert_chart_svg

    user: User = request.user
    _require_bureau(user)
    alert = _alert_for(user, pk)
    results = dict(alert.results)
    duties = results.get("duties", [])
    if user.role == User.Role.COUNTY:
        # A county sees its own county's part of the alert (jurisdiction).
        code = user.region.code
        results["counties"] = [c for c in results.get("counties", []) if c["code"] == code]
        duties = [d for d in duties if d.get("county_code") == code]
    page = Paginator(duties, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "emergency_list/alert.html",
        {
            "alert": alert,
            "r": results,
            "chart": alert_chart_svg(alert),
            "page": page,
        },
    )


@login_required
def alert_export_view(request, pk: int):
    import tempfile
    from pathlib import Path

    from django.http import FileResponse

    from emergency_list.services.alerts import alert_export

    user: User = request.user
    if user.role not in (User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN):
        raise PermissionDenied
    alert = _alert_for(user, pk)
    tmp = Path(tempfile.mkdtemp()) / f"alert-{alert.pk}.xlsx"
    alert_export(alert, tmp)
    return FileResponse(
        tmp.open("rb"),
        as_attachment=True,
        filename=f"预警模拟-{alert.get_level_display()}-{alert.start_on}.xlsx",
    )


@login_required
@require_POST
def entry_documents_request(request, pk: int):
    from emergency_list.services.documents import documents_request

    entry = entry_get(viewer=request.user, pk=pk)
    try:
        documents_request(actor=request.user, entry=entry)
        messages.success(request, _("正在生成一厂一策方案和公示牌，稍后刷新本页下载"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    return redirect(reverse("emergency_list:entry", args=[pk]) + "#documents")


@login_required
def entry_document_download(request, pk: int, kind: str, index: int):
    """A stored plan or signboard of the entry; reachable only through the entry's scope."""
    from django.core.files.storage import default_storage
    from django.http import FileResponse, Http404

    from emergency_list.services.documents import documents_list

    entry = entry_get(viewer=request.user, pk=pk)
    names = documents_list(entry).get(kind) or []
    if index >= len(names):
        raise Http404
    label = "一厂一策" if kind == "plan" else "公示牌"
    response = FileResponse(
        default_storage.open(names[index], "rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"{entry.enterprise.name}-{entry.year}-{label}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _jobs_for(user: User):
    from django.db.models import Q

    from emergency_list.models import ExcelJob

    units = county_units_for(user)
    qs = ExcelJob.objects.select_related("region", "requested_by")
    if user.role in (User.Role.PROVINCE, User.Role.ADMIN):
        return qs
    mine = Q(requested_by=user)
    return qs.filter(mine | Q(region__in=units))


@login_required
@require_http_methods(["GET", "POST"])
def excel(request):
    """Export the list in the layout bureaus submit upward; import a county's workbook."""
    from emergency_list.services.jobs import export_request, import_upload

    user: User = request.user
    _require_bureau(user)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            year = int(request.POST.get("year") or today.year)
            region = get_object_or_404(Region, code=request.POST.get("region", ""))
            if request.POST.get("action") == "export":
                job = export_request(actor=user, region=region, year=year)
                messages.success(request, _("导出任务已提交"))
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise ValidationError(_("请选择要导入的Excel文件"))
                job = import_upload(actor=user, county=region, year=year, upload=upload)
                messages.success(request, _("文件已上传，正在逐行校验"))
            return redirect("emergency_list:job", pk=job.pk)
        except ValueError:
            messages.error(request, _("年度格式不正确"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    scopes = []
    if user.region is not None:
        scopes.append(user.region)
    if user.role in (User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN):
        scopes += list(county_units_for(user).order_by("code")[:300])
    return render(
        request,
        "emergency_list/excel.html",
        {
            "jobs": _jobs_for(user)[:30],
            "scopes": scopes,
            "year": today.year,
            "counties": county_units_for(user).order_by("code")[:300],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def job_detail(request, pk: int):
    from emergency_list.services.jobs import import_confirm

    user: User = request.user
    _require_bureau(user)
    job = get_object_or_404(_jobs_for(user), pk=pk)
    if request.method == "POST":
        try:
            import_confirm(actor=user, job=job)
            messages.success(request, _("已确认导入，正在后台处理"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("emergency_list:job", pk=pk)
    template = "emergency_list/_job_status.html" if request.htmx else "emergency_list/job.html"
    return render(request, template, {"job": job, "report": job.report or {}})


@login_required
def job_download(request, pk: int):
    from django.http import FileResponse, HttpResponse

    user: User = request.user
    _require_bureau(user)
    job = get_object_or_404(_jobs_for(user), pk=pk)
    if job.status != job.Status.READY or not job.file:
        return HttpResponse(
            _("文件尚未生成完成"), status=409, content_type="text/plain; charset=utf-8"
        )
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"{job.region.name}{job.year}年应急减排清单.xlsx",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Checksum-SHA256"] = job.sha256
    return response
