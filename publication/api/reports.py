"""Public reports (R-PUB-2) for the handling bureau (/api/v1/publication/reports/): who
reported is answered only to its designated handlers."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import BlankChoicesMixin
from declarations.api import RejectUnknownFieldsMixin
from publication.models import PublicReport
from publication.rules import allows, refusal
from publication.selectors.reports import report_get, report_list
from publication.services.reports import report_handle


class ReportSerializer(BlankChoicesMixin, serializers.ModelSerializer):
    county = serializers.CharField(source="county.code")
    enterprise = serializers.IntegerField(source="enterprise_id", allow_null=True)
    reporter_name = serializers.SerializerMethodField()
    reporter_contact = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = PublicReport
        fields = [
            "id",
            "receipt",
            "county",
            "enterprise",
            "enterprise_name",
            "kind",
            "content",
            "lodged_at",
            "status",
            "outcome",
            "outcome_note",
            "outcome_ref",
            "handled_at",
            "reporter_name",
            "reporter_contact",
            "evidence",
        ]
        read_only_fields = fields

    def _sees(self, obj) -> bool:
        return allows(self.context["request"].user, "publication.handle_report", obj)

    def get_reporter_name(self, obj) -> str | None:
        """Only for the bureau's designated handlers (R-PUB-2); null for everyone else."""
        return obj.reporter_name if self._sees(obj) else None

    def get_reporter_contact(self, obj) -> str | None:
        return obj.reporter_contact if self._sees(obj) else None

    def get_evidence(self, obj) -> list[dict]:
        if not self._sees(obj):
            return []
        return [
            {
                "name": e.original_name,
                "size": e.size,
                "url": f"/publication/reports/{obj.pk}/evidence/{e.pk}/",
            }
            for e in obj.evidence.all()
        ]


class ReportHandleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=PublicReport.Outcome.choices)
    note = serializers.CharField(allow_blank=True)


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer
    queryset = PublicReport.objects.none()
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PublicReport.objects.none()
        user = self.request.user
        if not allows(user, "publication.view_reports"):
            raise PermissionDenied(refusal(user, "publication.view_reports"))
        return report_list(viewer=user).prefetch_related("evidence")

    def get_object(self):
        return report_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=ReportHandleSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        """Record the outcome: unfounded, re_review or downgrade_case."""
        report = self.get_object()
        serializer = ReportHandleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report_handle(
            actor=request.user,
            report=report,
            outcome=serializer.validated_data["outcome"],
            note=serializer.validated_data["note"],
        )
        return Response(ReportSerializer(self.get_object(), context={"request": request}).data)
