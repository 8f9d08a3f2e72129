"""Reads of the declarations app, scoped to who asks.

An enterprise sees all its own declarations; bureau staff see the submitted ones (never
drafts) of the enterprises in their jurisdiction; anything else answers 404. The same decision
for one object is the ``declarations.view_declaration`` permission.
"""

from django.db.models import QuerySet
from django.http import Http404

from declarations.models import (
    Batch,
    ChangeReport,
    ChangeReportFile,
    Declaration,
    DeclarationVersion,
    Evidence,
    GuaranteeRemoval,
    IndicatorRow,
)
from grading.jurisdiction import scope_to_viewer
from grading.models import User
from grading.rules import allows


def declaration_list(
    *, viewer: User, status: str = "", year: int | None = None
) -> QuerySet[Declaration]:
    qs = scope_to_viewer(Declaration.objects.all(), viewer, enterprise_path="enterprise")
    if not allows(viewer, "declarations.view_drafts"):
        qs = qs.exclude(status=Declaration.Status.DRAFT).exclude(current_version=0)
    if status:
        qs = qs.filter(status=status)
    if year:
        qs = qs.filter(year=year)
    return qs.select_related("enterprise__county", "industry", "requested_grade", "batch").order_by(
        "-submitted_at", "-created_at", "-id"
    )


def declaration_get(*, viewer: User, pk: int) -> Declaration:
    try:
        return (
            declaration_list(viewer=viewer)
            .select_related(
                "indicator_set__scheme",
                "indicator_set__guideline_version",
                "enterprise__county__parent",
            )
            .get(pk=pk)
        )
    except (Declaration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def version_get(*, viewer: User, declaration_pk: int, number: int) -> DeclarationVersion:
    declaration = declaration_get(viewer=viewer, pk=declaration_pk)
    try:
        return declaration.versions.select_related("declaration__enterprise").get(number=number)
    except (DeclarationVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def evidence_get(*, viewer: User, pk: int) -> Evidence:
    """One evidence file, for download: reachable only through a declaration the viewer sees."""
    try:
        evidence = Evidence.objects.select_related("declaration__enterprise__county").get(pk=pk)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not allows(viewer, "declarations.download_evidence", evidence):
        raise Http404
    return evidence


def indicator_row_list(declaration: Declaration) -> QuerySet[IndicatorRow]:
    """The comparison table (指标对标表) of a declaration the caller already holds, with its
    evidence files."""
    return declaration.indicator_rows.select_related("category").prefetch_related("evidence")


def batch_list() -> QuerySet[Batch]:
    """R-TGT-4: every year's batches and deadlines, latest year first (public to every user)."""
    return Batch.objects.prefetch_related("categories").order_by("-year", "deadline", "id")


def batch_get(*, pk: int) -> Batch:
    try:
        return batch_list().get(pk=pk)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def change_report_list(*, viewer: User, status: str = "") -> QuerySet[ChangeReport]:
    """R-ELIG-5: an enterprise's own change reports; bureau staff those of their jurisdiction."""
    qs = scope_to_viewer(ChangeReport.objects.all(), viewer, enterprise_path="enterprise")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "enterprise__county__parent", "industry", "filed_by", "handled_by"
    ).order_by("-filed_at", "-id")


def change_report_get(*, viewer: User, pk) -> ChangeReport:
    try:
        return change_report_list(viewer=viewer).prefetch_related("files").get(pk=pk)
    except (ChangeReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def change_report_file_get(*, viewer: User, pk) -> ChangeReportFile:
    visible = change_report_list(viewer=viewer).values("pk")
    try:
        return ChangeReportFile.objects.select_related("report").get(pk=pk, report__in=visible)
    except (ChangeReportFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pending_change_reports(*, viewer: User, enterprise) -> QuerySet[ChangeReport]:
    """The enterprise's reports the county has not yet acknowledged or re-reviewed."""
    return change_report_list(viewer=viewer, status=ChangeReport.Status.PENDING).filter(
        enterprise=enterprise
    )


def guarantee_declarations(*, counties, year: int) -> QuerySet[Declaration]:
    """R-GUAR-3: the guarantee list of the year in the given county-level units: the decided
    保障类 declarations whose enterprise has not been removed since. The one data source of
    the guarantee list (the review stage's page, the official list of publication)."""
    return (
        Declaration.objects.filter(
            enterprise__county__in=counties,
            year=year,
            control_type=Declaration.ControlType.GUARANTEE,
            status=Declaration.Status.DECIDED,
            guarantee_removal__isnull=True,
        )
        .select_related("enterprise__county__parent", "industry", "enterprise__overall_grade")
        .order_by("enterprise__county__code", "guarantee_category", "enterprise__name")
    )


def guarantee_removals(*, counties, year: int) -> QuerySet[GuaranteeRemoval]:
    """Enterprises of the given county-level units taken off the year's guarantee list."""
    return (
        GuaranteeRemoval.objects.filter(enterprise__county__in=counties, declaration__year=year)
        .select_related("enterprise__county", "declaration", "removed_by")
        .order_by("-removed_on", "-id")
    )
