"""The emergency list's entries of the navigation (see ``core.hooks``)."""

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from core.hooks import NavItem, register
from grading.rules import allows


def nav_items(user) -> list[NavItem]:
    items = []
    if allows(user, "emergency_list.view_list"):
        items.append(
            NavItem(
                "list", pgettext_lazy("导航", "减排清单"), reverse("emergency_list:index"), order=50
            )
        )
    if allows(user, "emergency_list.call_alerts"):  # the tool that calls alerts
        items.append(
            NavItem(
                "alerts",
                pgettext_lazy("导航", "预警模拟"),
                reverse("emergency_list:alerts"),
                order=70,
            )
        )
    return items


def register_hooks() -> None:
    register("nav_items", nav_items)
