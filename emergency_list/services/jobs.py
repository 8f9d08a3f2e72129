"""Excel jobs of the list: asking for an export, uploading a county's list, confirming its
import. The work itself runs on a Celery worker (emergency_list.tasks.excel), queued when the
transaction that records the request commits."""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from core.jobs import broker_check, job_enqueue
from core.uploads import validate_upload
from emergency_list.models import ExcelJob
from grading.models import Region, User
from grading.rules import allows

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def export_request(*, actor: User, region: Region, year: int) -> ExcelJob:
    """Queue the list of a county, a city or the province for ``year``: bureau staff whose
    jurisdiction covers the whole region (``emergency_list.export_list``)."""
    if not allows(actor, "emergency_list.view_excel_jobs"):
        raise PermissionDenied(_("只有辖区生态环境部门可以导出应急减排清单"))
    if not allows(actor, "emergency_list.export_list", region):
        raise PermissionDenied(_("所选范围不在您的管辖范围内"))
    broker_check()
    from emergency_list.tasks.excel import export_list

    with transaction.atomic():
        job = ExcelJob.objects.create(
            kind=ExcelJob.Kind.EXPORT, region=region, year=year, requested_by=actor
        )
        event_record(
            code="list.export.requested",
            actor=actor,
            target=job,
            summary=_("导出%(region)s%(year)s年应急减排清单")
            % {"region": region.name, "year": year},
        )
        transaction.on_commit(lambda: job_enqueue(export_list, job.pk))
    return job


def import_upload(*, actor: User, county: Region, year: int, upload) -> ExcelJob:
    """Store a county's list workbook (checked by content: an xlsx of at most 20 MB, no zip
    bomb) and queue its validation; nothing of the list is written until ``import_confirm``."""
    if not county.holds_enterprises:
        raise ValidationError({"county": _("请选择县（市、区）级单位")})
    if not allows(actor, "emergency_list.import_list", county):
        raise PermissionDenied(_("只有辖区生态环境部门可以导入应急减排清单"))
    checked = validate_upload(
        upload, original_name=getattr(upload, "name", "") or "", max_bytes=MAX_UPLOAD_BYTES
    )
    if checked.kind != "xlsx":
        raise ValidationError(_("请上传平台清单格式的Excel文件（xlsx）"), code="not_xlsx")
    broker_check()
    from emergency_list.tasks.excel import import_list

    with transaction.atomic():
        job = ExcelJob(
            kind=ExcelJob.Kind.IMPORT,
            region=county,
            year=year,
            requested_by=actor,
            report={"original_name": checked.safe_name, "upload_sha256": checked.sha256},
        )
        job.upload.save(
            f"{county.code}-{year}-{uuid.uuid4().hex[:12]}.xlsx", File(upload), save=False
        )
        job.save()
        event_record(
            code="list.import.uploaded",
            actor=actor,
            target=job,
            summary=_("上传%(county)s%(year)s年应急减排清单：%(name)s")
            % {"county": county.name, "year": year, "name": checked.safe_name},
            data={"sha256": checked.sha256, "size": checked.size},
        )
        transaction.on_commit(lambda: job_enqueue(import_list, job.pk, False))
    return job


@transaction.atomic
def import_confirm(*, actor: User, job: ExcelJob) -> ExcelJob:
    """Import a validated upload (the user has seen its report); queued, one transaction."""
    job = ExcelJob.objects.select_for_update().select_related("region").get(pk=job.pk)
    if job.kind != ExcelJob.Kind.IMPORT:
        raise ValidationError(_("该任务不是清单导入任务"))
    if not allows(actor, "emergency_list.confirm_import", job):
        raise PermissionDenied(_("只有辖区生态环境部门可以导入应急减排清单"))
    if job.status != ExcelJob.Status.VALIDATED or not job.report.get("ok"):
        raise ValidationError(_("清单文件尚未通过校验，不能导入"), code="not_validated")
    broker_check()
    from emergency_list.tasks.excel import import_list

    job.status = ExcelJob.Status.PENDING
    job.progress = 0
    job.report = {**job.report, "confirmed_by": actor.pk}
    job.save(update_fields=["status", "progress", "report"])
    event_record(
        code="list.import.confirmed",
        actor=actor,
        target=job,
        summary=_("确认导入%(county)s%(year)s年应急减排清单")
        % {"county": job.region.name, "year": job.year},
    )
    transaction.on_commit(lambda: job_enqueue(import_list, job.pk, True))
    return job
