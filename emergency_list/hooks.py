"""The emergency list's entries of the navigation (see ``core.hooks``), and the hook point of
its alert page: ``alert_duty_links``, ``fn(user, alert, duties) -> list[DutyLink]``, what the
stages above offer on an enterprise's duty row (the county opens a downgrade case when a
measure was not taken, R-DYN-1)."""

from django.urls import reverse
from django.utils.translation import pgettext_lazy

from core.hooks import DutyLink, NavItem, collect, register
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


def duty_links(user, alert, duties: list[dict]) -> dict[int, list[DutyLink]]:
    """The links the stages above offer on each duty row, by enterprise."""
    links: dict[int, list[DutyLink]] = {}
    for link in collect("alert_duty_links", user, alert, duties):
        links.setdefault(link.enterprise_id, []).append(link)
    return links
