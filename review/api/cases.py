"""Review cases: bureau staff see those of their jurisdiction, experts those whose panel they
sit on, an enterprise its own; opening the first review and signing the decisions of a stage.
The panel, on-site and approval-form actions of a case live beside their serializers."""

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from declarations.selectors import declaration_get
from grading.models import User
from review.api.fields import VerdictsField, grade_field, user_field
from review.api.forms import ApprovalFormActions, ApprovalFormSerializer
from review.api.onsite import OnSiteActions, VerificationSerializer
from review.api.panels import PanelActions, PanelSerializer
from review.models import IndicatorOpinion, Opinion, ReviewCase
from review.selectors.cases import case_get, case_list, opinion_detail
from review.services import decisions


class DeclarationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class IndicatorVerdictSerializer(serializers.ModelSerializer):
    row = serializers.IntegerField(source="indicator_row_id", read_only=True)
    seq = serializers.IntegerField(source="indicator_row.seq", read_only=True)
    category_name = serializers.CharField(source="indicator_row.category.name", read_only=True)

    class Meta:
        model = IndicatorOpinion
        fields = ["row", "seq", "category_name", "verdict", "text"]
        read_only_fields = fields


class OpinionSerializer(serializers.ModelSerializer):
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    signers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    indicators = IndicatorVerdictSerializer(many=True, read_only=True)
    forms = ApprovalFormSerializer(many=True, read_only=True, help_text="审核意见表，新版本在前")

    class Meta:
        model = Opinion
        fields = [
            "id",
            "kind",
            "decision",
            "grade",
            "summary",
            "conclusion",
            "signers",
            "signed_by",
            "signed_at",
            "corrects",
            "indicators",
            "forms",
        ]
        read_only_fields = fields


class ReviewCaseSerializer(serializers.ModelSerializer):
    declaration = DeclarationBriefSerializer(read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    enterprise = serializers.IntegerField(source="declaration.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="declaration.enterprise.name", read_only=True)
    county = serializers.CharField(source="declaration.enterprise.county.code", read_only=True)
    industry = serializers.CharField(source="declaration.industry.code", read_only=True)
    requested_grade = serializers.CharField(
        source="declaration.requested_grade.code", read_only=True
    )
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    proposed_grade = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    city_grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    final_grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    panel = serializers.SerializerMethodField()
    opinions = OpinionSerializer(many=True, read_only=True)
    verifications = VerificationSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewCase
        fields = [
            "id",
            "declaration",
            "version",
            "enterprise",
            "enterprise_name",
            "county",
            "industry",
            "requested_grade",
            "stage",
            "stage_display",
            "county_due",
            "city_due",
            "proposed_grade",
            "city_grade",
            "final_grade",
            "decided_on",
            "panel",
            "opinions",
            "verifications",
        ]
        read_only_fields = fields

    @extend_schema_field(PanelSerializer(allow_null=True))
    def get_panel(self, obj) -> dict | None:
        panel = getattr(obj, "panel", None)
        return PanelSerializer(panel).data if panel is not None else None


class CaseFilterSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        choices=ReviewCase.Stage.choices, required=False, allow_blank=True, default=""
    )


class CaseOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    declaration = serializers.IntegerField(help_text="已提交申报的 id")


DECISION_CHOICES = [
    (d.value, d.label) for d in Opinion.Decision if any(key[1] == d for key in decisions.DECISIONS)
]


class ReviewSignSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=DECISION_CHOICES, help_text="须为案卷当前阶段可作出的结论"
    )
    grade = grade_field(required=False, allow_null=True, default=None, help_text="等级代码")
    summary = serializers.CharField(allow_blank=True, help_text="审核意见汇总")
    conclusion = serializers.CharField(allow_blank=True, help_text="分级意见结论")
    signers = user_field(
        User.objects.all(),
        many=True,
        required=False,
        help_text="签署人用户名；省略时为提交人本人",
    )
    verdicts = VerdictsField(
        required=False, default=dict, help_text="各指标意见：{指标行 id: {verdict, text}}"
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("stage", str, enum=ReviewCase.Stage.values, description="审核阶段")
        ]
    ),
)
class ReviewCaseViewSet(
    PanelActions,
    OnSiteActions,
    ApprovalFormActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Review cases: bureau staff see those of their jurisdiction, experts those whose panel
    they sit on, an enterprise its own; anything else answers 404."""

    queryset = ReviewCase.objects.none()  # for the schema; reads go through the selectors
    serializer_class = ReviewCaseSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewCase.objects.none()
        params = CaseFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return case_list(
            viewer=self.request.user, stage=params.validated_data["stage"], record=True
        )

    def get_object(self) -> ReviewCase:
        return case_get(viewer=self.request.user, pk=self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        return Response(self._present(kwargs["pk"]))

    def _present(self, pk) -> dict:
        return ReviewCaseSerializer(case_get(viewer=self.request.user, pk=pk, record=True)).data

    @extend_schema(request=CaseOpenSerializer, responses={201: ReviewCaseSerializer})
    @action(detail=False, methods=["post"], url_path="open", url_name="open")
    def open_case(self, request):
        """The county accepts a submitted declaration for first review (初审受理)."""
        serializer = CaseOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = declaration_get(
            viewer=request.user, pk=serializer.validated_data["declaration"]
        )
        case = decisions.first_review_open(actor=request.user, declaration=declaration)
        return Response(self._present(case.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSignSerializer, responses={201: OpinionSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign a decision of the case's current stage (recommend, return, reject, decide,
        forward, confirm, downgrade, send_back) and carry it out."""
        case = self.get_object()
        serializer = ReviewSignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        opinion = decisions.review_sign(
            actor=request.user,
            case=case,
            decision=data["decision"],
            grade=data["grade"],
            summary=data["summary"],
            conclusion=data["conclusion"],
            signers=list(data["signers"]) if "signers" in data else [request.user],
            verdicts=data["verdicts"],
        )
        return Response(
            OpinionSerializer(opinion_detail(opinion=opinion)).data,
            status=status.HTTP_201_CREATED,
        )
