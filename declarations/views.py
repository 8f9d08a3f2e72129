"""Pages of the declarations app: thin — validate, call a service or selector, present."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for
from core.forms import add_service_errors
from declarations import forms as dforms
from declarations.models import Batch, Declaration, DeclarationVersion, Evidence, IndicatorRow
from declarations.selectors import declaration_get, declaration_list, evidence_get, version_get
from declarations.services import drafting, lifecycle
from declarations.services.batches import batch_save
from declarations.services.checks import declaration_check
from declarations.services.rendering import package_rerender
from declarations.texts import reduction_commitment, truth_commitment
from grading.models import Equipment, Process, ProductionLine, User
from grading.services import lines as line_services

STEPS = [
    ("application", _("申请表")),
    ("commitments", _("承诺书")),
    ("basic", _("企业基本情况")),
    ("lines", _("生产线与工序")),
    ("production", _("产品及产能")),
    ("materials", _("原辅材料及能源")),
    ("transport", _("运输及车辆")),
    ("facilities", _("污染治理设施")),
    ("indicators", _("指标对标及证明材料")),
]
TABLE_OF_STEP = {
    "production": ["products"],
    "materials": ["materials"],
    "transport": ["transport", "vehicles"],
    "facilities": ["facilities"],
}


def _editable_or_redirect(request, declaration):
    if not declaration.is_editable or request.user.role != User.Role.ENTERPRISE:
        messages.error(
            request, _("申报当前状态为“%s”，不能修改") % declaration.get_status_display()
        )
        return redirect("declarations:detail", pk=declaration.pk)
    return None


def _context(declaration, step, **extra):
    return {"declaration": declaration, "steps": STEPS, "step": step, **extra}


@login_required
def declaration_index(request):
    user: User = request.user
    qs = declaration_list(viewer=user, status=request.GET.get("status", ""))
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "declarations/list.html",
        {
            "page": page,
            "statuses": Declaration.Status.choices,
            "can_create": user.role == User.Role.ENTERPRISE and user.enterprise_id,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_new(request):
    user: User = request.user
    if user.role != User.Role.ENTERPRISE or not user.enterprise_id:
        raise PermissionDenied
    form = dforms.DeclarationCreateForm(request.POST or None, enterprise=user.enterprise)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = drafting.declaration_create(
                actor=user, enterprise=user.enterprise, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("申报已创建，请逐项填写"))
            return redirect("declarations:detail", pk=declaration.pk)
    return render(request, "declarations/new.html", {"form": form})


@login_required
def declaration_detail(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    issues = (
        declaration_check(declaration, on=timezone.localdate()) if declaration.is_editable else []
    )
    by_section = defaultdict(list)
    for issue in issues:
        by_section[issue.section].append(issue)
    table_sections = {"products": "production", "vehicles": "transport"}
    steps = [
        {
            "key": key,
            "label": label,
            "issues": by_section.get(key, [])
            + (by_section.get("rectification", []) if key == "indicators" else []),
        }
        for key, label in STEPS
    ]
    return render(
        request,
        "declarations/detail.html",
        {
            "declaration": declaration,
            "steps": steps,
            "eligibility": by_section.get("eligibility", []),
            "issues": issues,
            "versions": declaration.versions.all(),
            "events": event_list_for(declaration)[:100],
            "is_owner": request.user.role == User.Role.ENTERPRISE,
            "table_sections": table_sections,
            "review_cases": declaration.review_cases.select_related(
                "version", "final_grade"
            ).order_by("-opened_at"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_section(request, pk: int, step: str):
    declaration = declaration_get(viewer=request.user, pk=pk)
    if redirect_response := _editable_or_redirect(request, declaration):
        return redirect_response
    form_class = {"application": dforms.ApplicationForm, "basic": dforms.BasicForm}.get(step)
    extra = {}
    if step == "commitments":
        form = dforms.CommitmentsForm(
            request.POST or None,
            initial={
                "truth_commitment_by": declaration.truth_commitment_by
                or declaration.enterprise.legal_representative,
                "truth_commitment_on": declaration.truth_commitment_on or timezone.localdate(),
                "reduction_commitment_by": declaration.reduction_commitment_by
                or declaration.enterprise.legal_representative,
                "reduction_commitment_on": declaration.reduction_commitment_on
                or timezone.localdate(),
                "truth_confirm": bool(declaration.truth_commitment_by),
                "reduction_confirm": bool(declaration.reduction_commitment_by),
            },
        )
        city = declaration.enterprise.county.city
        extra = {
            "truth_text": truth_commitment(
                city=city.name if city else "",
                year=declaration.year,
                industry=declaration.industry.name,
                grade=declaration.requested_grade.name,
            ),
            "reduction_text": reduction_commitment(
                industry=declaration.industry.name, grade=declaration.requested_grade.name
            ),
        }
    elif form_class:
        form = form_class(request.POST or None, instance=declaration)
    else:
        raise Http404
    if request.method == "POST" and form.is_valid():
        data = (
            form.data_for_service()
            if step == "commitments"
            else {k: form.cleaned_data[k] for k in form.Meta.fields}
        )
        try:
            drafting.declaration_update(actor=request.user, declaration=declaration, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("declarations:detail", pk=declaration.pk)
    return render(
        request, "declarations/section.html", _context(declaration, step, form=form, **extra)
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_tables(request, pk: int, step: str):
    """Tabular parts: products, materials, transport with vehicles, facilities."""
    declaration = declaration_get(viewer=request.user, pk=pk)
    if redirect_response := _editable_or_redirect(request, declaration):
        return redirect_response
    tables = TABLE_OF_STEP.get(step)
    if not tables:
        raise Http404
    formsets = {}
    for table in tables:
        model = drafting.TABLES[table]
        fields = list(dforms.TABLE_FORMS[table].base_fields)
        initial = [
            {f: getattr(o, f) for f in fields}
            for o in model.objects.filter(declaration=declaration)
        ]
        formsets[table] = dforms.table_formset(
            table, declaration=declaration, data=request.POST or None, initial=initial
        )
    errors = []
    if request.method == "POST" and all(fs.is_valid() for fs in formsets.values()):
        try:
            for table, fs in formsets.items():
                drafting.declaration_table_replace(
                    actor=request.user,
                    declaration=declaration,
                    table=table,
                    rows=dforms.formset_rows(fs),
                )
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("已保存"))
            return redirect("declarations:detail", pk=declaration.pk)
    return render(
        request,
        "declarations/tables.html",
        _context(
            declaration,
            step,
            formsets=[(drafting.TABLES[t]._meta.verbose_name, fs) for t, fs in formsets.items()],
            errors=errors,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_lines(request, pk: int):
    """The enterprise's lines, processes and equipment (master data), edited from here."""
    declaration = declaration_get(viewer=request.user, pk=pk)
    if redirect_response := _editable_or_redirect(request, declaration):
        return redirect_response
    enterprise = declaration.enterprise
    errors = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        p = request.POST
        try:
            if action == "add_line":
                line_services.production_line_save(
                    actor=request.user,
                    enterprise=enterprise,
                    data={
                        "name": p.get("name", "").strip(),
                        "products": p.get("products", "").strip(),
                        "design_capacity": p.get("design_capacity") or None,
                        "capacity_unit": p.get("capacity_unit", "").strip(),
                    },
                )
            elif action == "add_process":
                line = get_object_or_404(ProductionLine, pk=p.get("line"), enterprise=enterprise)
                line_services.process_save(
                    actor=request.user,
                    line=line,
                    data={
                        "name": p.get("name", "").strip(),
                        "is_air_emitting": p.get("is_air_emitting") == "on",
                    },
                )
            elif action == "add_equipment":
                process = get_object_or_404(
                    Process, pk=p.get("process"), line__enterprise=enterprise
                )
                line_services.equipment_save(
                    actor=request.user,
                    process=process,
                    data={
                        "name": p.get("name", "").strip(),
                        "model": p.get("model", "").strip(),
                        "quantity": p.get("quantity") or 1,
                        "capacity": p.get("capacity") or None,
                        "capacity_unit": p.get("capacity_unit", "").strip(),
                    },
                )
            elif action in ("remove_line", "remove_process", "remove_equipment"):
                model = {
                    "remove_line": ProductionLine,
                    "remove_process": Process,
                    "remove_equipment": Equipment,
                }[action]
                scope = {
                    "remove_line": "enterprise",
                    "remove_process": "line__enterprise",
                    "remove_equipment": "process__line__enterprise",
                }[action]
                obj = get_object_or_404(model, pk=p.get("id"), **{scope: enterprise})
                line_services.master_data_remove(actor=request.user, obj=obj)
            else:
                raise Http404
        except ValidationError as exc:
            errors = [
                f"{k}: {m}" if k != "__all__" else m
                for k, ms in getattr(exc, "message_dict", {"__all__": exc.messages}).items()
                for m in ms
            ]
        else:
            messages.success(request, _("已保存"))
            return redirect("declarations:lines", pk=declaration.pk)
    lines = enterprise.lines.prefetch_related("processes__equipment")
    return render(
        request,
        "declarations/lines.html",
        _context(declaration, "lines", lines=lines, errors=errors),
    )


