"""The declaration's tables (R-DECL-2, R-DECL-4): products and capacity, raw materials and
energy, transport volumes, the vehicle ledger and the treatment facilities.

Each table is saved as a whole by ``declaration_table_save``: the rows the user sees are the
rows saved. A row the user did not touch stays as it is, a row is removed only when it is
marked for removal, and a save that would leave a table without any row is refused until the
user confirms it. The page and the API both save through it.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from core.audit import event_record
from declarations.models import (
    Declaration,
    MaterialUse,
    ProductCapacity,
    TransportVolume,
    TreatmentFacility,
    Vehicle,
)
from declarations.services.drafting import lock_declaration, require_preparer
from grading.models import Enterprise, User

TABLES: dict[str, type[models.Model]] = {
    "products": ProductCapacity,
    "materials": MaterialUse,
    "transport": TransportVolume,
    "vehicles": Vehicle,
    "facilities": TreatmentFacility,
}

#: The fields a user fills in, per table, in the order of the paper form (002 附件4).
TABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "products": ("line", "product", "capacity", "last_year_output", "unit"),
    "materials": ("kind", "name", "annual_amount", "unit", "storage_transport"),
    "transport": ("mode", "goods", "annual_tonnes"),
    "vehicles": ("plate", "vin", "engine_number", "emission_stage"),
    "facilities": (
        "kind",
        "seq",
        "process",
        "technique",
        "commissioned_on",
        "running_status",
        "removal_efficiency",
        "concentration",
        "airflow",
    ),
}

#: Row keys besides the fields: which existing row it is, and whether to remove it.
ROW_ID = "id"
ROW_REMOVE = "remove"


class EmptyTableUnconfirmed(ValidationError):
    """The save would leave the table without any row and the user has not confirmed it."""

    def __init__(self, table: str):
        self.table = table
        super().__init__(
            {
                "confirm_empty": _("保存后“%s”将没有任何行。如确需清空，请确认后再保存")
                % TABLES[table]._meta.verbose_name
            },
            code="empty_table",
        )


@dataclass(frozen=True)
class TableSaved:
    """What a save did; ``rows`` is the table as saved."""

    table: str
    rows: list[models.Model]
    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def anything_changed(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        """In words, for the page's message and the audit event."""
        if not self.anything_changed:
            return _("%(table)s没有修改") % {"table": TABLES[self.table]._meta.verbose_name}
        return _("%(table)s：新增%(a)d行，修改%(c)d行，删除%(r)d行（现共%(n)d行）") % {
            "table": TABLES[self.table]._meta.verbose_name,
            "a": len(self.added),
            "c": len(self.changed),
            "r": len(self.removed),
            "n": len(self.rows),
        }


def table_rows(declaration: Declaration, table: str) -> models.QuerySet:
    """The rows of one table, in the order they are shown."""
    related = {"products": ["line"], "facilities": ["process__line"]}.get(table, [])
    return TABLES[table].objects.filter(declaration=declaration).select_related(*related)


def row_key(i: int) -> str:
    """How errors name the ``i``-th row (from 1) of a save."""
    return f"第{i}行"


def _owned_line_and_process_ids(enterprise: Enterprise) -> tuple[set[int], set[int]]:
    lines = set(enterprise.lines.values_list("pk", flat=True))
    processes = set(
        enterprise.lines.values_list("processes__pk", flat=True).exclude(processes__pk=None)
    )
    return lines, processes


def _values(obj: models.Model, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, obj._meta.get_field(f).attname) for f in fields}


def _assign(obj: models.Model, data: dict) -> None:
    """Set the row's fields; a line or process may be given as the object or its id."""
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if field.is_relation and not isinstance(value, models.Model):
            setattr(obj, field.attname, value)
        else:
            setattr(obj, name, value)


def _row_errors(model: type[models.Model], exc: ValidationError) -> list[str]:
    return [
        f"{model._meta.get_field(f).verbose_name}：{m}" if f != "__all__" else m
        for f, ms in exc.message_dict.items()
        for m in ms
    ]


