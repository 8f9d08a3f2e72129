"""The emergency list's entries of the navigation and its section of the inbox (see
``core.hooks``), and the hook point of its alert page: ``alert_duty_links``,
``fn(user, alert, duties) -> list[DutyLink]``, what the stages above offer on an enterprise's
duty row (the county opens a downgrade case when a measure was not taken, R-DYN-1)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.hooks import INBOX_ITEMS, DutyLink, InboxSection, NavItem, collect, register
from grading.rules import allows

#: A county's round worklist shows in its inbox this many days before the window is due.
ROUND_LEAD_DAYS = 30


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


def inbox_sections(user) -> list[InboxSection]:
    """R-LIST-6: in the weeks before a revision or adjustment window is due, the county's
    worklist of what changed since its last list version."""
    from emergency_list.services.rounds import round_worklist, window_current

    county = getattr(user, "region", None)
    if county is None or not county.holds_enterprises:
        return []
    if not allows(user, "emergency_list.generate_list", county):
        return []
    today = timezone.localdate()
    window = window_current(today.year, today)
    if not today <= window.due_on <= today + timedelta(days=ROUND_LEAD_DAYS):
        return []
    changes = round_worklist(county, today.year)
    if not changes:
        return []
    url = reverse("emergency_list:rounds") + f"?scope={county.code}&year={today.year}"
    return [
        InboxSection(
            key="list_round",
            title=_("清单修订调整（%(window)s，%(due)s截止）")
            % {"window": window.get_kind_display(), "due": window.due_on.isoformat()},
            items=[{"change": c, "url": url} for c in changes[:INBOX_ITEMS]],
            count=len(changes),
            template="emergency_list/inbox/round.html",
        )
    ]


def register_hooks() -> None:
    register("nav_items", nav_items)
    register("inbox_sections", inbox_sections, order=50)


def duty_links(user, alert, duties: list[dict]) -> dict[int, list[DutyLink]]:
    """The links the stages above offer on each duty row, by enterprise."""
    links: dict[int, list[DutyLink]] = {}
    for link in collect("alert_duty_links", user, alert, duties):
        links.setdefault(link.enterprise_id, []).append(link)
    return links