@login_required
def declaration_indicators(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    editable = declaration.is_editable and request.user.role == User.Role.ENTERPRISE
    rows = declaration.indicator_rows.select_related("category").prefetch_related("evidence")
    items = [
        {
            "row": row,
            "form": dforms.IndicatorRowForm(instance=row, prefix=f"r{row.pk}")
            if editable
            else None,
            "evidence": [e for e in row.evidence.all() if e.is_current],
            "replaced": [e for e in row.evidence.all() if not e.is_current],
        }
        for row in rows
    ]
    others = declaration.evidence.filter(indicator_row__isnull=True).select_related("replaced_by")
    return render(
        request,
        "declarations/indicators.html",
        _context(
            declaration,
            "indicators",
            items=items,
            others=others,
            editable=editable,
            upload_form=dforms.EvidenceForm(),
        ),
    )


@login_required
@require_POST
def indicator_row_save(request, pk: int, row_pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    row = get_object_or_404(IndicatorRow, pk=row_pk, declaration=declaration)
    form = dforms.IndicatorRowForm(
        request.POST, instance=IndicatorRow.objects.get(pk=row.pk), prefix=f"r{row.pk}"
    )
    if form.is_valid():
        try:
            drafting.indicator_row_update(
                actor=request.user, row=row, **{k: form.cleaned_data[k] for k in form.Meta.fields}
            )
            messages.success(request, _("“%s”已保存") % row.category.name)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, _("“%s”未保存：请检查填写内容") % row.category.name)
    return redirect(reverse("declarations:indicators", args=[pk]) + f"#row-{row.pk}")


@login_required
@require_POST
def evidence_add(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    form = dforms.EvidenceForm(request.POST, request.FILES)
    target = reverse("declarations:indicators", args=[pk])
    if not form.is_valid():
        messages.error(
            request, _("上传失败：") + "；".join(m for ms in form.errors.values() for m in ms)
        )
        return redirect(target)
    d = form.cleaned_data
    row = (
        get_object_or_404(IndicatorRow, pk=d["indicator_row"], declaration=declaration)
        if d.get("indicator_row")
        else None
    )
    replaces = (
        get_object_or_404(Evidence, pk=d["replaces"], declaration=declaration)
        if d.get("replaces")
        else None
    )
    try:
        evidence = drafting.evidence_upload(
            actor=request.user,
            declaration=declaration,
            upload=d["file"],
            title=d["title"],
            section=d["section"],
            indicator_row=row,
            replaces=replaces,
            is_confidential=d["is_confidential"],
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("上传失败：") + "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("已上传：%s") % evidence.title)
    return redirect(target + (f"#row-{row.pk}" if row else ""))


@login_required
def evidence_download(request, pk: int):
    """Evidence is served only here, after the same scoping as its declaration."""
    evidence = evidence_get(viewer=request.user, pk=pk)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=evidence.kind not in ("pdf", "jpeg", "png"),
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def declaration_submit(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    if redirect_response := _editable_or_redirect(request, declaration):
        return redirect_response
    form = dforms.SubmitForm(
        request.POST or None, initial={"rectification": declaration.rectification}
    )
    issues = []
    if request.method == "POST" and form.is_valid():
        try:
            version = lifecycle.declaration_submit(
                actor=request.user,
                declaration=declaration,
                rectification=form.cleaned_data["rectification"],
            )
        except lifecycle.SubmissionRefused as exc:
            issues = exc.issues
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("申报已提交（第%d版），已送县级生态环境部门初审") % version.number
            )
            return redirect("declarations:version", pk=pk, number=version.number)
    else:
        issues = declaration_check(declaration, on=timezone.localdate())
    return render(
        request,
        "declarations/submit.html",
        _context(
            declaration,
            "submit",
            form=form,
            issues=issues,
            returned=declaration.status == Declaration.Status.RETURNED,
        ),
    )


@login_required
@require_POST
def declaration_withdraw(request, pk: int):
    declaration = declaration_get(viewer=request.user, pk=pk)
    form = dforms.ReasonForm(request.POST)
    form.is_valid()
    try:
        lifecycle.declaration_withdraw(
            actor=request.user, declaration=declaration, reason=form.cleaned_data.get("reason", "")
        )
        messages.success(request, _("申报已撤回，可继续修改后重新提交"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    return redirect("declarations:detail", pk=pk)


@login_required
def version_detail(request, pk: int, number: int):
    version = version_get(viewer=request.user, declaration_pk=pk, number=number)
    return render(
        request,
        "declarations/version.html",
        {
            "version": version,
            "declaration": version.declaration,
            "snap": version.snapshot,
        },
    )


@login_required
def version_package_status(request, pk: int, number: int):
    """The package's progress, polled by the version page (htmx) until it is ready."""
    version = version_get(viewer=request.user, declaration_pk=pk, number=number)
    if request.method == "POST":
        try:
            version = package_rerender(actor=request.user, version=version)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
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
    response = FileResponse(
        version.package_file.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"{version.declaration.number}-第{version.number}版申报材料.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Checksum-SHA256"] = version.package_sha256
    return response


@login_required
def batch_list(request):
    """R-TGT-4: the year's batches and deadlines; the province edits them."""
    batches = Batch.objects.prefetch_related("categories").order_by("-year", "deadline")
    return render(
        request,
        "declarations/batches.html",
        {
            "batches": batches,
            "can_edit": request.user.role in (User.Role.PROVINCE, User.Role.ADMIN),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def batch_edit(request, pk: int | None = None):
    if request.user.role not in (User.Role.PROVINCE, User.Role.ADMIN):
        raise PermissionDenied
    batch = get_object_or_404(Batch, pk=pk) if pk else None
    form = dforms.BatchForm(request.POST or None, instance=batch)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            batch_save(actor=request.user, data=data, batch=batch or Batch())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("批次已保存"))
            return redirect("declarations:batches")
    return render(request, "declarations/batch_form.html", {"form": form, "batch": batch})
