"""The county's re-review of a change report (/api/v1/review/change-reports/<id>/re-review/;
R-ELIG-5): opens a downgrade case with the reason of a change, answered with the case."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api.changes import ChangeNoteSerializer
from declarations.models import ChangeReport
from declarations.selectors import change_report_get
from review.api.downgrades import DowngradeCaseSerializer
from review.selectors.downgrades import downgrade_get
from review.services.change_reports import change_report_re_review


class ChangeReportReviewViewSet(viewsets.GenericViewSet):
    """What the review stage does with a change report."""

    queryset = ChangeReport.objects.none()
    serializer_class = ChangeNoteSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    @extend_schema(request=ChangeNoteSerializer, responses={201: DowngradeCaseSerializer})
    @action(detail=True, methods=["post"], url_path="re-review")
    def re_review(self, request, pk=None):
        """R-ELIG-5: the county re-reviews the grade; a downgrade case is opened."""
        report = change_report_get(viewer=request.user, pk=pk)
        serializer = ChangeNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = change_report_re_review(
            actor=request.user, report=report, note=serializer.validated_data["note"]
        )
        data = DowngradeCaseSerializer(
            downgrade_get(viewer=request.user, pk=case.pk, record=True)
        ).data
        return Response(data, status=status.HTTP_201_CREATED)
