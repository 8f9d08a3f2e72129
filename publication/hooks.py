"""The publication app's entries of the navigation and sections of the inbox (``core.hooks``)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.hooks import InboxSection, NavItem, register
from grading.rules import allows
from publication.selectors.notices import objection_list


def nav_items(user) -> list[NavItem]:
    items = []
    if allows(user, "publication.manage_notices"):
        items.append(
            NavItem("publication", _("公示与公开"), reverse("publication:index"), order=70)
        )
    return items


def inbox_sections(user) -> list[InboxSection]:
    if not allows(user, "publication.handle_objection"):
        return []
    waiting = objection_list(viewer=user).filter(status="open")
    return [
        InboxSection(
            key="objections",
            title=_("待处理的公示异议"),
            items=waiting[:50],
            count=waiting.count(),
            template="publication/inbox/objections.html",
        )
    ]


def register_hooks() -> None:
    register("nav_items", nav_items)
    register("inbox_sections", inbox_sections, order=50)
