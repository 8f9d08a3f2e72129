"""Downgrade cases (/api/v1/review/downgrades/; R-DYN-1): opened by a county for an inspection,
a public report or an alert measure (violations open them through their records), the city's
second-review panel and its signed opinion, the county's four-eyes decision, and the forms of
the signed opinions. Bureau staff see the cases of their jurisdiction, an expert those of its
panels, an enterprise its own; anything else answers 404."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import BlankChoicesMixin
from declarations.api import RejectUnknownFieldsMixin
from grading.models import Industry, User
from grading.selectors import enterprise_get
from review.api.fields import grade_field, user_field
from review.api.panels import ExpertSuggestionSerializer, PanelAssignSerializer, PanelSerializer
from review.models import CaseOpinion, CaseOpinionForm, DowngradeCase, DowngradeTrigger
from review.rules import require
from review.selectors.downgrades import case_opinion_get, downgrade_get, downgrade_list
from review.selectors.experts import expert_suggestions_for
from review.services import downgrades
from review.services.case_forms import case_form_rerequest

Outcome = DowngradeCase.Outcome


class CaseOpinionFormSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="生成完成前为 null")

    class Meta:
        model = CaseOpinionForm
        fields = [
            "id",
            "revision",
            "status",
            "sha256",
            "requested_at",
            "rendered_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        if obj.status != CaseOpinionForm.Status.READY or not obj.file:
            return None
        return reverse("review:case-form-download", args=[obj.pk])


class CaseOpinionSerializer(serializers.ModelSerializer):
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    signers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    forms = CaseOpinionFormSerializer(many=True, read_only=True)

    class Meta:
        model = CaseOpinion
        fields = [
            "id",
            "kind",
            "outcome",
            "grade",
            "summary",
            "conclusion",
            "signers",
            "signed_by",
            "signed_at",
            "forms",
        ]
        read_only_fields = fields


class TriggerSerializer(serializers.ModelSerializer):
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)
    violation = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = DowngradeTrigger
        fields = [
            "id",
            "reason",
            "reason_display",
            "source",
            "violation",
            "reference",
            "occurred_on",
            "detail",
            "recorded_at",
        ]
        read_only_fields = fields


class DowngradeCaseSerializer(BlankChoicesMixin, serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    county = serializers.CharField(source="enterprise.county.code", read_only=True)
    industry = serializers.CharField(source="industry.code", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    grade_before = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    triggers = TriggerSerializer(many=True, read_only=True)
    opinions = CaseOpinionSerializer(many=True, read_only=True)
    panel = serializers.SerializerMethodField()

    class Meta:
        model = DowngradeCase
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "county",
            "industry",
            "stage",
            "stage_display",
            "reasons",
            "needs_second_review",
            "opened_at",
            "outcome",
            "grade_before",
            "grade",
            "decided_on",
            "appeal_due",
            "triggers",
            "panel",
            "opinions",
        ]
        read_only_fields = fields

    @extend_schema_field(PanelSerializer(allow_null=True))
    def get_panel(self, obj) -> dict | None:
        panel = getattr(obj, "panel", None)
        return PanelSerializer(panel).data if panel is not None else None


class DowngradeOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise = serializers.IntegerField(help_text="企业 id（本辖区）")
    reason = serializers.ChoiceField(
        choices=[(r, DowngradeCase.Reason(r).label) for r in downgrades.REPORTED_REASONS],
        help_text="监督检查、群众举报、预警期间未落实措施；违法行为经违法违规记录自动立案",
    )
    detail = serializers.CharField(allow_blank=True)
    occurred_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    industry = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="涉及行业代码；省略时为主行业",
    )


class OutcomeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    grade = grade_field(
        required=False, allow_null=True, default=None, help_text="降为指定等级时的等级代码"
    )
    summary = serializers.CharField(allow_blank=True, help_text="核查情况")
    conclusion = serializers.CharField(allow_blank=True, help_text="结论")
    signers = user_field(
        User.objects.all(), many=True, required=False, help_text="签署人用户名；省略时为提交人"
    )


OPINION_PARAM = OpenApiParameter("opinion_id", int, OpenApiParameter.PATH, description="意见 id")


class DowngradeCaseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Downgrade cases of the viewer's reach (R-DYN-1)."""

    queryset = DowngradeCase.objects.none()  # for the schema; reads go through the selectors
    serializer_class = DowngradeCaseSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DowngradeCase.objects.none()
        stage = self.request.query_params.get("stage", "")
        if stage not in DowngradeCase.Stage.values:
            stage = ""
        return downgrade_list(viewer=self.request.user, stage=stage, record=True)

    def get_object(self) -> DowngradeCase:
        return downgrade_get(viewer=self.request.user, pk=self.kwargs["pk"])

    def _present(self, pk) -> dict:
        case = downgrade_get(viewer=self.request.user, pk=pk, record=True)
        return DowngradeCaseSerializer(case).data

    @extend_schema(
        parameters=[
            OpenApiParameter("stage", str, enum=DowngradeCase.Stage.values, description="处理阶段")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return Response(self._present(kwargs["pk"]))

    @extend_schema(request=DowngradeOpenSerializer, responses={201: DowngradeCaseSerializer})
    def create(self, request, *args, **kwargs):
        """A county opens a case for an inspection, a public report or an alert measure (or
        adds the fact to the enterprise's open case)."""
        serializer = DowngradeOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enterprise = enterprise_get(viewer=request.user, pk=data.pop("enterprise"))
        case = downgrades.downgrade_case_open(actor=request.user, enterprise=enterprise, **data)
        return Response(self._present(case.pk), status=status.HTTP_201_CREATED)

    @extend_schema(responses=ExpertSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="expert-suggestions", pagination_class=None)
    def expert_suggestions(self, request, pk=None):
        """Eligible experts for the second-review panel, those of the industry first."""
        case = self.get_object()
        require(request.user, "review.assign_downgrade_panel", case)
        experts = expert_suggestions_for(enterprise=case.enterprise, industry=case.industry)[:30]
        return Response(ExpertSuggestionSerializer(experts, many=True).data)

    @extend_schema(request=PanelAssignSerializer, responses=DowngradeCaseSerializer)
    @action(detail=True, methods=["post"])
    def panel(self, request, pk=None):
        """The city forms the second-review panel (rules of on-site verification)."""
        case = self.get_object()
        serializer = PanelAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        downgrades.downgrade_panel_assign(
            actor=request.user,
            case=case,
            experts=list(serializer.validated_data["experts"]),
            leader=serializer.validated_data["leader"],
        )
        return Response(self._present(case.pk))

    def _sign(self, request, service):
        case = self.get_object()
        serializer = OutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data["signers"] = list(data["signers"]) if "signers" in data else [request.user]
        opinion = service(actor=request.user, case=case, **data)
        return Response(CaseOpinionSerializer(opinion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OutcomeSerializer, responses={201: CaseOpinionSerializer})
    @action(detail=True, methods=["post"], url_path="second-review")
    def second_review(self, request, pk=None):
        """The panel's signed second-review opinion with the outcome it recommends."""
        return self._sign(request, downgrades.downgrade_second_review_sign)

    @extend_schema(request=OutcomeSerializer, responses={201: CaseOpinionSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The county signs the outcome four-eyes; the grade history records it."""
        return self._sign(request, downgrades.downgrade_decide)

    @extend_schema(
        parameters=[OPINION_PARAM], request=None, responses={202: CaseOpinionFormSerializer}
    )
    @action(detail=True, methods=["post"], url_path=r"opinions/(?P<opinion_id>\d+)/form")
    def opinion_form(self, request, pk=None, opinion_id=None):
        """Render the opinion's form again, as a new revision; the earlier files stay."""
        opinion = case_opinion_get(case=self.get_object(), pk=opinion_id)
        form = case_form_rerequest(actor=request.user, opinion=opinion)
        return Response(CaseOpinionFormSerializer(form).data, status=status.HTTP_202_ACCEPTED)
