"""Pages of the review chain: queues per role, the case page with the actions of its stage,
experts, spot checks, direct grading and re-application lists. Thin: every rule is in
review.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.audit import event_list_for
from declarations.models import Declaration, IndicatorRow
from declarations.selectors import declaration_get, declaration_list
from grading.jurisdiction import county_units_for, region_in_reach
from grading.models import Enterprise, User
from review import forms as rforms
from review.deadlines import county_due
from review.models import (
    ApprovalForm,
    ExpertBlacklisting,
    IndustryDowngradeProposal,
    Opinion,
    Rectification,
    ReviewCase,
    SpotCheckItem,
    SpotCheckSample,
    VerificationPhoto,
)
from review.selectors import case_get, case_list
from review.services import annual, decisions, onsite, panels, sampling
from review.services.forms import approval_form_rerequest


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for ms in exc.message_dict.values() for m in ms]
    return exc.messages


def _staff(role: str, region) -> "list[User]":
    return User.objects.filter(role=role, region=region, is_active=True)


@login_required
def queue(request):
    """Each role's inbox of cases, oldest first, with its deadline; overdue items flagged."""
    user: User = request.user
    today = timezone.localdate()
    waiting = []
    stage = {
        User.Role.COUNTY: ReviewCase.Stage.COUNTY,
        User.Role.CITY: ReviewCase.Stage.CITY,
        User.Role.PROVINCE: ReviewCase.Stage.PROVINCE,
        User.Role.EXPERT: ReviewCase.Stage.CITY,
    }.get(user.role, "")
    if user.role in (User.Role.COUNTY, User.Role.ADMIN):
        waiting = [
            {"declaration": d, "due": county_due(timezone.localdate(d.submitted_at))}
            for d in declaration_list(viewer=user, status=Declaration.Status.SUBMITTED).order_by(
                "submitted_at", "id"
            )[:200]
        ]
    cases = (
        case_list(viewer=user, stage=stage)
        if stage
        else case_list(viewer=user).filter(stage__in=ReviewCase.OPEN)
    )
    page = Paginator(cases.prefetch_related("panel__memberships"), 50).get_page(
        request.GET.get("page")
    )
    rows = []
    for case in page:
        due = case.county_due if case.stage == ReviewCase.Stage.COUNTY else case.city_due
        rows.append({"case": case, "due": due, "overdue": bool(due and due < today)})
    return render(
        request,
        "review/queue.html",
        {
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
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("review:queue")
    messages.success(request, _("已受理，开始初审"))
    return redirect("review:case", pk=case.pk)


def _decision_signers(case: ReviewCase):
    county = case.declaration.enterprise.county
    if case.stage == ReviewCase.Stage.COUNTY:
        return (
            User.objects.filter(
                Q(role=User.Role.COUNTY, region=county)
                | Q(role=User.Role.EXPERT, expert_profile__employer_is_service_agency=False),
                is_active=True,
            )
            .select_related("expert_profile")
            .order_by("role", "full_name")
        )
    if case.stage == ReviewCase.Stage.CITY:
        city = county if county.level == "city" else county.parent
        members = case.panel.memberships.values("expert") if hasattr(case, "panel") else []
        return (
            User.objects.filter(
                Q(role=User.Role.CITY, region=city) | Q(pk__in=members), is_active=True
            )
            .select_related("expert_profile")
            .order_by("role", "full_name")
        )
    province = county.parent.parent if county.level == "county" else county.parent
    return User.objects.filter(role=User.Role.PROVINCE, region=province, is_active=True)


def _onsite_signers(case: ReviewCase):
    county = case.declaration.enterprise.county
    city = county if county.level == "city" else county.parent
    members = case.panel.memberships.values("expert") if hasattr(case, "panel") else []
    return User.objects.filter(
        Q(pk__in=members) | Q(role=User.Role.CITY, region=city), is_active=True
    ).select_related("expert_profile")


def _can_decide(user: User, case: ReviewCase) -> bool:
    role = {
        ReviewCase.Stage.COUNTY: User.Role.COUNTY,
        ReviewCase.Stage.CITY: User.Role.CITY,
        ReviewCase.Stage.PROVINCE: User.Role.PROVINCE,
    }.get(case.stage)
    return (
        bool(role)
        and user.role == role
        and region_in_reach(user, case.declaration.enterprise.county)
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request, pk: int):
    user: User = request.user
    case = case_get(viewer=user, pk=pk)
    rows = list(
        IndicatorRow.objects.filter(declaration=case.declaration)
        .select_related("category")
        .prefetch_related("evidence")
        .order_by("seq")
    )
    is_member = hasattr(case, "panel") and case.panel.memberships.filter(expert=user).exists()
    decision_form = onsite_form = panel_form = None
    decision_names = onsite_names = []
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if case.is_open and _can_decide(user, case):
        decision_form = rforms.DecisionForm(
            request.POST if action == "decide" else None,
            prefix="d",
            case=case,
            actor=user,
            signer_queryset=_decision_signers(case),
        )
        if case.stage == ReviewCase.Stage.COUNTY:
            decision_names = rforms.verdict_fields(decision_form, rows, "v")
    has_panel = hasattr(case, "panel")
    if (
        has_panel
        and case.stage == ReviewCase.Stage.CITY
        and (user.role == User.Role.CITY and _can_decide(user, case) or is_member)
    ):
        onsite_form = rforms.OnSiteForm(
            request.POST if action == "onsite" else None,
            request.FILES if action == "onsite" else None,
            prefix="o",
            case=case,
            actor=user,
            signer_queryset=_onsite_signers(case),
        )
        onsite_names = rforms.verdict_fields(onsite_form, rows, "f")
    suggestions = None
    if (
        case.stage == ReviewCase.Stage.CITY
        and user.role == User.Role.CITY
        and _can_decide(user, case)
    ):
        suggestions = panels.expert_suggestions(case=case, limit=30)
        panel_form = rforms.PanelForm(
            request.POST if action == "panel" else None,
            prefix="p",
            experts=User.objects.filter(pk__in=[u.pk for u in suggestions]),
        )
    errors = []
    if request.method == "POST":
        try:
            if action == "decide" and decision_form is not None and decision_form.is_valid():
                d = decision_form.cleaned_data
                decisions.review_sign(
                    actor=user,
                    case=case,
                    decision=d["decision"],
                    grade=d["grade"],
                    summary=d["summary"],
                    conclusion=d["conclusion"],
                    signers=list(d["signers"]),
                    verdicts=rforms.collect_verdicts(decision_form, decision_names),
                )
                messages.success(request, _("审核意见已签署"))
                return redirect("review:case", pk=case.pk)
            if action == "panel" and panel_form is not None and panel_form.is_valid():
                panels.panel_assign(
                    actor=user,
                    case=case,
                    experts=list(panel_form.cleaned_data["experts"]),
                    leader=panel_form.cleaned_data["leader"],
                )
                messages.success(request, _("专家组已组建"))
                return redirect("review:case", pk=case.pk)
            if action == "onsite" and onsite_form is not None and onsite_form.is_valid():
                o = onsite_form.cleaned_data
                photos = [(f, f.name) for f in request.FILES.getlist("photos")]
                onsite.onsite_record(
                    actor=user,
                    case=case,
                    visited_on=o["visited_on"],
                    recommended_grade=o["recommended_grade"],
                    summary=o["summary"],
                    conclusion=o["conclusion"],
                    signers=list(o["signers"]),
                    findings=rforms.collect_verdicts(onsite_form, onsite_names),
                    rectifications=o["rectifications"],
                    photos=photos,
                )
                messages.success(request, _("现场核查意见已记录"))
                return redirect("review:case", pk=case.pk)
            if action in ("decide", "panel", "onsite"):
                errors.append(_("请检查填写内容"))
        except ValidationError as exc:
            errors.extend(_errors(exc))
        except PermissionDenied as exc:
            errors.append(str(exc) or _("无权执行此操作"))
    opinions = (
        Opinion.objects.filter(case__declaration=case.declaration)
        .select_related("grade", "signed_by", "case")
        .prefetch_related(
            "signers",
            "indicators__indicator_row__category",
            Prefetch("forms", queryset=ApprovalForm.objects.order_by("-revision")),
        )
        .order_by("signed_at", "id")
    )
    labels = {(dt.stage, dt.decision): dt.label for dt in decisions.DECISIONS.values()}
    stage_of_kind = {
        Opinion.Kind.FIRST_REVIEW: ReviewCase.Stage.COUNTY,
        Opinion.Kind.CITY_REVIEW: ReviewCase.Stage.CITY,
        Opinion.Kind.PROVINCE_CHECK: ReviewCase.Stage.PROVINCE,
    }
    opinions = [
        (op, labels.get((stage_of_kind.get(op.kind), op.decision), op.get_decision_display()))
        for op in opinions
    ]
    photos = VerificationPhoto.objects.filter(verification__case__declaration=case.declaration)
    rectifications = Rectification.objects.filter(
        verification__case__declaration=case.declaration
    ).select_related("verification", "followed_up_by")
    return render(
        request,
        "review/case.html",
        {
            "case": case,
            "declaration": case.declaration,
            "rows": rows,
            "opinions": opinions,
            "decision_form": decision_form,
            "decision_names": decision_names,
            "onsite_form": onsite_form,
            "onsite_names": onsite_names,
            "panel_form": panel_form,
            "suggestions": suggestions,
            "panel_problems": panels.panel_refusals(case=case) if hasattr(case, "panel") else [],
            "rectifications": rectifications,
            "can_verify": is_member or (user.role == User.Role.CITY and _can_decide(user, case)),
            "is_enterprise": user.role == User.Role.ENTERPRISE,
            "errors": errors,
            "error_action": action,
            "photos": photos,
            "events": event_list_for(case.declaration)[:100],
            "other_cases": case.declaration.review_cases.exclude(pk=case.pk).order_by("-opened_at"),
        },
    )


@login_required
@require_POST
def rectification_action(request, pk: int):
    r = get_object_or_404(Rectification.objects.select_related("verification__case"), pk=pk)
    case = case_get(viewer=request.user, pk=r.verification.case_id)
    note = request.POST.get("note", "")
    try:
        if request.user.role == User.Role.ENTERPRISE:
            onsite.rectification_report(actor=request.user, rectification=r, note=note)
        else:
            onsite.rectification_verify(actor=request.user, rectification=r, note=note)
        messages.success(request, _("已保存"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    return redirect(reverse("review:case", args=[case.pk]) + "#rectifications")


def _form_for_viewer(request, form_pk: int) -> ApprovalForm:
    form = get_object_or_404(ApprovalForm.objects.select_related("opinion__case"), pk=form_pk)
    case_get(viewer=request.user, pk=form.opinion.case_id)
    return form


@login_required
def approval_form_download(request, form_pk: int):
    form = _form_for_viewer(request, form_pk)
    if form.status != ApprovalForm.Status.READY or not form.file:
        return HttpResponse(
            _("审核意见表尚未生成完成"), status=409, content_type="text/plain; charset=utf-8"
        )
    response = FileResponse(
        form.file.open("rb"),
        as_attachment=True,
        content_type="application/pdf",
        filename=f"审核意见表-{form.opinion.case.declaration.number}-{form.opinion.pk}-{form.revision}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Checksum-SHA256"] = form.sha256
    return response


@login_required
def photo_view(request, pk: int):
    """On-site photos are served only to those who can see the case."""
    photo = get_object_or_404(VerificationPhoto.objects.select_related("verification"), pk=pk)
    case_get(viewer=request.user, pk=photo.verification.case_id)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def approval_form_rerender(request, opinion_pk: int):
    opinion = get_object_or_404(Opinion.objects.select_related("case"), pk=opinion_pk)
    case = case_get(viewer=request.user, pk=opinion.case_id)
    approval_form_rerequest(actor=request.user, opinion=opinion)
    messages.success(request, _("已重新生成审核意见表（新版本，原文件保留）"))
    return redirect(reverse("review:case", args=[case.pk]) + f"#opinion-{opinion.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def experts(request):
    user: User = request.user
    if user.role not in (User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN, User.Role.EXPERT):
        raise PermissionDenied
    conflict_form = rforms.ConflictForm(
        request.POST if request.POST.get("action") == "conflict" else None
    )
    blacklist_form = rforms.BlacklistForm(
        request.POST if request.POST.get("action") == "blacklist" else None
    )
    if user.role == User.Role.EXPERT:
        conflict_form.fields["expert"].queryset = User.objects.filter(pk=user.pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "conflict" and conflict_form.is_valid():
                c = conflict_form.cleaned_data
                enterprise = Enterprise.objects.filter(
                    uscc=c["enterprise_uscc"].strip().upper()
                ).first()
                if enterprise is None:
                    raise ValidationError(_("未找到该统一社会信用代码的企业"))
                panels.conflict_record(
                    actor=user,
                    expert=c["expert"],
                    enterprise=enterprise,
                    kind=c["kind"],
                    note=c["note"],
                )
                messages.success(request, _("回避关系已登记"))
                return redirect("review:experts")
            if action == "blacklist" and blacklist_form.is_valid():
                b = blacklist_form.cleaned_data
                panels.expert_blacklist(
                    actor=user,
                    expert=b["expert"],
                    reason=b["reason"],
                    detail=b["detail"],
                    document_no=b["document_no"],
                )
                messages.success(request, _("已列入黑名单"))
                return redirect("review:experts")
            if action == "lift":
                entry = get_object_or_404(ExpertBlacklisting, pk=request.POST.get("id"))
                panels.expert_blacklist_lift(
                    actor=user, entry=entry, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("已解除黑名单"))
                return redirect("review:experts")
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    pool = (
        User.objects.filter(role=User.Role.EXPERT)
        .select_related("expert_profile")
        .prefetch_related(
            "expert_profile__industries",
            Prefetch(
                "blacklistings",
                queryset=ExpertBlacklisting.objects.filter(lifted_at__isnull=True),
                to_attr="active_blacklistings",
            ),
            "conflicts__enterprise",
        )
        .order_by("full_name", "username")
    )
    if user.role == User.Role.EXPERT:
        pool = pool.filter(pk=user.pk)
    page = Paginator(pool, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "review/experts.html",
        {
            "page": page,
            "conflict_form": conflict_form,
            "blacklist_form": blacklist_form,
            "can_blacklist": user.role in (User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN),
            "can_lift": user.role in (User.Role.PROVINCE, User.Role.ADMIN),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def spot_checks(request):
    user: User = request.user
    if user.role not in (User.Role.PROVINCE, User.Role.ADMIN):
        raise PermissionDenied
    form = rforms.SampleForm(
        request.POST or None, initial={"year": timezone.localdate().year, "percentage": 10}
    )
    if request.method == "POST" and form.is_valid():
        try:
            sample = sampling.sample_draw(
                actor=user,
                year=form.cleaned_data["year"],
                percentage=form.cleaned_data["percentage"],
                seed=form.cleaned_data["seed"],
            )
            messages.success(request, _("已抽取样本"))
            return redirect("review:sample", pk=sample.pk)
        except ValidationError as exc:
            for m in _errors(exc):
                form.add_error(None, m)
    return render(
        request,
        "review/spot_checks.html",
        {
            "form": form,
            "samples": SpotCheckSample.objects.select_related("drawn_by").order_by("-drawn_at")[
                :50
            ],
            "proposals": IndustryDowngradeProposal.objects.select_related(
                "industry", "decided_by"
            ).order_by("status", "-year")[:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sample_detail(request, pk: int):
    user: User = request.user
    if user.role not in (User.Role.PROVINCE, User.Role.ADMIN):
        raise PermissionDenied
    sample = get_object_or_404(SpotCheckSample, pk=pk)
    if request.method == "POST":
        item = get_object_or_404(SpotCheckItem, pk=request.POST.get("item"), sample=sample)
        form = rforms.SpotCheckResultForm(request.POST, prefix=f"i{item.pk}")
        if form.is_valid():
            try:
                sampling.spot_check_record(actor=user, item=item, **form.cleaned_data)
                messages.success(request, _("抽查结果已记录"))
            except ValidationError as exc:
                messages.error(request, "；".join(_errors(exc)))
        else:
            messages.error(request, _("请填写核查情况"))
        return redirect(reverse("review:sample", args=[pk]) + f"#item-{item.pk}")
    items = sample.items.select_related("enterprise", "industry", "grade", "city", "downgrade_to")
    return render(
        request,
        "review/sample.html",
        {
            "sample": sample,
            "items": [(i, rforms.SpotCheckResultForm(prefix=f"i{i.pk}")) for i in items],
        },
    )


@login_required
@require_POST
def proposal_decide(request, pk: int):
    proposal = get_object_or_404(IndustryDowngradeProposal, pk=pk)
    try:
        sampling.industry_downgrade_decide(
            actor=request.user,
            proposal=proposal,
            confirm=request.POST.get("confirm") == "1",
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("已处理行业降级建议"))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
    return redirect("review:spot-checks")


@login_required
@require_http_methods(["GET", "POST"])
def direct_grade(request):
    user: User = request.user
    if user.role != User.Role.COUNTY:
        raise PermissionDenied
    form = rforms.DirectGradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        enterprise = Enterprise.objects.filter(
            uscc=d["enterprise_uscc"].strip().upper(), county__in=county_units_for(user)
        ).first()
        if enterprise is None:
            form.add_error("enterprise_uscc", _("本辖区内未找到该企业"))
        else:
            try:
                annual.county_direct_grade(
                    actor=user,
                    enterprise=enterprise,
                    industry=d["industry"],
                    grade=d["grade"],
                    reason=d["reason"],
                )
                messages.success(request, _("已评定"))
                return redirect("enterprise-detail", pk=enterprise.pk)
            except ValidationError as exc:
                for m in _errors(exc):
                    form.add_error(None, m)
    return render(request, "review/direct.html", {"form": form})


@login_required
def reapply(request):
    user: User = request.user
    if user.role not in (User.Role.COUNTY, User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN):
        raise PermissionDenied
    year = int(request.GET.get("year") or timezone.localdate().year)
    rows = annual.reapplication_due(year=year).filter(enterprise__county__in=county_units_for(user))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "review/reapply.html", {"page": page, "year": year})
