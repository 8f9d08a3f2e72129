"""All 一厂一策 plans and signboards of a county's list as one archive (R-LIST-4, R-LIST-5),
built by a worker as an ``ExcelJob`` of kind ``bundle`` (the same job page, progress and
download as the list's Excel jobs). Each entry contributes the plan and the signboard of its
current version, rendered first where they are missing."""

import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import event_record
from emergency_list.excel.export import file_sha256
from emergency_list.models import EntryDocument, ExcelJob, ListEntry
from emergency_list.services.documents import KINDS, document_render_and_record
from grading.models import Region, User
from grading.rules import allows

KIND_NAMES = {"plan": "一厂一策实施方案", "signboard": "公示牌"}


def bundle_request(*, actor: User, county: Region, year: int) -> ExcelJob:
    """Queue the archive of a county's plans and signboards for ``year``: the bureaus whose
    jurisdiction covers the county (``emergency_list.export_list``)."""
    if not county.holds_enterprises:
        raise ValidationError({"county": _("请选择县（市、区）级单位")})
    if not allows(actor, "emergency_list.export_list", county):
        raise PermissionDenied(_("只有辖区生态环境部门可以打包下载一厂一策和公示牌"))
    from emergency_list.tasks.bundles import build_bundle

    with transaction.atomic():
        job = ExcelJob.objects.create(
            kind=ExcelJob.Kind.BUNDLE, region=county, year=year, requested_by=actor
        )
        event_record(
            code="list.bundle.requested",
            actor=actor,
            target=job,
            summary=_("打包%(county)s%(year)s年一厂一策实施方案及公示牌")
            % {"county": county.name, "year": year},
        )
        transaction.on_commit(lambda: build_bundle.delay(job.pk))
    return job


def bundle_file_name(job: ExcelJob) -> str:
    return f"list_bundles/{job.region.code}-{job.year}-{job.pk}.zip"


def _current_document(entry: ListEntry, kind: str) -> EntryDocument:
    found = (
        EntryDocument.objects.filter(entry=entry, kind=kind, revision=entry.revision)
        .order_by("-id")
        .first()
    )
    if found is not None and default_storage.exists(found.path):
        return found
    return document_render_and_record(entry, kind)


def _safe(name: str) -> str:
    return "".join("_" if c in '\\/:*?"<>|' else c for c in name).strip() or "企业"


def bundle_build(
    *, county: Region, year: int, out_path: Path, progress: Callable[[int, int], None] | None
) -> dict:
    """Write the archive to ``out_path``: per entry a folder named after the enterprise with its
    plan and signboard of the entry's current version. Returns counts."""
    entries = list(
        ListEntry.objects.filter(county=county, year=year)
        .select_related("enterprise")
        .order_by("enterprise__name", "id")
    )
    files = 0
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_STORED) as archive:
        for i, entry in enumerate(entries, start=1):
            folder = f"{_safe(entry.enterprise.name)}-{entry.enterprise.uscc or entry.pk}"
            for kind in KINDS:
                doc = _current_document(entry, kind)
                with default_storage.open(doc.path, "rb") as fh:
                    archive.writestr(
                        f"{folder}/{KIND_NAMES[kind]}-第{doc.revision}版.pdf", fh.read()
                    )
                files += 1
            if progress:
                progress(i, len(entries))
    return {"entries": len(entries), "files": files}


def bundle_write(job: ExcelJob, progress=None) -> tuple[str, str, dict]:
    """Build the job's archive in a scratch file of the worker and save it through the storage
    API (local folder or object storage) when whole; returns (stored name, sha256, counts).
    Nothing is left behind on failure."""
    fd, scratch = tempfile.mkstemp(prefix="list-bundle-", suffix=".zip.part")
    os.close(fd)
    temp = Path(scratch)
    try:
        counts = bundle_build(county=job.region, year=job.year, out_path=temp, progress=progress)
        digest = file_sha256(temp)
        name = bundle_file_name(job)
        if default_storage.exists(name):
            default_storage.delete(name)
        with temp.open("rb") as fh:
            name = default_storage.save(name, File(fh))
    finally:
        temp.unlink(missing_ok=True)
    return name, digest, counts