@transaction.atomic
def declaration_table_save(
    *,
    actor: User,
    declaration: Declaration,
    table: str,
    rows: list[dict],
    confirm_empty: bool = False,
) -> TableSaved:
    """Save one table of the declaration as the user sees it (R-DECL-2, R-DECL-4).

    ``rows`` holds every row: an existing one with its ``id`` (changed or not; with
    ``remove`` true to remove it), a new one without. An existing row left out of ``rows`` is
    an error, never a removal (the table may have changed since it was shown). Every row is
    checked before anything is saved; a save that empties the table needs ``confirm_empty``.
    One audit event says what was added, changed and removed; a save that changes nothing
    records none.
    """
    model = TABLES.get(table)
    if model is None:
        raise ValidationError(_("未知的申报表格：%s") % table)
    declaration = lock_declaration(declaration)
    require_preparer(actor, declaration)
    fields = TABLE_FIELDS[table]
    existing = {o.pk: o for o in model.objects.filter(declaration=declaration)}
    lines, processes = _owned_line_and_process_ids(declaration.enterprise)
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    final: list[models.Model] = []
    added: list[models.Model] = []
    changed: list[models.Model] = []
    removed: list[models.Model] = []
    for i, data in enumerate(rows, start=1):
        key = row_key(i)
        data = dict(data)
        pk = data.pop(ROW_ID, None)
        remove = bool(data.pop(ROW_REMOVE, False))
        unknown = sorted(set(data) - set(fields))
        if unknown:
            errors[key] = [_("不能修改的字段：%s") % "、".join(unknown)]
            continue
        if pk is not None:
            obj = existing.get(pk)
            if obj is None or pk in seen:
                errors[key] = [_("该行不在本表格中（可能已被删除），请重新打开后再保存")]
                continue
            seen.add(pk)
            if remove:
                removed.append(obj)
                continue
            before = _values(obj, fields)
            _assign(obj, data)
            if _values(obj, fields) == before:
                final.append(obj)
                continue
            changed.append(obj)
        elif remove:
            continue  # a new row marked for removal is simply not added
        else:
            obj = model(declaration=declaration)
            _assign(obj, data)
            added.append(obj)
        final.append(obj)
        try:
            obj.full_clean(exclude=["declaration"], validate_unique=False)
            if table == "products" and obj.line_id not in lines:
                raise ValidationError({"line": _("生产线不属于本企业")})
            if table == "facilities" and obj.process_id not in processes:
                raise ValidationError({"process": _("产污环节不是本企业登记的工序")})
        except ValidationError as exc:
            errors[key] = _row_errors(model, exc)
    left_out = set(existing) - seen
    if left_out:
        errors.setdefault("rows", []).append(
            _(
                "本表格有%(n)d行未包含在本次保存中（可能已在其他窗口修改），请重新打开后再保存；"
                "删除行须逐行标记删除"
            )
            % {"n": len(left_out)}
        )
    if table == "vehicles":
        vins = [o.vin for o in final]
        if len(vins) != len(set(vins)):
            errors.setdefault("rows", []).append(_("车辆识别代号（VIN）重复"))
    if errors:
        raise ValidationError(errors)
    if existing and not final and not confirm_empty:
        raise EmptyTableUnconfirmed(table)
    model.objects.filter(pk__in=[o.pk for o in removed]).delete()
    if table == "vehicles" and changed:
        # Two vehicles may swap their VINs in one save: park the changed ones on a unique
        # placeholder first, so (declaration, vin) stays unique after every update.
        model.objects.filter(pk__in=[o.pk for o in changed]).update(
            vin=Concat(Value("~"), Cast("pk", output_field=CharField()))
        )
    for obj in changed:
        obj.save()
    model.objects.bulk_create(added)
    saved = TableSaved(
        table=table,
        rows=list(table_rows(declaration, table)),
        added=[o.pk for o in added],
        changed=[o.pk for o in changed],
        removed=[o.pk for o in removed],
    )
    if saved.anything_changed:
        event_record(
            code="declaration.table_saved",
            actor=actor,
            target=declaration,
            summary=_("保存%s") % saved.summary(),
            data={
                "table": table,
                "added": saved.added,
                "changed": saved.changed,
                "removed": saved.removed,
                "rows": len(saved.rows),
            },
        )
    return saved
