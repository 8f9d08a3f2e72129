"""Requesting and rendering the bureaus' Excel files (``ExportFile``): the request is a
service with its audit event; the worker (``publication.tasks.render_export``) writes the file
to a temporary name and offers it only when complete. Each request is its own file."""

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import event_record
from core.jobs import broker_check, job_enqueue
from grading.models import Region, User
from publication.models import ExportFile
from publication.rules import require

logger = logging.getLogger(__name__)


def _writers():
    from publication.excel import official, positive

    return {
        ExportFile.Kind.POSITIVE: positive.write,
        ExportFile.Kind.IMPROVEMENT: official.write_improvement,
        ExportFile.Kind.DECLARATION: official.write_declaration,
        ExportFile.Kind.PROVINCE_AB: official.write_province_ab,
        ExportFile.Kind.GUARANTEE: official.write_guarantee,
    }


ALL_LEVELS = {Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY}
#: The level of region each list is drawn up for: the improvement list by any bureau (001
#: 四(二)), the declaration list by a county (or its city, 002 第十条(2)), the A/B/引领性 list
#: by a city for the province (001 四(三)), the guarantee-class list per city (002 第十条(4)).
LEVELS = {
    ExportFile.Kind.POSITIVE: ALL_LEVELS,
    ExportFile.Kind.IMPROVEMENT: ALL_LEVELS,
    ExportFile.Kind.DECLARATION: {Region.Level.CITY, Region.Level.COUNTY},
    ExportFile.Kind.PROVINCE_AB: {Region.Level.PROVINCE, Region.Level.CITY},
    ExportFile.Kind.GUARANTEE: {Region.Level.CITY},
}


@transaction.atomic
def export_request(
    *, actor: User, kind: str, region: Region, year: int | None = None, params: dict | None = None
) -> ExportFile:
    if kind not in LEVELS:
        raise ValidationError({"kind": _("请选择清单")})
    require(actor, "publication.request_export", region)
    month = (params or {}).get("month")
    if month is not None and not (isinstance(month, int) and 1 <= month <= 12):
        raise ValidationError({"month": _("月份应为1至12")})
    if region.level not in LEVELS[kind]:
        raise ValidationError(
            {"region": _("%(kind)s不按该级区划编制") % {"kind": ExportFile.Kind(kind).label}}
        )
    broker_check()
    export = ExportFile.objects.create(
        kind=kind,
        region=region,
        year=year or timezone.localdate().year,
        params=params or {},
        requested_by=actor,
    )
    event_record(
        code="publication.export.requested",
        actor=actor,
        target=export,
        summary=_("导出%(kind)s（%(region)s，%(year)d年）")
        % {"kind": export.get_kind_display(), "region": region.name, "year": export.year},
        data={"kind": kind, "region": region.code, "year": export.year},
    )
    from publication.tasks import render_export  # the worker's task imports the services

    transaction.on_commit(lambda: job_enqueue(render_export, export.pk))
    return export


def export_render(export_pk: int) -> str:
    """Write one requested file; a file already written is left alone."""
    export = ExportFile.objects.select_related("region__parent").get(pk=export_pk)
    if export.status == ExportFile.Status.READY and export.file:
        return export.sha256
    ExportFile.objects.filter(pk=export_pk).update(status=ExportFile.Status.RUNNING, error="")
    fd, tmp = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    path = Path(tmp)
    try:
        count = _writers()[export.kind](export, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with transaction.atomic():
            export = ExportFile.objects.select_for_update().get(pk=export_pk)
            if export.status == ExportFile.Status.READY and export.file:
                return export.sha256
            with path.open("rb") as fh:
                export.file.save(
                    f"{export.kind}-{export.region.code}-{export.year}-{export.pk}.xlsx",
                    File(fh),
                    save=False,
                )
            export.sha256 = digest
            export.rows = count
            export.status = ExportFile.Status.READY
            export.rendered_at = timezone.now()
            export.save(update_fields=["file", "sha256", "rows", "status", "rendered_at"])
        return digest
    except Exception as exc:
        logger.exception("export %s failed", export_pk)
        ExportFile.objects.filter(pk=export_pk).update(
            status=ExportFile.Status.FAILED, error=str(exc)[:300]
        )
        raise
    finally:
        path.unlink(missing_ok=True)


def export_file_name(export: ExportFile) -> str:
    return f"{export.region.name}{export.get_kind_display()}（{export.year}年）.xlsx"
