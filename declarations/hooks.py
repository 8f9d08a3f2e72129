"""The declarations app's sections of the inbox and navigation (see ``core.hooks``)."""

import rules
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.hooks import InboxSection, NavItem, register
from declarations.models import Declaration
from declarations.selectors import declaration_list


def inbox_sections(user) -> list[InboxSection]:
    if rules.has_perm("declarations.add_declaration", user):
        mine = declaration_list(viewer=user).filter(
            status__in=[Declaration.Status.DRAFT, Declaration.Status.RETURNED]
        )
        return [
            InboxSection(
                key="declarations",
                title=_("待填报或退回修改的申报"),
                items=mine[:50],
                count=mine.count(),
                template="declarations/inbox/enterprise.html",
            )
        ]
    if rules.has_perm("declarations.receive_submissions", user):
        waiting = declaration_list(viewer=user, status=Declaration.Status.SUBMITTED).order_by(
            "submitted_at", "id"
        )
        return [
            InboxSection(
                key="declarations",
                title=_("已提交待初审的申报"),
                items=waiting[:50],
                count=waiting.count(),
                template="declarations/inbox/submitted.html",
            )
        ]
    return []


def nav_items(user) -> list[NavItem]:
    if not rules.has_perm("declarations.view_declarations", user):
        return []
    return [NavItem("declarations", _("申报"), reverse("declarations:index"), order=20)]


def register_hooks() -> None:
    register("inbox_sections", inbox_sections, order=20)
    register("nav_items", nav_items)
