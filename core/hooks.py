"""Pages made of every stage (the inbox, the navigation) are assembled from sections each app
registers in its ``AppConfig.ready()``, so a lower stage never imports an upper one (as
Wagtail's hooks do).

These hooks exist here:

- ``inbox_sections``: ``fn(user) -> list[InboxSection]``, what waits for the user;
- ``nav_items``: ``fn(user) -> list[NavItem]``, the entries of the main navigation;
- ``api_login_refusals``: ``fn(user, *, otp) -> list[str]``, why a password that was right
  still gets no API token (no second factor, a wrong code, an expired password);
- ``enterprise_sections``: ``fn(user, enterprise) -> list`` of sections (``key``, ``title``,
  ``items``, ``template``) of the enterprise page, which grading renders without knowing the
  stages above (a pending change report, R-ELIG-5).

- ``alert_duty_links``: ``fn(user, alert, duties) -> list[DutyLink]``, links on the duty rows
  of an alert's page (the county opens a downgrade case when a measure was not taken).

The apps add hook points of their own pages the same way (see ``declarations.hooks``).

Each registration has an ``order``; sections and items appear in ascending order.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_registry: dict[str, list[tuple[int, Callable]]] = defaultdict(list)


#: Items an inbox section lists (its count says how many wait): the inbox is read on every
#: visit, each stage's own page lists them all.
INBOX_ITEMS = 20


@dataclass(frozen=True)
class InboxSection:
    key: str
    title: str
    items: Iterable[Any]
    count: int
    template: str


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str
    order: int = 0


@dataclass(frozen=True)
class DutyLink:
    """A link on an enterprise's row of an alert's duties (``alert_duty_links``)."""

    enterprise_id: int
    label: str
    url: str


def register(name: str, fn: Callable, *, order: int = 0) -> None:
    """Add ``fn`` to hook ``name`` (idempotent: registering the same function twice keeps one)."""
    hooks = _registry[name]
    if any(existing is fn for _order, existing in hooks):
        return
    hooks.append((order, fn))
    hooks.sort(key=lambda pair: pair[0])


def collect(name: str, *args, **kwargs) -> list:
    """Call every function of hook ``name`` and concatenate what they return."""
    out: list = []
    for _order, fn in _registry[name]:
        out.extend(fn(*args, **kwargs) or [])
    return out
