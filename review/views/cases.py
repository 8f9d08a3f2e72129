"""Pages of review cases: each role's queue, the case page with the actions of its stage
(decision, expert panel, on-site record), rectifications, approval forms and on-site photos."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for
from core.downloads import file_download
from core.forms import error_text
from declarations.models import Declaration
from declarations.selectors import declaration_get
from review import forms as rforms
from review.deadlines import county_due
from review.models import ApprovalForm, ReviewCase
from review.rules import allows, refusal
from review.selectors import cases as selectors
from review.selectors.experts import panel_candidates
from review.services import decisions, onsite, panels
from review.services.forms import approval_form_rerequest, form_title
from review.services.guarantee import guarantee_county_due
from review.views.guarantee import co_review_context

#: The permission behind each action of the case page.
ACTION_PERMS = {
    "decide": "review.sign_opinion",
    "panel": "review.assign_panel",
    "onsite": "review.record_onsite",
}


@login_required
def queue(request):
    """Each role's inbox of cases, oldest first, with its deadline; overdue items flagged."""
    user = request.user
    today = timezone.localdate()
    waiting = [
        {
            "declaration": d,
            "due": guarantee_county_due(d.year)
            if d.control_type == Declaration.ControlType.GUARANTEE
            else county_due(timezone.localdate(d.submitted_at)),
        }
        for d in selectors.submissions_waiting(viewer=user)
    ]
    page = Paginator(selectors.queue_cases(viewer=user), 50).get_page(request.GET.get("page"))
    rows = []
    for case in page:
        due = case.county_due if case.stage == ReviewCase.Stage.COUNTY else case.city_due
        rows.append({"case": case, "due": due, "overdue": bool(due and due < today)})
    return render(
        request,
        "review/queue.html",
        {
            "receives_submissions": allows(user, "declarations.receive_submissions"),
            "sees_yearly_lists": allows(user, "review.view_guarantee_lists"),
            "waiting": waiting,
            "rows": rows,
            "page": page,
            "today": today,
            "overdue_waiting": sum(1 for w in waiting if w["due"] < today),
        },
    )


@login_required
@require_POST
def case_open(request, declaration_pk: int):
    declaration = declaration_get(viewer=request.user, pk=declaration_pk)
    try:
        case = decisions.first_review_open(actor=request.user, declaration=declaration)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect("review:queue")
    if case.stage == ReviewCase.Stage.RETURNED:
        messages.error(request, _("资格复核未通过，申报已退回企业"))
        return redirect("review:case", pk=case.pk)
    messages.success(request, _("已受理，开始初审"))
    return redirect("review:case", pk=case.pk)


def _action_forms(request, case: ReviewCase, rows: list, action: str) -> dict:
    """The forms of the actions the viewer may take on the case now, the submitted one bound."""

    def data(name: str):
        return request.POST if action == name else None

    user = request.user
    at_city = case.stage == ReviewCase.Stage.CITY
    forms = {"decide": None, "onsite": None, "panel": None, "decide_names": [], "onsite_names": []}
    if case.is_open and allows(user, "review.sign_opinion", case):
        forms["decide"] = rforms.DecisionForm(
            data("decide"),
            prefix="d",
            case=case,
            actor=user,
            signer_queryset=selectors.decision_signers(case=case),
        )
        if case.stage == ReviewCase.Stage.COUNTY:
            forms["decide_names"] = rforms.verdict_fields(forms["decide"], rows, "v")
    if at_city and hasattr(case, "panel") and allows(user, "review.record_onsite", case):
        forms["onsite"] = rforms.OnSiteForm(
            data("onsite"),
            request.FILES if action == "onsite" else None,
            prefix="o",
            case=case,
            actor=user,
            signer_queryset=selectors.onsite_signers(case=case),
        )
        forms["onsite_names"] = rforms.verdict_fields(forms["onsite"], rows, "f")
    if at_city and allows(user, "review.assign_panel", case):
        forms["panel"] = rforms.PanelForm(
            data("panel"), prefix="p", experts=panel_candidates(viewer=user, case=case)
        )
    return forms


