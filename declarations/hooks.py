"""The declarations app's sections of the inbox and navigation (see ``core.hooks``), and two
hook points the stages above fill:

- ``declaration_actions``: ``fn(user, declaration) -> list[DeclarationAction]``, buttons on
  the declaration's page for what the user may do there (the county's 受理 is the review
  app's);
- ``enterprise_results``: ``fn(user, enterprise) -> list[ResultSection]``, sections of the
  enterprise's 我的分级结果 page (approval forms from review; the list entry with measures
  per alert level and the signboard from the emergency list);
- ``change_report_actions``: ``fn(user, report) -> list[DeclarationAction]``, what the county
  may do with a pending change report besides acknowledging it (the review stage's re-review),
  posted with the report page's note.

It fills grading's ``enterprise_sections`` (the enterprise page) and its own
``enterprise_results`` with the pending change reports (R-ELIG-5).
"""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.hooks import INBOX_ITEMS, InboxSection, NavItem, register
from declarations.models import ChangeReport, Declaration
from declarations.selectors import change_report_list, declaration_list, pending_change_reports
from grading.rules import allows


def inbox_sections(user) -> list[InboxSection]:
    if allows(user, "declarations.add_declaration"):
        mine = declaration_list(viewer=user).filter(
            status__in=[Declaration.Status.DRAFT, Declaration.Status.RETURNED]
        )
        return [
            InboxSection(
                key="declarations",
                title=_("待填报或退回修改的申报"),
                items=mine[:INBOX_ITEMS],
                count=mine.count(),
                template="declarations/inbox/enterprise.html",
            )
        ]
    if allows(user, "declarations.receive_submissions"):
        waiting = declaration_list(viewer=user, status=Declaration.Status.SUBMITTED).order_by(
            "submitted_at", "id"
        )
        return [
            InboxSection(
                key="declarations",
                title=_("已提交待初审的申报"),
                items=waiting[:INBOX_ITEMS],
                count=waiting.count(),
                template="declarations/inbox/submitted.html",
            )
        ]
    return []


@dataclass(frozen=True)
class DeclarationAction:
    """A button on the declaration page: a POST form to ``url`` (or a link when ``post`` is
    False)."""

    label: str
    url: str
    post: bool = True


@dataclass(frozen=True)
class ResultSection:
    """A section of the enterprise's results page, rendered with ``template`` and ``items``."""

    key: str
    title: str
    items: Any
    template: str
    order: int = 0


def nav_items(user) -> list[NavItem]:
    if not allows(user, "declarations.view_declarations"):
        return []
    items = [
        NavItem(
            "declarations", pgettext_lazy("导航", "申报"), reverse("declarations:index"), order=20
        )
    ]
    if allows(user, "grading.view_own_enterprise"):
        items.append(
            NavItem(
                "results",
                pgettext_lazy("导航", "我的分级结果"),
                reverse("declarations:results"),
                25,
            )
        )
    return items


def change_inbox_sections(user) -> list[InboxSection]:
    """R-ELIG-5: the county's change reports waiting to be acknowledged or re-reviewed."""
    if not allows(user, "declarations.receive_submissions"):
        return []
    pending = change_report_list(viewer=user, status=ChangeReport.Status.PENDING)
    return [
        InboxSection(
            key="change_reports",
            title=_("待处理的变更报告"),
            items=pending[:INBOX_ITEMS],
            count=pending.count(),
            template="declarations/inbox/changes.html",
        )
    ]


def pending_change_sections(user, enterprise) -> list[ResultSection]:
    """R-ELIG-5: the enterprise page shows the changes the county has not yet handled."""
    pending = list(pending_change_reports(viewer=user, enterprise=enterprise))
    if not pending:
        return []
    return [
        ResultSection(
            key="pending-changes",
            title=_("待处理的变更报告"),
            items=pending,
            template="declarations/_pending_changes.html",
        )
    ]


def change_result_sections(user, enterprise) -> list[ResultSection]:
    """The enterprise's results page: its pending changes and where to report one."""
    if not allows(user, "declarations.file_change_report", enterprise):
        return []
    return [
        ResultSection(
            key="changes",
            title=_("生产设备及污染治理设施变更"),
            items=list(pending_change_reports(viewer=user, enterprise=enterprise)),
            template="declarations/_changes_section.html",
            order=5,
        )
    ]


def register_hooks() -> None:
    register("inbox_sections", inbox_sections, order=20)
    register("inbox_sections", change_inbox_sections, order=21)
    register("nav_items", nav_items)
    register("enterprise_sections", pending_change_sections, order=10)
    register("enterprise_results", change_result_sections, order=5)
