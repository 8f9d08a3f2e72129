"""The review app's sections of the inbox and navigation (see ``core.hooks``)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.hooks import INBOX_ITEMS, DutyLink, InboxSection, NavItem, register
from declarations.hooks import DeclarationAction, ResultSection
from declarations.models import Declaration
from grading.models import Enterprise
from grading.rules import allows
from review.models import ApprovalForm
from review.rules import stage_for
from review.selectors.annual import reapplication_overdue
from review.selectors.appeals import appeal_queue
from review.selectors.cases import case_list
from review.selectors.downgrades import downgrade_queue


def inbox_sections(user) -> list[InboxSection]:
    stage = stage_for(user)
    if not stage:
        return []
    cases = case_list(viewer=user, stage=stage)
    sections = [
        InboxSection(
            key="cases",
            title=_("待我审核的案卷"),
            items=cases[:INBOX_ITEMS],
            count=cases.count(),
            template="review/inbox/cases.html",
        )
    ]
    waiting = appeal_queue(viewer=user)
    count = waiting.count()
    if count:
        sections.append(
            InboxSection(
                key="appeals",
                title=_("待复核的申请"),
                items=waiting[:INBOX_ITEMS],
                count=count,
                template="review/inbox/appeals.html",
            )
        )
    downgrades = downgrade_queue(viewer=user)
    count = downgrades.count()
    if count:
        sections.append(
            InboxSection(
                key="downgrades",
                title=_("待处理的降级案卷"),
                items=downgrades[:INBOX_ITEMS],
                count=count,
                template="review/inbox/downgrades.html",
            )
        )
    if allows(user, "review.decide_reapplication"):
        today = timezone.localdate()
        overdue = reapplication_overdue(viewer=user, year=today.year, today=today)
        count = overdue.count()
        if count:
            sections.append(
                InboxSection(
                    key="reapply",
                    title=_("逾期未重新申报、待决定等级的企业"),
                    items=overdue[:INBOX_ITEMS],
                    count=count,
                    template="review/inbox/reapply.html",
                )
            )
    return sections


def nav_items(user) -> list[NavItem]:
    items = []
    if allows(user, "review.view_queue"):
        items.append(
            NavItem("review", pgettext_lazy("导航", "审核"), reverse("review:queue"), order=30)
        )
    if allows(user, "review.view_downgrades"):
        items.append(
            NavItem(
                "downgrades",
                pgettext_lazy("导航", "动态降级"),
                reverse("review:downgrades"),
                order=35,
            )
        )
    if allows(user, "review.view_appeals"):
        items.append(
            NavItem(
                "appeals", pgettext_lazy("导航", "复核申请"), reverse("review:appeals"), order=36
            )
        )
    if allows(user, "review.view_experts"):
        items.append(
            NavItem("experts", pgettext_lazy("导航", "专家库"), reverse("review:experts"), order=60)
        )
    if allows(user, "review.spot_check"):
        items.append(
            NavItem(
                "spot", pgettext_lazy("导航", "抽查复核"), reverse("review:spot-checks"), order=80
            )
        )
    return items


def declaration_actions(user, declaration) -> list:
    """The county accepts a submitted declaration on the declaration's own page."""
    if declaration.status == Declaration.Status.SUBMITTED and allows(
        user, "review.open_case", declaration
    ):
        return [DeclarationAction(_("受理并初审"), reverse("review:open", args=[declaration.pk]))]
    return []


def change_report_actions(user, report) -> list:
    """R-ELIG-5: the county may open a re-review of a pending change report."""
    if allows(user, "declarations.handle_change_report", report):
        return [
            DeclarationAction(_("启动复核"), reverse("review:change-re-review", args=[report.pk]))
        ]
    return []


def enterprise_results(user, enterprise) -> list:
    """The enterprise's approval forms (审核意见表) of its own cases."""
    forms = (
        ApprovalForm.objects.filter(
            opinion__case__in=case_list(viewer=user).values("pk"),
            status=ApprovalForm.Status.READY,
        )
        .select_related("opinion__case__declaration__industry")
        .order_by("-rendered_at")
    )
    return [ResultSection("forms", _("审核意见表"), forms, "review/results/forms.html", 10)]


def alert_duty_links(user, alert, duties: list[dict]) -> list[DutyLink]:
    """R-DYN-1: on an alert's duty rows, the enterprise's county opens a downgrade case when a
    measure was not taken; the form arrives filled with the enterprise, the reason and the
    alert, and the county checks and signs it."""
    ids = {d["enterprise"] for d in duties}
    if not ids or not allows(user, "review.view_downgrades"):
        return []
    enterprises = Enterprise.objects.filter(pk__in=ids).select_related("county__parent")
    base = reverse("review:downgrades")
    links = []
    for ent in enterprises:
        if not allows(user, "review.open_downgrade", ent):
            continue
        query = urlencode(
            {
                "enterprise_uscc": ent.uscc,
                "reason": "alert_measure",
                "occurred_on": alert.start_on.isoformat(),
                "reference": _("预警模拟第%(n)s号") % {"n": alert.pk},
                "detail": _("%(level)s预警期间（%(start)s至%(end)s）未落实应急减排措施：")
                % {
                    "level": alert.get_level_display(),
                    "start": alert.start_on.isoformat(),
                    "end": alert.end_on.isoformat(),
                },
            }
        )
        links.append(DutyLink(ent.pk, _("未落实措施，立案降级"), f"{base}?{query}#open"))
    return links


def register_hooks() -> None:
    register("inbox_sections", inbox_sections, order=30)
    register("nav_items", nav_items)
    register("declaration_actions", declaration_actions)
    register("change_report_actions", change_report_actions)
    register("enterprise_results", enterprise_results, order=10)
    register("alert_duty_links", alert_duty_links)