def _act(request, case: ReviewCase, action: str, forms: dict) -> str:
    """Carry out the submitted action; the success message, or "" when the form is invalid."""
    user = request.user
    form = forms[action]
    if form is None:
        if not allows(user, ACTION_PERMS[action], case):
            raise PermissionDenied(refusal(user, ACTION_PERMS[action], case))
        return ""
    if not form.is_valid():
        return ""
    data = form.cleaned_data
    if action == "decide":
        decisions.review_sign(
            actor=user,
            case=case,
            decision=data["decision"],
            grade=data["grade"],
            summary=data["summary"],
            conclusion=data["conclusion"],
            signers=list(data["signers"]),
            verdicts=rforms.collect_verdicts(form, forms["decide_names"]),
        )
        return _("审核意见已签署")
    if action == "panel":
        panels.panel_assign(
            actor=user, case=case, experts=list(data["experts"]), leader=data["leader"]
        )
        return _("专家组已组建")
    onsite.onsite_record(
        actor=user,
        case=case,
        visited_on=data["visited_on"],
        recommended_grade=data["recommended_grade"],
        summary=data["summary"],
        conclusion=data["conclusion"],
        signers=list(data["signers"]),
        findings=rforms.collect_verdicts(form, forms["onsite_names"]),
        rectifications=data["rectifications"],
        photos=[(f, f.name) for f in request.FILES.getlist("photos")],
    )
    return _("现场核查意见已记录")


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request, pk: int):
    user = request.user
    case = selectors.case_get(viewer=user, pk=pk)
    rows = selectors.case_indicator_rows(case=case)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = _action_forms(request, case, rows, action)
    errors = []
    if action in ACTION_PERMS:
        try:
            done = _act(request, case, action, forms)
            if done:
                messages.success(request, done)
                return redirect("review:case", pk=case.pk)
            errors.append(_("请检查填写内容"))
        except ValidationError as exc:
            errors.append(error_text(exc))
        except PermissionDenied as exc:
            errors.append(error_text(exc) or _("无权执行此操作"))
        if forms[action] is None:
            action = ""  # no form to show the errors beside: they go at the top
    opinions = [
        (op, decisions.decision_label(op)) for op in selectors.declaration_opinions(case=case)
    ]
    return render(
        request,
        "review/case.html",
        {
            "case": case,
            "declaration": case.declaration,
            "rows": rows,
            "opinions": opinions,
            "decision_form": forms["decide"],
            "decision_names": forms["decide_names"],
            "onsite_form": forms["onsite"],
            "onsite_names": forms["onsite_names"],
            "panel_form": forms["panel"],
            "panel_problems": panels.panel_refusals(case=case) if hasattr(case, "panel") else [],
            "rectifications": selectors.declaration_rectifications(case=case),
            "can_report": allows(user, "review.report_rectification", case),
            "can_verify": allows(user, "review.verify_rectification", case),
            "can_rerender_forms": allows(user, "review.rerender_approval_form", case),
            "errors": errors,
            "error_action": action,
            "photos": selectors.declaration_photos(case=case),
            "evidence": selectors.case_evidence(case=case),
            "events": event_list_for(case.declaration)[:100],
            "other_cases": selectors.other_cases(case=case),
            "guarantee": co_review_context(user, case),
        },
    )


@login_required
@require_POST
def rectification_action(request, pk: int):
    """The enterprise reports its rectification; the panel or the city verifies it."""
    user = request.user
    rectification = selectors.rectification_get(viewer=user, pk=pk)
    case = rectification.verification.case
    form = rforms.NoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if allows(user, "review.report_rectification", case):
            onsite.rectification_report(
                actor=user,
                rectification=rectification,
                note=note,
                photos=request.FILES.getlist("photos"),
            )
        else:
            onsite.rectification_verify(actor=user, rectification=rectification, note=note)
        messages.success(request, _("已保存"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect(reverse("review:case", args=[case.pk]) + "#rectifications")


@login_required
def approval_form_download(request, form_pk: int):
    form = selectors.approval_form_get(viewer=request.user, pk=form_pk)
    if form.status != ApprovalForm.Status.READY or not form.file:
        return HttpResponse(
            _("%(title)s尚未生成完成") % {"title": form_title(form.opinion)},
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    return file_download(
        request,
        target=form,
        kind="approval_form",
        file=form.file.open("rb"),
        content_type="application/pdf",
        filename=f"{form_title(form.opinion)}-{form.opinion.case.declaration.number}"
        f"-{form.opinion.pk}-{form.revision}.pdf",
        sha256=form.sha256,
    )


def _inline_file(field, content_type: str) -> FileResponse:
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def rectification_photo_view(request, pk: int):
    """Rectification photos are served only to those who can see the case."""
    photo = selectors.rectification_photo_get(viewer=request.user, pk=pk)
    return _inline_file(photo.file, photo.content_type)


@login_required
def case_evidence_download(request, pk: int, evidence_pk: int):
    """The declaration's evidence for whoever sees the case: panel experts read the evidence
    of the cases they sit on, and of no other."""
    evidence = selectors.case_evidence_get(viewer=request.user, case_pk=pk, pk=evidence_pk)
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
def photo_view(request, pk: int):
    """On-site photos are served only to those who can see the case."""
    photo = selectors.photo_get(viewer=request.user, pk=pk)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def approval_form_rerender(request, opinion_pk: int):
    opinion = selectors.opinion_get(viewer=request.user, pk=opinion_pk)
    try:
        approval_form_rerequest(actor=request.user, opinion=opinion)
        messages.success(
            request,
            _("已重新生成%(title)s（新版本，原文件保留）") % {"title": form_title(opinion)},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect(reverse("review:case", args=[opinion.case_id]) + f"#opinion-{opinion.pk}")
