"""Public reports (举报, R-PUB-2; 002 第十六条, 003 二).

Anyone reports, without an account, that an enterprise's grade or conduct is wrong, with
optional evidence files (checked like every upload) and optional name and contact; a rate
limit per address stands in for a captcha. The report goes to the bureau of the enterprise's
county-level unit, whose designated handlers verify it and record the outcome. Who reported
never appears in the audit trail, a notification, an export or another role's page.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.audit import event_record
from core.notifications import notify
from core.uploads import validate_upload
from grading.models import Enterprise, Region, User
from publication.models import PublicReport, ReportEvidence
from publication.rules import require
from publication.selectors.handlers import handlers_of
from publication.services.anonymous import address_rate_check, receipt_new, without_address
from review.models import DowngradeCase
from review.services.downgrades import downgrade_case_open

logger = logging.getLogger(__name__)

MAX_FILES = 5


def _max_file_bytes() -> int:
    return settings.GRADING.get("REPORT_MAX_FILE_MB", 10) * 1024 * 1024


def report_target(*, uscc: str = "", name: str = "", county: Region | None = None):
    """The enterprise a report names and the county-level unit that handles it: by USCC, or
    by exact name in the chosen county; else unlinked, handled by the chosen county. Whatever
    is found, the reporter is answered the same (a confidential enterprise is not revealed)."""
    enterprise = None
    if uscc:
        enterprise = Enterprise.objects.filter(uscc=uscc.strip().upper()).first()
    if enterprise is None and name and county is not None:
        found = list(Enterprise.objects.filter(name=name.strip(), county=county)[:2])
        enterprise = found[0] if len(found) == 1 else None
    if enterprise is not None:
        return enterprise, enterprise.county
    if county is None or not county.holds_enterprises:
        raise ValidationError({"county": _("请选择企业所在县（市、区）")})
    return None, county


def report_lodge(
    *,
    kind: str,
    content: str,
    enterprise_name: str,
    uscc: str = "",
    county: Region | None = None,
    files=(),
    name: str = "",
    contact: str = "",
) -> PublicReport:
    """Lodge a report; answers it with its public receipt number."""
    if kind not in PublicReport.Kind.values:
        raise ValidationError({"kind": _("请选择举报类型")})
    content = (content or "").strip()
    if len(content) < 10:
        raise ValidationError({"content": _("请具体说明举报内容（至少10个字）")})
    if len(content) > 5000:
        raise ValidationError({"content": _("举报内容不能超过5000字")})
    enterprise_name = (enterprise_name or "").strip()[:200]
    if not enterprise_name and not uscc:
        raise ValidationError({"enterprise_name": _("请填写被举报企业名称")})
    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("证据材料最多%(n)d个文件") % {"n": MAX_FILES}})
    checked = [
        (
            f,
            validate_upload(
                f, original_name=getattr(f, "name", "") or "", max_bytes=_max_file_bytes()
            ),
        )
        for f in files
    ]
    enterprise, handling = report_target(uscc=uscc, name=enterprise_name, county=county)
    address_rate_check("report")
    saved: list[ReportEvidence] = []
    try:
        with transaction.atomic(), without_address():
            report = PublicReport.objects.create(
                receipt=receipt_new("JB"),
                county=handling,
                enterprise=enterprise,
                enterprise_name=enterprise_name or enterprise.name,
                kind=kind,
                content=content,
                reporter_name=(name or "").strip()[:50],
                reporter_contact=(contact or "").strip()[:100],
            )
            for upload, check in checked:
                evidence = ReportEvidence(
                    report=report,
                    original_name=check.safe_name,
                    kind=check.kind,
                    content_type=check.content_type,
                    size=check.size,
                    sha256=check.sha256,
                )
                evidence.file.save(f"report{check.extension}", upload, save=False)
                saved.append(evidence)
                evidence.save()
            # The event names neither the reporter nor the enterprise reported (R-PUB-2).
            event_record(
                code="publication.report.lodged",
                actor=None,
                target=report,
                summary=_("收到公众举报（受理编号%(receipt)s）") % {"receipt": report.receipt},
                data={"county": handling.code, "files": len(checked)},
            )
            notify(
                recipients=handlers_of(handling, role=_staff_role(handling)),
                code="publication.report.lodged",
                message=_("收到一条公众举报，请及时核实处理"),
                url=f"/publication/reports/{report.pk}/",
            )
    except Exception:
        for evidence in saved:  # no orphan file when the report is not kept
            evidence.file.delete(save=False)
        raise
    return report


def _staff_role(region: Region) -> str:
    return User.Role.COUNTY if region.level == Region.Level.COUNTY else User.Role.CITY


def report_downgrade_case_open(*, actor: User, report: PublicReport, note: str) -> str:
    """Open a downgrade case (dynamic adjustment, R-DYN-1) at the enterprise's county for a
    report found true, in the handler's transaction; answers the case's number. The case
    carries the report's receipt and the handler's finding, never the reporter (R-PUB-2)."""
    case = downgrade_case_open(
        actor=actor,
        enterprise=report.enterprise,
        reason=DowngradeCase.Reason.PUBLIC_REPORT,
        detail=note,
        occurred_on=timezone.localdate(report.lodged_at),
        reference=report.receipt,
    )
    return case.number


def _close(report: PublicReport) -> None:
    try:
        report.close()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise ValidationError(_("该举报已办结（可能已被他人处理，请刷新）")) from exc


@transaction.atomic
def report_handle(*, actor: User, report: PublicReport, outcome: str, note: str) -> PublicReport:
    """Record the outcome of the verification: unfounded, re-review opened or downgrade case
    opened."""
    report = PublicReport.objects.select_for_update().get(pk=report.pk)
    require(actor, "publication.handle_report", report)
    if outcome not in PublicReport.Outcome.values:
        raise ValidationError({"outcome": _("请选择核实结果")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写核实情况")})
    _close(report)
    report.outcome = outcome
    report.outcome_note = note
    report.handled_by = actor
    report.handled_at = timezone.now()
    if outcome == PublicReport.Outcome.DOWNGRADE_CASE:
        report.outcome_ref = report_downgrade_case_open(actor=actor, report=report, note=note)
    report.save()
    event_record(
        code="publication.report.handled",
        actor=actor,
        target=report,
        summary=_("举报%(receipt)s核实结果：%(outcome)s")
        % {"receipt": report.receipt, "outcome": report.get_outcome_display()},
        reason=note,
        data={"outcome": outcome, "ref": report.outcome_ref},
    )
    return report
