"""Change reports (/api/v1/declarations/change-reports/; R-ELIG-5): an enterprise files one
(multipart, with files) for a graded industry and sees its own; bureau staff see those of
their jurisdiction and the county acknowledges one (the re-review is the review stage's
``/api/v1/review/change-reports/<id>/re-review/``). Anything out of reach answers 404."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.audit import event_list_for
from declarations.api.inputs import RejectUnknownFieldsMixin
from declarations.models import ChangeReport, ChangeReportFile
from declarations.rules import require
from declarations.selectors import change_report_get, change_report_list
from declarations.services import changes
from grading.models import Industry


class ChangeReportFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ChangeReportFile
        fields = ["id", "name", "content_type", "size", "sha256", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("declarations:change-file", args=[obj.pk])


class ChangeStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    code = serializers.CharField()
    summary = serializers.CharField()
    reason = serializers.CharField()


class ChangeReportSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    industry = serializers.CharField(source="industry.code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    files = ChangeReportFileSerializer(many=True, read_only=True)
    steps = serializers.SerializerMethodField(help_text="每一步（企业可见）")

    class Meta:
        model = ChangeReport
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "industry",
            "kind",
            "kind_display",
            "description",
            "changed_on",
            "status",
            "status_display",
            "filed_at",
            "handled_at",
            "handling_note",
            "re_review_ref",
            "files",
            "steps",
        ]
        read_only_fields = fields

    @extend_schema(responses=ChangeStepSerializer(many=True))
    def get_steps(self, obj) -> list:
        return ChangeStepSerializer(event_list_for(obj).order_by("at", "id"), many=True).data


class ChangeReportCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    industry = serializers.SlugRelatedField(
        slug_field="code", queryset=Industry.objects.all(), help_text="行业代码"
    )
    kind = serializers.ChoiceField(choices=ChangeReport.Kind.choices)
    description = serializers.CharField(allow_blank=True, help_text="变更内容")
    changed_on = serializers.DateField(help_text="变更日期")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="证明材料"
    )


class ChangeNoteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(allow_blank=True, help_text="县级意见")


class ChangeReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Change reports of the viewer's reach (R-ELIG-5)."""

    queryset = ChangeReport.objects.none()  # for the schema; reads go through the selectors
    serializer_class = ChangeReportSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChangeReport.objects.none()
        require(self.request.user, "declarations.view_change_reports")
        return change_report_list(viewer=self.request.user).prefetch_related("files")

    def get_object(self) -> ChangeReport:
        return change_report_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        request={"multipart/form-data": ChangeReportCreateSerializer},
        responses={201: ChangeReportSerializer},
    )
    def create(self, request, *args, **kwargs):
        """R-ELIG-5: the enterprise reports a change of equipment or treatment facilities."""
        require(request.user, "declarations.file_change_report", request.user.enterprise)
        serializer = ChangeReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = changes.change_report_file(
            actor=request.user, enterprise=request.user.enterprise, **serializer.validated_data
        )
        data = ChangeReportSerializer(change_report_get(viewer=request.user, pk=report.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChangeNoteSerializer, responses=ChangeReportSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The county takes note of the change; the grade stands."""
        report = self.get_object()
        serializer = ChangeNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes.change_report_acknowledge(
            actor=request.user, report=report, note=serializer.validated_data["note"]
        )
        return Response(ChangeReportSerializer(self.get_object()).data)
