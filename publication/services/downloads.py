"""Excel and PDF downloads of a published list version (R-PUB-1), rendered by the worker
(``publication.tasks.render_version_file``) as review's approval forms are: each request a new
row with its own file, a render that re-checks under a lock, a file written to a temporary name
and renamed, so no partial file is ever offered.

A file holds what the public may see when it is rendered. The rows of a version never change,
but an enterprise may be withheld later (R-DECL-5): ``rows_digest`` records which enterprises
the file holds, and a download whose digest no longer matches is rendered again."""

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.documents import render_pdf
from core.jobs import job_enqueue
from emergency_list.excel.cells import safe_cell, safe_text
from publication.models import ListVersion, VersionFile
from publication.selectors.lists import public_rows
from publication.selectors.public import bureau_name as bureau

logger = logging.getLogger(__name__)

COLUMNS = [
    ("序号", 6),
    ("省辖市", 10),
    ("县（市、区）", 14),
    ("企业名称", 40),
    ("统一社会信用代码", 22),
    ("行业", 18),
    ("绩效等级", 14),
    ("评定日期", 12),
]
PDF_TEMPLATE = "publication/list_pdf.html"


def rows_digest(usccs) -> str:
    return hashlib.sha256("\n".join(sorted(set(usccs))).encode()).hexdigest()


def current_digest(version: ListVersion) -> str:
    """The digest of the enterprises of ``version`` the public may see now."""
    return rows_digest(public_rows(version=version).values_list("uscc", flat=True))


@transaction.atomic
def version_file_request(*, version: ListVersion, fmt: str) -> VersionFile:
    last = (
        VersionFile.objects.select_for_update()
        .filter(version=version, format=fmt)
        .aggregate(m=Max("revision"))["m"]
        or 0
    )
    row = VersionFile.objects.create(version=version, format=fmt, revision=last + 1)
    from publication.tasks import render_version_file  # the worker's task imports services

    transaction.on_commit(lambda: job_enqueue(render_version_file, row.pk))
    return row


def version_files_request(*, version: ListVersion) -> list[VersionFile]:
    return [version_file_request(version=version, fmt=f) for f in VersionFile.Format.values]


def download_for(*, version: ListVersion, fmt: str) -> VersionFile | None:
    """The file to offer for ``version`` in ``fmt``: the newest ready one that still holds
    exactly what the public may see. When there is none, a render is requested (unless one is
    on its way) and None is answered."""
    digest = current_digest(version)
    files = VersionFile.objects.filter(version=version, format=fmt).order_by("-revision")
    ready = files.filter(status=VersionFile.Status.READY, rows_digest=digest).first()
    if ready is not None:
        return ready
    on_its_way = files.filter(
        status__in=[VersionFile.Status.PENDING, VersionFile.Status.RUNNING]
    ).exists()
    if not on_its_way:
        version_file_request(version=version, fmt=fmt)
    return None


def _date(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _write_xlsx(version: ListVersion, rows, path: Path) -> tuple[int, list[str]]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名单")
    for i, (_label, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A4"
    title = safe_cell(ws, f"{version.title}（第{version.number}版）")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    ws.append([f"发布单位：{bureau(version.issuer)}    发布日期：{_date(version.published_on)}"])
    header = []
    for label, _width in COLUMNS:
        cell = safe_cell(ws, label)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    usccs = []
    for n, row in enumerate(rows.iterator(chunk_size=2000), 1):
        usccs.append(row.uscc)
        ws.append(
            [
                n,
                safe_text(row.city_name, ws=ws),
                safe_text(row.county_name, ws=ws),
                safe_text(row.enterprise_name, ws=ws),
                safe_text(row.uscc, ws=ws),
                safe_text(row.industry_name, ws=ws),
                safe_text(row.grade_name, ws=ws),
                row.effective_from.isoformat(),
            ]
        )
    wb.save(path)
    return len(usccs), usccs


def _write_pdf(version: ListVersion, rows, path: Path) -> tuple[int, list[str]]:
    rows = list(rows)
    pdf = render_pdf(
        template=PDF_TEMPLATE,
        context={
            "version": version,
            "rows": rows,
            "published_on": _date(version.published_on),
            "issuer_bureau": bureau(version.issuer),
        },
    )
    path.write_bytes(pdf)
    return len(rows), [r.uscc for r in rows]


def version_file_render(file_pk: int) -> str:
    """Render one VersionFile row; a row already rendered is left alone (a redelivered task
    does nothing); a failure marks the row failed and re-raises for the worker to log."""
    row = VersionFile.objects.select_related("version__issuer").get(pk=file_pk)
    if row.status == VersionFile.Status.READY and row.file:
        return row.sha256
    VersionFile.objects.filter(pk=file_pk).update(status=VersionFile.Status.RUNNING, error="")
    version = row.version
    fd, tmp = tempfile.mkstemp(suffix=f".{row.format}")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        rows = public_rows(version=version)
        writer = _write_xlsx if row.format == VersionFile.Format.XLSX else _write_pdf
        count, usccs = writer(version, rows, tmp_path)
        digest = hashlib.sha256(tmp_path.read_bytes()).hexdigest()
        with transaction.atomic():
            row = VersionFile.objects.select_for_update().get(pk=file_pk)
            if row.status == VersionFile.Status.READY and row.file:
                return row.sha256  # rendered meanwhile by another worker
            name = f"{version.issuer.code}-{version.tier}-v{version.number}-r{row.revision}"
            with tmp_path.open("rb") as fh:
                row.file.save(f"{name}.{row.format}", File(fh), save=False)
            row.sha256 = digest
            row.rows = count
            row.rows_digest = rows_digest(usccs)
            row.status = VersionFile.Status.READY
            row.rendered_at = timezone.now()
            row.save(
                update_fields=["file", "sha256", "rows", "rows_digest", "status", "rendered_at"]
            )
        return digest
    except Exception as exc:
        logger.exception("list version file %s failed to render", file_pk)
        VersionFile.objects.filter(pk=file_pk).update(
            status=VersionFile.Status.FAILED, error=str(exc)[:300]
        )
        raise
    finally:
        tmp_path.unlink(missing_ok=True)
