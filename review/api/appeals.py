"""Appeals (/api/v1/review/appeals/; R-REV-10): the county-level decisions an enterprise may
still appeal, filing one with reasons and files (multipart), the city's panel and its signed
opinion, the city's signed re-review, withdrawal, and the forms. Bureau staff see the appeals
of their jurisdiction, an expert those of its panels, an enterprise its own (every step);
anything else answers 404."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api import BlankChoicesMixin
from core.audit import event_list_for
from declarations.api import RejectUnknownFieldsMixin
from grading.models import GradeRecord
from grading.selectors import enterprise_get
from review.api.downgrades import (
    CaseOpinionFormSerializer,
    CaseOpinionSerializer,
    OutcomeSerializer,
)
from review.api.fields import grade_field
from review.api.panels import PanelAssignSerializer, PanelSerializer
from review.models import Appeal, AppealFile, DowngradeCase
from review.rules import require
from review.selectors import get_or_404
from review.selectors.appeals import appeal_get, appeal_list, appeal_opinion_get
from review.services import appeals
from review.services.case_forms import case_form_rerequest


class AppealFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AppealFile
        fields = ["id", "name", "content_type", "size", "sha256", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("review:appeal-file", args=[obj.pk])


class StepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    code = serializers.CharField()
    summary = serializers.CharField()
    reason = serializers.CharField()


class AppealSerializer(BlankChoicesMixin, serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    industry = serializers.CharField(source="industry.code", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    downgrade_case = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    grade_record = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    grade_contested = serializers.SlugRelatedField(slug_field="code", read_only=True)
    grade_earlier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    files = AppealFileSerializer(many=True, read_only=True)
    opinions = CaseOpinionSerializer(many=True, read_only=True)
    panel = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField(help_text="每一步（企业可见）")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "industry",
            "downgrade_case",
            "grade_record",
            "contested_on",
            "due_on",
            "stage",
            "stage_display",
            "reasons",
            "needs_panel",
            "grade_contested",
            "grade_earlier",
            "filed_at",
            "outcome",
            "grade",
            "decided_on",
            "files",
            "panel",
            "opinions",
            "steps",
        ]
        read_only_fields = fields

    @extend_schema_field(PanelSerializer(allow_null=True))
    def get_panel(self, obj) -> dict | None:
        panel = getattr(obj, "panel", None)
        return PanelSerializer(panel).data if panel is not None else None

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, obj) -> list:
        return StepSerializer(event_list_for(obj).order_by("at", "id"), many=True).data


class AppealableSerializer(serializers.Serializer):
    label = serializers.CharField()
    industry = serializers.CharField(source="industry.code")
    grade = serializers.CharField(source="grade.code")
    earlier = serializers.CharField(source="earlier.code", allow_null=True, default=None)
    decided_on = serializers.DateField()
    due_on = serializers.DateField()
    downgrade_case = serializers.IntegerField(
        source="downgrade_case.pk", allow_null=True, default=None
    )
    grade_record = serializers.IntegerField(source="grade_record.pk", allow_null=True, default=None)


class AppealFileListField(serializers.ListField):
    child = serializers.FileField()


class AppealCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    downgrade_case = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="降级案卷 id"
    )
    grade_record = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="县级直接评定的等级记录 id"
    )
    reasons = serializers.CharField(allow_blank=True, help_text="申请理由")
    files = AppealFileListField(required=False, default=list, help_text="PDF、JPG、PNG")


class AppealOutcomeSerializer(OutcomeSerializer):
    outcome = serializers.ChoiceField(choices=Appeal.Outcome.choices)
    grade = grade_field(
        required=False, allow_null=True, default=None, help_text="变更绩效等级时的等级代码"
    )


class AppealWithdrawSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


OPINION_PARAM = OpenApiParameter("opinion_id", int, OpenApiParameter.PATH, description="意见 id")


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Appeals of the viewer's reach (R-REV-10)."""

    queryset = Appeal.objects.none()  # for the schema; reads go through the selectors
    serializer_class = AppealSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        return appeal_list(viewer=self.request.user, record=True)

    def get_object(self) -> Appeal:
        return appeal_get(viewer=self.request.user, pk=self.kwargs["pk"])

    def _present(self, pk) -> dict:
        return AppealSerializer(appeal_get(viewer=self.request.user, pk=pk, record=True)).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._present(kwargs["pk"]))

    @extend_schema(responses=AppealableSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def appealable(self, request):
        """The enterprise's county-level decisions it may still appeal, with their deadline."""
        require(request.user, "review.file_appeal", request.user.enterprise)
        enterprise = enterprise_get(viewer=request.user, pk=request.user.enterprise_id)
        rows = appeals.appealable_decisions(enterprise=enterprise)
        return Response(AppealableSerializer(rows, many=True).data)

    @extend_schema(
        request={"multipart/form-data": AppealCreateSerializer},
        responses={201: AppealSerializer},
    )
    def create(self, request, *args, **kwargs):
        """The enterprise asks the city to re-review a county-level decision."""
        require(request.user, "review.file_appeal", request.user.enterprise)
        serializer = AppealCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enterprise = enterprise_get(viewer=request.user, pk=request.user.enterprise_id)
        case = record = None
        if data["downgrade_case"] is not None:
            case = get_or_404(
                DowngradeCase.objects.filter(enterprise=enterprise), data["downgrade_case"]
            )
        if data["grade_record"] is not None:
            record = get_or_404(
                GradeRecord.objects.filter(enterprise=enterprise), data["grade_record"]
            )
        appeal = appeals.appeal_file(
            actor=request.user,
            enterprise=enterprise,
            reasons=data["reasons"],
            files=data["files"],
            downgrade_case=case,
            grade_record=record,
        )
        return Response(self._present(appeal.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=PanelAssignSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def panel(self, request, pk=None):
        """The city forms the re-review panel (rules of on-site verification)."""
        appeal = self.get_object()
        serializer = PanelAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeals.appeal_panel_assign(
            actor=request.user,
            appeal=appeal,
            experts=list(serializer.validated_data["experts"]),
            leader=serializer.validated_data["leader"],
        )
        return Response(self._present(appeal.pk))

    def _sign(self, request, service):
        appeal = self.get_object()
        serializer = AppealOutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data["signers"] = list(data["signers"]) if "signers" in data else [request.user]
        opinion = service(actor=request.user, appeal=appeal, **data)
        return Response(CaseOpinionSerializer(opinion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppealOutcomeSerializer, responses={201: CaseOpinionSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The panel's signed re-review opinion (outcome ``uphold`` or ``change``)."""
        return self._sign(request, appeals.appeal_review_sign)

    @extend_schema(request=AppealOutcomeSerializer, responses={201: CaseOpinionSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The city signs the re-review; only now does the grade change."""
        return self._sign(request, appeals.appeal_decide)

    @extend_schema(request=AppealWithdrawSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The enterprise withdraws its appeal before the city signs."""
        appeal = self.get_object()
        serializer = AppealWithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeals.appeal_withdraw(actor=request.user, appeal=appeal, **serializer.validated_data)
        return Response(self._present(appeal.pk))

    @extend_schema(
        parameters=[OPINION_PARAM], request=None, responses={202: CaseOpinionFormSerializer}
    )
    @action(detail=True, methods=["post"], url_path=r"opinions/(?P<opinion_id>\d+)/form")
    def opinion_form(self, request, pk=None, opinion_id=None):
        """Render the opinion's form again, as a new revision; the earlier files stay."""
        opinion = appeal_opinion_get(appeal=self.get_object(), pk=opinion_id)
        form = case_form_rerequest(actor=request.user, opinion=opinion)
        return Response(CaseOpinionFormSerializer(form).data, status=status.HTTP_202_ACCEPTED)
