from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.audit import event_list_for
from core.forms import add_service_errors, error_text
from core.hooks import collect
from core.jobs import broker_check
from core.models import Notification
from core.notifications import unread_for
from core.pagination import IdsFirstPaginator
from grading import selectors
from grading.forms import (
    AuditFilterForm,
    EnterpriseFilterForm,
    EnterpriseForm,
    IndustryFormSet,
    RegistrationDecisionForm,
    RegistrationForm,
    ViolationForm,
    ViolationRevokeForm,
)
from grading.indicator_texts import requirement_display
from grading.models import (
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    User,
)
from grading.rules import allows
from grading.services import accounts as account_services
from grading.services import enterprises as enterprise_services
from grading.services import violations as violation_services
from grading.services.grades import enterprise_managed_grade


def _require_perm(user: User, perm: str, obj=None) -> None:
    if not allows(user, perm, obj):
        raise PermissionDenied


def healthz(request):
    """What a load balancer asks: 200 while the database answers, 503 when it does not. The
    broker's state is reported but does not fail the check: pages serve without it, and only
    starting background work waits for it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    try:
        broker_check()
        broker = "ok"
    except ValidationError:
        broker = "unavailable"
    return HttpResponse(f"ok\ndatabase ok\nbroker {broker}\n", content_type="text/plain")


@login_required
def home(request):
    return redirect("inbox")


@login_required
def inbox(request):
    """What waits for the user, oldest first: the sections every stage registers."""
    user: User = request.user
    notices = Notification.objects.filter(recipient=user).order_by("-created_at")[:20]
    return render(
        request,
        "grading/inbox.html",
        {
            "sections": collect("inbox_sections", user),
            "notices": notices,
            "unread": unread_for(user).count(),
        },
    )


@login_required
@require_http_methods(["POST"])
def notifications_read(request):
    unread_for(request.user).update(read_at=timezone.now())
    return redirect("inbox")


@login_required
def enterprise_list(request):
    user: User = request.user
    if allows(user, "grading.view_own_enterprise"):
        return redirect("enterprise-detail", pk=user.enterprise_id)
    _require_perm(user, "grading.list_enterprises")
    counties = selectors.county_choices_for(viewer=user)
    form = EnterpriseFilterForm(request.GET or None, counties=counties)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.enterprise_list(
        viewer=user,
        search=filters.get("q") or "",
        county=filters.get("county"),
        industry=filters.get("industry"),
        grade=filters.get("grade") or "",
        status=filters.get("status") or "",
    )
    page = IdsFirstPaginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grading/enterprise_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": allows(user, "grading.add_enterprise"),
        },
    )


@login_required
def enterprise_detail(request, pk: int):
    user: User = request.user
    enterprise = selectors.enterprise_get(viewer=user, pk=pk)
    records = enterprise.grade_records.select_related("industry", "grade", "recorded_by")
    return render(
        request,
        "grading/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "managed_grade": enterprise_managed_grade(enterprise),
            "grade_records": records,
            "events": event_list_for(enterprise)[:50],
            "can_edit": allows(user, "grading.change_enterprise", enterprise),
            "can_view_violations": allows(user, "grading.view_violations", enterprise),
            "violations": selectors.violation_list(viewer=user, enterprise=enterprise),
            "integrity": selectors.integrity_record(viewer=user, enterprise=enterprise),
            "can_record_violation": allows(user, "grading.record_violation", enterprise),
            "can_revoke_violation": allows(user, "grading.revoke_violation", enterprise),
            "violation_form": ViolationForm(),
            # Sections the stages above add (a pending change report, R-ELIG-5).
            "sections": collect("enterprise_sections", user, enterprise),
        },
    )


@login_required
@require_http_methods(["POST"])
def violation_add(request, pk: int):
    enterprise = selectors.enterprise_get(viewer=request.user, pk=pk)
    form = ViolationForm(request.POST)
    if form.is_valid():
        try:
            violation_services.violation_record_add(
                actor=request.user, enterprise=enterprise, data=form.cleaned_data
            )
            messages.success(request, _("违法违规记录已登记"))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    else:
        messages.error(request, _("未登记：") + error_text(form))
    return redirect(reverse("enterprise-detail", args=[pk]) + "#violations")


@login_required
@require_http_methods(["POST"])
def violation_revoke(request, pk: int, record_pk: int):
    enterprise = selectors.enterprise_get(viewer=request.user, pk=pk)
    record = get_object_or_404(
        selectors.violation_list(viewer=request.user, enterprise=enterprise), pk=record_pk
    )
    form = ViolationRevokeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(error_text(form))
        violation_services.violation_revoke(
            actor=request.user, record=record, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("记录已撤销"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect(reverse("enterprise-detail", args=[pk]) + "#violations")


def _industry_initial(enterprise) -> list[dict]:
    return [
        {
            "industry": row.industry,
            "branch": row.branch,
            "so2_tpa": row.so2_tpa,
            "nox_tpa": row.nox_tpa,
            "pm_tpa": row.pm_tpa,
            "vocs_tpa": row.vocs_tpa,
        }
        for row in enterprise.industries.all()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request, pk: int | None = None):
    user: User = request.user
    enterprise = selectors.enterprise_get(viewer=user, pk=pk) if pk else None
    _require_perm(
        user, "grading.change_enterprise" if enterprise else "grading.add_enterprise", enterprise
    )
    counties = selectors.county_choices_for(viewer=user)
    form = EnterpriseForm(request.POST or None, instance=enterprise, counties=counties)
    formset = IndustryFormSet(
        request.POST or None,
        prefix="ind",
        initial=_industry_initial(enterprise) if enterprise else None,
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = {k: form.cleaned_data[k] for k in form.Meta.fields}
        try:
            if enterprise is None:
                enterprise = enterprise_services.enterprise_create(
                    actor=user, data=data, industries=formset.entries()
                )
                messages.success(request, _("企业已登记"))
            else:
                enterprise_services.enterprise_update(
                    actor=user, enterprise=enterprise, data=data, industries=formset.entries()
                )
                messages.success(request, _("企业信息已保存"))
            return redirect("enterprise-detail", pk=enterprise.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "grading/enterprise_form.html",
        {"form": form, "formset": formset, "enterprise": enterprise},
    )


@require_http_methods(["GET", "POST"])
def register(request):
    """Enterprise self-registration with its USCC; the county approves it."""
    if request.user.is_authenticated:
        return redirect("inbox")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            account_services.registration_submit(
                username=d["username"],
                password=d["password1"],
                uscc=d["uscc"],
                enterprise_name=d["enterprise_name"],
                county=d["county"],
                industry=d["industry"],
                contact_person=d["contact_person"],
                contact_mobile=d["contact_mobile"],
                address=d["address"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                exc.error_dict["password1"] = exc.error_dict.pop("password")
            elif not hasattr(exc, "error_dict"):
                exc = ValidationError({"password1": exc.messages})
            add_service_errors(form, exc)
        else:
            return render(request, "registration/register_done.html", {"county": d["county"]})
    return render(request, "registration/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def registration_decide(request, pk: int):
    registration = selectors.registration_get(viewer=request.user, pk=pk)
    form = RegistrationDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                account_services.registration_approve(
                    actor=request.user,
                    registration=registration,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("已通过注册申请，企业账户已启用"))
            else:
                account_services.registration_reject(
                    actor=request.user,
                    registration=registration,
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("已驳回注册申请"))
            return redirect("inbox")
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "grading/registration_decide.html",
        {"registration": registration, "form": form, "events": event_list_for(registration)},
    )


@login_required
def industry_list(request):
    industries = (
        Industry.objects.filter(is_active=True)
        .select_related("category")
        .annotate(n_sets=Count("indicator_sets"))
    )
    return render(request, "grading/industry_list.html", {"industries": industries})


@login_required
def industry_detail(request, code: str):
    industry = get_object_or_404(Industry, code=code, is_active=True)
    sets = (
        IndicatorSet.objects.filter(industry=industry)
        .select_related("guideline_version", "scheme")
        .prefetch_related(
            "scheme__grades",
            Prefetch(
                "requirements",
                queryset=IndicatorRequirement.objects.select_related("category", "grade"),
            ),
        )
        .order_by("-effective_from")
    )
    tables = []
    for s in sets:
        grades = s.scheme.ordered_grades()
        rows: dict = {}
        for req in s.requirements.all():
            key = (req.category.seq, req.seq, req.category.name)
            rows.setdefault(
                key, {"category": req.category, "cells": {}, "notes": set(), "verbatim": True}
            )
            rows[key]["cells"][req.grade.code] = req.text
            rows[key]["verbatim"] &= req.verbatim
            if req.note:
                rows[key]["notes"].add(req.note)
        table = [
            {**row, "texts": [requirement_display(row["cells"].get(g.code)) for g in grades]}
            for _, row in sorted(rows.items(), key=lambda kv: kv[0][:2])
        ]
        tables.append({"set": s, "grades": grades, "rows": table})
    return render(request, "grading/industry_detail.html", {"industry": industry, "tables": tables})


@login_required
def audit_trail(request):
    """The audit trail with filters (三员分立: the audit administrator reads all of it, the
    security administrator its account-security events)."""
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_event_list(
        viewer=request.user, **{k: v for k, v in filters.items() if v}
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "grading/audit_trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
