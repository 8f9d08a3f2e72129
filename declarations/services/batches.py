"""Review batches per year and their deadlines (R-TGT-4): data the province edits."""

from datetime import date
from pathlib import Path

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import event_record
from declarations.models import Batch
from grading.models import IndustryCategory, User
from grading.rules import allows

DATA = Path(__file__).resolve().parent.parent / "data" / "batches.yaml"
PROVINCE_ONLY = gettext_lazy("只有省级生态环境部门可以维护申报批次")


def _require_province(actor: User) -> None:
    if not allows(actor, "declarations.edit_batches"):
        raise PermissionDenied(PROVINCE_ONLY)


@transaction.atomic
def batch_save(*, actor: User, data: dict, batch: Batch | None = None) -> Batch:
    """Create or change a batch (its categories, guarantee class and deadline)."""
    _require_province(actor)
    data = dict(data)
    categories = data.pop("categories", None)
    batch = batch or Batch()
    for key, value in data.items():
        setattr(batch, key, value)
    batch.full_clean()
    if batch.deadline.year not in (batch.year, batch.year + 1):
        raise ValidationError({"deadline": _("截止日期应在该年度内或次年")})
    batch.save()
    if categories is not None:
        batch.categories.set(categories)
    event_record(
        code="batch.saved",
        actor=actor,
        target=batch,
        summary=_("保存申报批次：%(year)s %(name)s，截止 %(deadline)s")
        % {"year": batch.year, "name": batch.name, "deadline": batch.deadline},
    )
    return batch


def batches_load(*, path: Path = DATA, year: int | None = None) -> int:
    """Load the published batches; with ``year``, the same pattern for that year (demo data)."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    target_year = year or int(data["year"])
    count = 0
    for row in data["batches"]:
        deadline = date.fromisoformat(str(row["deadline"])).replace(year=target_year)
        batch, _created = Batch.objects.update_or_create(
            year=target_year,
            name=row["name"],
            defaults={
                "deadline": deadline,
                "includes_guarantee": bool(row.get("includes_guarantee")),
                "note": data.get("source", "")[:200],
            },
        )
        batch.categories.set(IndustryCategory.objects.filter(code__in=row["categories"]))
        count += 1
    return count
