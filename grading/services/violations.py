"""Penalty and violation records the bureaus keep (R-ELIG-1, R-ELIG-2, R-ELIG-3, R-DYN-1).
Records are never deleted; a record overturned on appeal is revoked with a reason."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from grading.models import Enterprise, GradeRecord, User, ViolationRecord
from grading.rules import allows
from grading.services.grades import grade_record_add, industry_lowest_grade
from grading.signals import violation_recorded

FIELDS = ("kind", "occurred_on", "decided_on", "document_no", "description")
#: R-ELIG-3: concealment, false material or bribery: graded at the lowest grade directly.
FRAUD_KINDS = (ViolationRecord.Kind.FALSE_MATERIAL, ViolationRecord.Kind.BRIBERY)


def _require(perm: str, actor: User, enterprise: Enterprise) -> None:
    if not allows(actor, perm, enterprise):
        raise PermissionDenied(_("只有辖区生态环境部门可以登记违法违规记录"))


@transaction.atomic
def violation_record_add(*, actor: User, enterprise: Enterprise, data: dict) -> ViolationRecord:
    _require("grading.record_violation", actor, enterprise)
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
    if record.kind in FRAUD_KINDS:
        _fraud_finding_apply(actor=actor, record=record)
    return record


def _fraud_finding_apply(*, actor: User, record: ViolationRecord) -> None:
    """R-ELIG-3: a fraud finding puts every industry of the enterprise at the lowest grade of
    its scheme at once (a lowering record, so R-ELIG-1's year runs from it); the finding itself
    stays on the integrity record (诚信档案)."""
    enterprise = record.enterprise
    on = timezone.localdate()
    for row in enterprise.industries.select_related("industry", "current_grade"):
        lowest = industry_lowest_grade(row.industry, on)
        if row.current_grade_id == lowest.pk:
            continue
        grade_record_add(
            actor=actor,
            enterprise=enterprise,
            industry=row.industry,
            grade=lowest,
            effective_from=on,
            source=GradeRecord.Source.FRAUD,
            source_ref=record.document_no or _("违法违规记录%d") % record.pk,
            reason=record.description,
        )


@transaction.atomic
def violation_revoke(*, actor: User, record: ViolationRecord, reason: str) -> ViolationRecord:
    if not reason.strip():
        raise ValidationError({"reason": _("请说明撤销依据（如行政复议决定书文号）")})
    record = ViolationRecord.objects.select_for_update().get(pk=record.pk)
    _require("grading.revoke_violation", actor, record.enterprise)
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
