"""Reads of public reports: the handling bureau's own (404 for everyone else)."""

from django.db.models import QuerySet
from django.http import Http404

from grading.models import User
from publication.models import PublicReport, ReportEvidence
from publication.rules import allows


def report_list(*, viewer: User, status: str = "") -> QuerySet[PublicReport]:
    """The reports sent to the viewer's county-level bureau; nothing for anyone else."""
    if not allows(viewer, "publication.view_reports") or viewer.region_id is None:
        return PublicReport.objects.none()
    qs = PublicReport.objects.filter(county_id=viewer.region_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("county", "enterprise", "handled_by").order_by("-lodged_at", "-pk")


def report_get(*, viewer: User, pk: int) -> PublicReport:
    try:
        return report_list(viewer=viewer).get(pk=pk)
    except (PublicReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def evidence_get(*, viewer: User, report: PublicReport, pk: int) -> ReportEvidence:
    """A file of the report, for the designated handlers only (it may show who reported)."""
    if not allows(viewer, "publication.handle_report", report):
        raise Http404
    try:
        return report.evidence.get(pk=pk)
    except (ReportEvidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
