"""Penalty and violation records the bureaus keep (R-ELIG-1, R-ELIG-2, R-ELIG-3, R-DYN-1).
Records are never deleted; a record overturned on appeal is revoked with a reason."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Enterprise, User, ViolationRecord
from grading.signals import violation_recorded

FIELDS = ("kind", "occurred_on", "decided_on", "document_no", "description")


def _require_bureau(actor: User, enterprise: Enterprise) -> None:
    if not actor.has_perm("grading.change_enterprise", enterprise):
        raise PermissionDenied(_("只有辖区生态环境部门可以登记违法违规记录"))


@transaction.atomic
def violation_record_add(*, actor: User, enterprise: Enterprise, data: dict) -> ViolationRecord:
    _require_bureau(actor, enterprise)
    record = ViolationRecord(enterprise=enterprise, recorded_by=actor)
    for key in FIELDS:
        if key in data:
            setattr(record, key, data[key])
    record.full_clean()
    today = timezone.localdate()
    if record.occurred_on > today or record.decided_on > today:
        raise ValidationError(_("日期不能晚于今天"))
    if record.decided_on < record.occurred_on:
        raise ValidationError({"decided_on": _("处罚（认定）日期不能早于违法行为发生日期")})
    record.save()
    # R-DYN-1: the review stage opens a downgrade case, in this transaction.
    violation_recorded.send(
        sender=ViolationRecord, record=record, enterprise=enterprise, actor=actor
    )
    event_record(
        code="enterprise.violation_recorded",
        actor=actor,
        target=enterprise,
        summary=_("登记%(kind)s（%(date)s）")
        % {"kind": record.get_kind_display(), "date": record.decided_on},
        data={"record": record.pk, "document_no": record.document_no},
    )
    return record


@transaction.atomic
def violation_revoke(*, actor: User, record: ViolationRecord, reason: str) -> ViolationRecord:
    if not reason.strip():
        raise ValidationError({"reason": _("请说明撤销依据（如行政复议决定书文号）")})
    record = ViolationRecord.objects.select_for_update().get(pk=record.pk)
    _require_bureau(actor, record.enterprise)
    if record.revoked:
        raise ValidationError(_("该记录已撤销"))
    record.revoked = True
    record.save(update_fields=["revoked"])
    event_record(
        code="enterprise.violation_revoked",
        actor=actor,
        target=record.enterprise,
        summary=_("撤销%(kind)s记录（%(date)s）")
        % {"kind": record.get_kind_display(), "date": record.decided_on},
        reason=reason,
        data={"record": record.pk},
    )
    return record
