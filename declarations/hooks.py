"""The declarations app's sections of the inbox and navigation (see ``core.hooks``), and two
hook points the stages above fill:

- ``declaration_actions``: ``fn(user, declaration) -> list[DeclarationAction]``, buttons on
  the declaration's page for what the user may do there (the county's 受理 is the review
  app's);
- ``enterprise_results``: ``fn(user, enterprise) -> list[ResultSection]``, sections of the
  enterprise's 我的分级结果 page (approval forms from review; the list entry with measures
  per alert level and the signboard from the emergency list).
"""

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.hooks import InboxSection, NavItem, register
from declarations.models import Declaration
from declarations.selectors import declaration_list
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
                items=mine[:50],
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
                items=waiting[:50],
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


def register_hooks() -> None:
    register("inbox_sections", inbox_sections, order=20)
    register("nav_items", nav_items)
