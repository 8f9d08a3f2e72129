"""The county's re-review of a change report (R-ELIG-5): a change of production equipment or
treatment facilities the county does not simply acknowledge opens a downgrade case with the
reason 生产设备或污染治理设施变更复核, which goes to an expert second review before the county
decides (downgrade to a named grade, lowest grade, or no change, R-DYN-1). The report records
the case number; the enterprise's pages stop showing it as pending."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from declarations.models import ChangeReport
from declarations.rules import require
from declarations.services.changes import change_report_mark_re_review
from grading.models import User
from review.models import DowngradeCase
from review.services.downgrades import downgrade_case_open


@transaction.atomic
def change_report_re_review(*, actor: User, report: ChangeReport, note: str) -> DowngradeCase:
    """R-ELIG-5: the enterprise's county re-reviews the grade in the light of the change."""
    require(actor, "declarations.handle_change_report", report)
    if not note.strip():
        raise ValidationError({"note": _("请填写县级意见")})
    case = downgrade_case_open(
        actor=None,
        recorded_by=actor,
        enterprise=report.enterprise,
        industry=report.industry,
        reason=DowngradeCase.Reason.CHANGE,
        detail=f"{report.get_kind_display()}：{report.description}\n{note.strip()}",
        occurred_on=report.changed_on,
        reference=report.number,
    )
    change_report_mark_re_review(actor=actor, report=report, note=note, reference=case.number)
    return case
