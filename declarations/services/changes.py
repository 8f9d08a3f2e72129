"""Change reports (R-ELIG-5; 002 第十二条): after grading, an enterprise that changes its
production equipment or treatment facilities reports what changed, when, with files. The
county of the enterprise acknowledges the report (the grade stands) or opens a re-review (the
review app's ``change_report_re_review``, which calls ``change_report_mark_re_review`` here in
its own transaction). Until the county has done either, the report is pending and the
enterprise's pages show it."""

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.notifications import notify
from core.uploads import validate_upload
from declarations.models import ChangeReport, ChangeReportFile
from declarations.rules import require
from grading.models import Enterprise, EnterpriseIndustry, Industry, User

MAX_FILES = 10
MAX_FILE_BYTES = 20 * 1024 * 1024
FILE_KINDS = ("pdf", "jpeg", "png", "docx", "xlsx")


def _county_staff(enterprise: Enterprise):
    return User.objects.filter(role=User.Role.COUNTY, region=enterprise.county, is_active=True)


def _transition(report: ChangeReport, name: str) -> None:
    try:
        getattr(report, name)()
        report.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(
            _("变更报告当前为“%s”，不能再处理（可能已被他人处理，请刷新）")
            % report.get_status_display()
        ) from exc


def checked_files(files: list | None) -> list:
    """Each upload checked by its content (``core.uploads``), as every upload is."""
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("最多上传%d个文件") % MAX_FILES})
    checked = []
    for upload in files:
        result = validate_upload(
            upload, original_name=getattr(upload, "name", ""), max_bytes=MAX_FILE_BYTES
        )
        if result.kind not in FILE_KINDS:
            raise ValidationError({"files": _("变更材料仅支持 PDF、JPG、PNG、Word、Excel 格式")})
        checked.append((upload, result))
    return checked


@transaction.atomic
def change_report_file(
    *,
    actor: User,
    enterprise: Enterprise,
    industry: Industry,
    kind: str,
    description: str,
    changed_on: date,
    files: list | None = None,
) -> ChangeReport:
    """R-ELIG-5: a graded enterprise reports a change of production equipment or treatment
    facilities of one of its graded industries; the county is told."""
    require(actor, "declarations.file_change_report", enterprise)
    if kind not in ChangeReport.Kind.values:
        raise ValidationError({"kind": _("请选择变更类型")})
    if not description.strip():
        raise ValidationError({"description": _("请说明变更内容")})
    if changed_on > timezone.localdate():
        raise ValidationError({"changed_on": _("变更日期不能晚于今天")})
    graded = EnterpriseIndustry.objects.filter(
        enterprise=enterprise, industry=industry, current_grade__isnull=False
    ).exists()
    if not graded:
        raise ValidationError({"industry": _("变更报告适用于已评定绩效等级的行业，该行业尚无等级")})
    checked = checked_files(files)
    report = ChangeReport.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:14]}",
        enterprise=enterprise,
        industry=industry,
        kind=kind,
        description=description.strip(),
        changed_on=changed_on,
        filed_by=actor,
    )
    report.number = f"BG{timezone.localdate().year}{report.pk:06d}"
    report.save(update_fields=["number"])
    for upload, result in checked:
        row = ChangeReportFile(
            report=report,
            name=result.safe_name[:200],
            extension=result.extension,
            content_type=result.content_type,
            size=result.size,
            sha256=result.sha256,
            uploaded_by=actor,
        )
        row.file.save(f"file{result.extension}", upload, save=False)
        row.save()
    summary = _("报告%(kind)s（%(on)s）") % {
        "kind": report.get_kind_display(),
        "on": changed_on.isoformat(),
    }
    event_record(
        code="declarations.change_report.filed",
        actor=actor,
        target=report,
        summary=summary,
        reason=report.description,
        data={"files": len(checked)},
    )
    event_record(
        code="enterprise.change_reported",
        actor=actor,
        target=enterprise,
        summary=f"{report.number}：{summary}",
        data={"report": report.pk},
    )
    notify(
        recipients=_county_staff(enterprise),
        code="declarations.change_report.filed",
        message=_("%(ent)s 报告%(kind)s（%(number)s），请确认或启动复核")
        % {"ent": enterprise.name, "kind": report.get_kind_display(), "number": report.number},
        url=f"/declarations/changes/{report.pk}/",
    )
    return report


def _lock(report: ChangeReport) -> ChangeReport:
    return (
        ChangeReport.objects.select_for_update(of=("self",))
        .select_related("enterprise__county", "industry")
        .get(pk=report.pk)
    )


def _handled(report: ChangeReport, *, actor: User, note: str, code: str, summary: str) -> None:
    report.handled_by = actor
    report.handled_at = timezone.now()
    report.handling_note = note.strip()
    event_record(code=code, actor=actor, target=report, summary=summary, reason=note)
    event_record(
        code=code,
        actor=actor,
        target=report.enterprise,
        summary=f"{report.number}：{summary}",
        data={"report": report.pk},
    )
    notify(
        recipients=report.enterprise.users.filter(is_active=True),
        code=code,
        message=f"{report.number}：{summary}",
        url=f"/declarations/changes/{report.pk}/",
    )


@transaction.atomic
def change_report_acknowledge(*, actor: User, report: ChangeReport, note: str) -> ChangeReport:
    """R-ELIG-5: the county takes note of the change; the grade stands."""
    report = _lock(report)
    require(actor, "declarations.handle_change_report", report)
    if not note.strip():
        raise ValidationError({"note": _("请填写县级意见")})
    _transition(report, "acknowledge")
    _handled(
        report,
        actor=actor,
        note=note,
        code="declarations.change_report.acknowledged",
        summary=_("县级已确认变更，绩效等级不变"),
    )
    report.save(update_fields=["handled_by", "handled_at", "handling_note"])
    return report


def change_report_mark_re_review(
    *, actor: User, report: ChangeReport, note: str, reference: str
) -> ChangeReport:
    """R-ELIG-5: the county opened a re-review of the grade (``reference``: its case number).
    Called by the review stage inside its transaction, after its own checks."""
    report = _lock(report)
    require(actor, "declarations.handle_change_report", report)
    if not note.strip():
        raise ValidationError({"note": _("请填写县级意见")})
    report.re_review_ref = reference
    _transition(report, "open_re_review")
    _handled(
        report,
        actor=actor,
        note=note,
        code="declarations.change_report.re_review",
        summary=_("县级启动复核，等级待复核结果确定"),
    )
    report.save(update_fields=["handled_by", "handled_at", "handling_note", "re_review_ref"])
    return report
