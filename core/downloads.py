"""Serving stored files: every download is an audit event (等保三级, issue 11 item 4).

Views call ``file_download`` after a selector has decided the file is in the viewer's reach
now (issue 11 item 7: access follows the current jurisdiction, never who asked for the file).
"""

from typing import IO, Any

from django.db import models
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import event_record

#: What may be downloaded, by audit code (``download.<kind>``), with its name on the trail.
KINDS = {
    "evidence": gettext_lazy("证明材料"),
    "package": gettext_lazy("申报材料PDF"),
    "approval_form": gettext_lazy("审批表"),
    "case_form": gettext_lazy("意见表"),
    "appeal_file": gettext_lazy("申诉材料"),
    "entry_document": gettext_lazy("一厂一策及公示牌"),
    "list_export": gettext_lazy("清单导出"),
    "list_documents": gettext_lazy("一厂一策及公示牌汇总包"),
    "list_diff": gettext_lazy("清单版本对比"),
    "alert_export": gettext_lazy("预警测算导出"),
    "export": gettext_lazy("导出文件"),
    "report_evidence": gettext_lazy("举报材料"),
}


def download_record(*, actor: Any, target: models.Model | None, kind: str, filename: str) -> None:
    """Put one download of ``filename`` (about ``target``) on the audit trail."""
    if kind not in KINDS:
        raise ValueError(kind)
    event_record(
        code=f"download.{kind}",
        actor=actor,
        target=target,
        summary=_("下载%(kind)s：%(name)s") % {"kind": KINDS[kind], "name": filename},
        data={"filename": filename},
    )


def file_download(
    request: HttpRequest,
    *,
    target: models.Model | None,
    kind: str,
    file: IO[bytes],
    filename: str,
    content_type: str | None = None,
    as_attachment: bool = True,
    sha256: str = "",
) -> FileResponse:
    """The response serving ``file``, recorded as a download by ``request.user``; never cached
    by shared caches."""
    download_record(actor=request.user, target=target, kind=kind, filename=filename)
    response = FileResponse(
        file, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if sha256:
        response["X-Checksum-SHA256"] = sha256
    return response
