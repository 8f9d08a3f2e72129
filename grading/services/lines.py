"""The enterprise's production lines, processes (涉气工序) and main equipment: master data kept
in one place. Declarations describe them and the emergency list controls them by reference,
so a line or process something refers to cannot be removed (mark it stopped instead)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Enterprise, Equipment, Process, ProductionLine, User
from grading.rules import allows

LINE_FIELDS = ("name", "products", "design_capacity", "capacity_unit", "status", "industry")
PROCESS_FIELDS = ("name", "is_air_emitting")
EQUIPMENT_FIELDS = ("name", "model", "quantity", "capacity", "capacity_unit")


def require_master_data_editor(actor: User, enterprise: Enterprise) -> None:
    """The enterprise itself, or bureau staff whose jurisdiction holds it."""
    if not allows(actor, "grading.edit_lines", enterprise):
        raise PermissionDenied(_("无权修改该企业的生产线信息"))


def _save(obj, fields, data, exclude=()):
    unknown = set(data) - set(fields)
    if unknown:
        raise ValidationError(_("不能修改的字段：%s") % "、".join(sorted(unknown)))
    for key, value in data.items():
        setattr(obj, key, value)
    obj.full_clean(exclude=list(exclude))
    obj.save()
    return obj


def _record(actor, enterprise, summary, data):
    event_record(
        code="enterprise.lines_changed", actor=actor, target=enterprise, summary=summary, data=data
    )


@transaction.atomic
def production_line_save(
    *, actor: User, enterprise: Enterprise, data: dict, line: ProductionLine | None = None
) -> ProductionLine:
    require_master_data_editor(actor, enterprise)
    if line is not None and line.enterprise_id != enterprise.pk:
        raise ValidationError(_("生产线不属于该企业"))
    industry = data.get("industry")
    if industry is not None and industry.enterprise_id != enterprise.pk:
        raise ValidationError({"industry": _("所属行业须为本企业登记的行业")})
    line = _save(line or ProductionLine(enterprise=enterprise), LINE_FIELDS, data)
    _record(actor, enterprise, _("保存生产线：%s") % line.name, {"line": line.pk})
    return line


@transaction.atomic
def process_save(
    *, actor: User, line: ProductionLine, data: dict, process: Process | None = None
) -> Process:
    require_master_data_editor(actor, line.enterprise)
    if process is not None and process.line_id != line.pk:
        raise ValidationError(_("工序不属于该生产线"))
    process = _save(process or Process(line=line), PROCESS_FIELDS, data)
    _record(
        actor,
        line.enterprise,
        _("保存工序：%(line)s / %(p)s") % {"line": line.name, "p": process.name},
        {"process": process.pk},
    )
    return process


@transaction.atomic
def equipment_save(
    *, actor: User, process: Process, data: dict, equipment: Equipment | None = None
) -> Equipment:
    require_master_data_editor(actor, process.line.enterprise)
    if equipment is not None and equipment.process_id != process.pk:
        raise ValidationError(_("设备不属于该工序"))
    equipment = _save(equipment or Equipment(process=process), EQUIPMENT_FIELDS, data)
    _record(
        actor,
        process.line.enterprise,
        _("保存设备：%s") % equipment.name,
        {"equipment": equipment.pk},
    )
    return equipment


@transaction.atomic
def master_data_remove(*, actor: User, obj: ProductionLine | Process | Equipment) -> None:
    """Remove a line, process or equipment nothing refers to."""
    enterprise = (
        obj.enterprise
        if isinstance(obj, ProductionLine)
        else obj.line.enterprise
        if isinstance(obj, Process)
        else obj.process.line.enterprise
    )
    require_master_data_editor(actor, enterprise)
    name = str(obj)
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("“%s”已被申报材料或应急减排清单引用，不能删除；如已停用，请将状态改为停用") % name
        ) from exc
    _record(actor, enterprise, _("删除：%s") % name, {"removed": name})
