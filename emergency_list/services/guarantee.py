"""The guarantee class on the list (R-GUAR-4): a decided 保障类 declaration puts the
enterprise's entries on the guarantee class with its scope by itself, and removal from the
guarantee list (with reason and date) takes them off; both through the entry's one write path,
so that each is in the entry's history. The lower stages announce both with the signals of
``declarations.signals``; ``EmergencyListConfig.ready()`` connects the receivers to these.

The enterprise's standing is kept as its audit events (``list.guarantee.granted`` /
``list.guarantee.removed``, target the enterprise, ``data.year`` the first list year they
apply to), so that an entry created later — the year's list compiled after the decision —
starts from it."""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from core.models import AuditEvent
from declarations.models import Declaration
from emergency_list.models import ListEntry
from emergency_list.services.entries import enterprises_to_build, entry_refresh
from emergency_list.services.history import entry_revising
from emergency_list.services.measures import TemplateIndex
from grading.models import Enterprise, User

GRANTED = "list.guarantee.granted"
REMOVED = "list.guarantee.removed"


def guarantee_scope_of(declaration: Declaration) -> str:
    """The guarantee task as the list states it: the category (R-GUAR-1) and the industry."""
    category = declaration.get_guarantee_category_display() or _("保障类")
    return _("%(category)s（%(industry)s）") % {
        "category": category,
        "industry": declaration.industry.name,
    }


def guarantee_standing(*, enterprise: Enterprise, year: int) -> tuple[bool, str]:
    """(on the guarantee class, scope) for the enterprise's entry of ``year``: the latest
    grant or removal that applies to that year decides."""
    events = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Enterprise),
        object_id=str(enterprise.pk),
        code__in=(GRANTED, REMOVED),
    ).order_by("-at", "-id")
    for event in events:
        if int((event.data or {}).get("year") or 0) <= year:
            if event.code == GRANTED:
                return True, (event.data or {}).get("scope", "")
            return False, ""
    return False, ""


def _set(
    *, enterprise: Enterprise, year: int, on: bool, scope: str, actor: User | None, reason: str
) -> int:
    """Put the enterprise's entries of ``year`` and later on (off) the guarantee class; measures
    follow (R-GUAR-4). Returns how many entries changed."""
    changed = 0
    full = enterprises_to_build().get(pk=enterprise.pk)
    index = TemplateIndex()
    for entry in ListEntry.objects.select_for_update().filter(
        enterprise=enterprise, year__gte=year
    ):
        with entry_revising(entry, actor=actor, reason=reason) as change:
            entry.is_guarantee, entry.guarantee_scope = on, scope
            entry.save()
            entry_refresh(entry, full, index)
        changed += change.changed
    return changed


@transaction.atomic
def entries_guarantee_grant(
    *, enterprise: Enterprise, declaration: Declaration, actor: User | None
) -> int:
    """R-GUAR-4: a decided 保障类 declaration puts the enterprise's entries of the declaration's
    year and later on the guarantee class, with the guarantee task as scope."""
    scope = guarantee_scope_of(declaration)
    reason = _("保障类申报%(number)s已认定：%(scope)s") % {
        "number": declaration.number,
        "scope": scope,
    }
    changed = _set(
        enterprise=enterprise,
        year=declaration.year,
        on=True,
        scope=scope,
        actor=actor,
        reason=reason,
    )
    event_record(
        code=GRANTED,
        actor=actor if getattr(actor, "pk", None) else None,
        target=enterprise,
        summary=_("列入保障类名单，清单随之调整：%s") % scope,
        data={"year": declaration.year, "scope": scope, "declaration": declaration.number},
    )
    return changed


@transaction.atomic
def entries_guarantee_remove(
    *, enterprise: Enterprise, reason: str, on: date, actor: User | None
) -> int:
    """R-GUAR-4: removal from the guarantee list (with its reason and date) takes the
    enterprise's entries of that year and later off the guarantee class; measures follow."""
    why = _("%(on)s移出保障类名单：%(reason)s") % {"on": on.isoformat(), "reason": reason}
    changed = _set(enterprise=enterprise, year=on.year, on=False, scope="", actor=actor, reason=why)
    event_record(
        code=REMOVED,
        actor=actor if getattr(actor, "pk", None) else None,
        target=enterprise,
        summary=_("移出保障类名单，清单随之调整"),
        reason=reason,
        data={"year": on.year, "on": on.isoformat()},
    )
    return changed
