"""Staff pages of notices (公示): the bureau's overview, opening a notice, a notice with its
objections, handling an objection, and publishing after the window."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for
from core.forms import add_service_errors, error_text
from grading.models import Grade, GradeRecord
from grading.selectors import indicator_set_in_force
from publication import forms as pforms
from publication.rules import allows, issuer_for, refusal
from publication.selectors import notices as selectors
from publication.selectors.lists import version_list
from publication.services import notices as services
from publication.services.lists import pending_changes


def _issuer_or_403(user):
    mine = issuer_for(user)
    if mine is None or not allows(user, "publication.manage_notices", mine[0]):
        raise PermissionDenied(refusal(user, "publication.manage_notices"))
    return mine


@login_required
def notices(request):
    """The bureau's notices, what waits to be noticed and its published list."""
    issuer, tier = _issuer_or_403(request.user)
    page = Paginator(selectors.notice_list(viewer=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "publication/notices.html",
        {
            "issuer": issuer,
            "tier": tier,
            "page": page,
            "today": timezone.localdate(),
            "waiting": selectors.candidates_for(viewer=request.user).count(),
            "changes": pending_changes(issuer=issuer, tier=tier),
            "versions": version_list(issuer=issuer, tier=tier)[:10],
            "can_designate": allows(request.user, "publication.view_handlers"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request):
    """Choose decided results waiting for notice and the length of the window."""
    issuer, tier = _issuer_or_403(request.user)
    candidates = selectors.candidates_for(viewer=request.user)
    shown = list(candidates[:1000])
    form = pforms.NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = [c for c in request.POST.getlist("records") if c.isdigit()]
        everything = request.POST.get("all") == "1"
        try:
            notice = services.notice_open(
                actor=request.user,
                records=None if everything else list(GradeRecord.objects.filter(pk__in=chosen)),
                workdays_count=form.cleaned_data["workdays"],
                title=form.cleaned_data["title"],
                statement=form.cleaned_data["statement"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("已发起公示 %(number)s（%(start)s至%(end)s）")
                % {"number": notice.number, "start": notice.starts_on, "end": notice.ends_on},
            )
            return redirect("publication:notice", pk=notice.pk)
    return render(
        request,
        "publication/notice_new.html",
        {
            "issuer": issuer,
            "form": form,
            "candidates": shown,
            "total": candidates.count(),
            "chosen": set(request.POST.getlist("records")) if request.method == "POST" else None,
        },
    )


@login_required
def notice_detail(request, pk: int):
    notice = selectors.notice_get(viewer=request.user, pk=pk)
    objections = list(selectors.objection_list(viewer=request.user, notice=notice))
    return render(
        request,
        "publication/notice.html",
        {
            "notice": notice,
            "items": selectors.notice_items(notice=notice),
            "objections": objections,
            "sees_objectors": allows(request.user, "publication.handle_objection", notice),
            "can_publish": notice.status == "noticed"
            and notice.window_over()
            and allows(request.user, "publication.publish_list", notice),
            "publish_form": pforms.PublishForm(),
            "events": event_list_for(notice)[:30],
        },
    )


@login_required
@require_POST
def notice_publish(request, pk: int):
    notice = selectors.notice_get(viewer=request.user, pk=pk)
    form = pforms.PublishForm(request.POST)
    form.is_valid()
    try:
        notice = services.notice_publish(
            actor=request.user, notice=notice, note=form.cleaned_data.get("note", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        if notice.version:
            messages.success(request, _("已发布名单第%(n)d版") % {"n": notice.version.number})
        else:
            messages.success(request, _("公示已办结；名单内容没有变化，未生成新版本"))
    return redirect("publication:notice", pk=pk)


def _grades_for(objection) -> list:
    indicator_set = indicator_set_in_force(
        industry=objection.item.industry, on=timezone.localdate()
    )
    if indicator_set is None:
        return Grade.objects.all()
    return indicator_set.scheme.grades.order_by("severity", "code")


@login_required
@require_http_methods(["GET", "POST"])
def objection_detail(request, pk: int):
    """An objection; its handling (and who lodged it) for the designated handlers only."""
    objection = selectors.objection_get(viewer=request.user, pk=pk)
    can_handle = allows(request.user, "publication.handle_objection", objection)
    form = None
    if can_handle and objection.status == "open":
        form = pforms.ObjectionHandleForm(request.POST or None, grades=_grades_for(objection))
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(refusal(request.user, "publication.handle_objection"))
        if form.is_valid():
            try:
                services.objection_handle(
                    actor=request.user,
                    objection=objection,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    new_grade=form.cleaned_data["new_grade"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("已记录处理结果"))
                return redirect("publication:objection", pk=pk)
    return render(
        request,
        "publication/objection.html",
        {"objection": objection, "sees_objector": can_handle, "form": form},
    )
