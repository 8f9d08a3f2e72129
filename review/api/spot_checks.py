"""Spot checks of the province and the cities (R-REV-9): the plan of a draw (strata and size)
before it is confirmed, samples with their items, results and each industry's pass rate, the
industry downgrade proposals opened by the 60% rule, and the province's thresholds. Province
and city staff and the administrator; the others get 403; another city's sample is a 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from review.api.fields import grade_field
from review.api.permissions import RunsSpotChecks
from review.models import IndustryDowngradeProposal, SpotCheckItem, SpotCheckSample
from review.selectors.spot_checks import (
    proposal_get,
    proposal_list,
    sample_get,
    sample_item_get,
    sample_list,
)
from review.services import sampling

ITEM_PARAM = OpenApiParameter("item_id", int, OpenApiParameter.PATH, description="抽查对象 id")


class SpotCheckItemSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True)
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)
    downgrade_to = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    checked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = SpotCheckItem
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "industry",
            "grade",
            "city",
            "result",
            "findings",
            "downgrade_to",
            "checked_by",
            "checked_at",
        ]
        read_only_fields = fields


class PassRateSerializer(serializers.Serializer):
    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    drawn = serializers.IntegerField(help_text="样本中该行业企业数")
    decided = serializers.IntegerField(help_text="已核查数")
    passed = serializers.IntegerField(help_text="符合数")
    judged = serializers.BooleanField(help_text="行业样本已全部核查或已核查数达到最少核查数")
    rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text="合格率（已核查时）"
    )
    below_floor = serializers.BooleanField(help_text="已判定且合格率低于60%")


class SpotCheckSampleSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    drawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    items = SpotCheckItemSerializer(many=True, read_only=True)
    pass_rates = serializers.SerializerMethodField()

    class Meta:
        model = SpotCheckSample
        fields = [
            "id",
            "region",
            "region_name",
            "year",
            "percentage",
            "seed",
            "grade_codes",
            "population",
            "requested",
            "min_per_industry",
            "min_decided",
            "drawn_by",
            "drawn_at",
            "items",
            "pass_rates",
        ]
        read_only_fields = fields

    @extend_schema_field(PassRateSerializer(many=True))
    def get_pass_rates(self, obj) -> list:
        return PassRateSerializer(sampling.pass_rates(sample=obj), many=True).data


class StratumSerializer(serializers.Serializer):
    unit = serializers.CharField(
        source="unit.code", help_text="省级抽查为省辖市，市级抽查为县（市、区）"
    )
    unit_name = serializers.CharField(source="unit.name")
    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    population = serializers.IntegerField()
    drawn = serializers.IntegerField()


class IndustryShareSerializer(serializers.Serializer):
    industry = serializers.CharField(source="industry.code")
    industry_name = serializers.CharField(source="industry.name")
    population = serializers.IntegerField()
    drawn = serializers.IntegerField()
    topped_up = serializers.IntegerField(help_text="为达到每个行业最少抽查数而补足的数量")


class SamplePlanSerializer(serializers.Serializer):
    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2)
    grade_codes = serializers.ListField(child=serializers.CharField())
    population = serializers.IntegerField()
    requested = serializers.IntegerField(help_text="总体数量×抽查比例，向上取整")
    size = serializers.IntegerField(help_text="将抽取的数量（含各行业补足）")
    min_per_industry = serializers.IntegerField()
    min_decided = serializers.IntegerField()
    industries = IndustryShareSerializer(many=True)
    strata = StratumSerializer(many=True)


class SamplePlanRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="抽查比例（%）")


class SpotCheckPolicySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    min_per_industry = serializers.IntegerField(
        min_value=1, max_value=1000, help_text="每个行业最少抽查数"
    )
    min_decided = serializers.IntegerField(
        min_value=1, max_value=1000, help_text="判定行业合格率的最少核查数"
    )


class SampleDrawSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="抽查比例（%）")
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="随机种子；省略时自动生成。同一种子对同一总体抽出同一样本",
    )


class SpotCheckResultSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    passed = serializers.BooleanField()
    findings = serializers.CharField(allow_blank=True, help_text="核查情况")
    downgrade_to = grade_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="不符合时必填：降为的等级（须低于抽查时等级且属于该行业分级体系）",
    )


class SpotCheckSampleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Spot-check samples with their items and each industry's pass rate: the province sees
    its own and its cities', a city its own."""

    queryset = SpotCheckSample.objects.none()  # for the schema; reads go through the selectors
    serializer_class = SpotCheckSampleSerializer
    permission_classes = [permissions.IsAuthenticated, RunsSpotChecks]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SpotCheckSample.objects.none()
        return sample_list(viewer=self.request.user, items=True)

    def get_object(self) -> SpotCheckSample:
        return sample_get(viewer=self.request.user, pk=self.kwargs["pk"], items=True)

    @extend_schema(request=SamplePlanRequestSerializer, responses=SamplePlanSerializer)
    @action(detail=False, methods=["post"])
    def plan(self, request):
        """The strata and the size a draw of this share would take; nothing is saved."""
        serializer = SamplePlanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = sampling.sample_plan(actor=request.user, **serializer.validated_data)
        return Response(SamplePlanSerializer(plan).data)

    @extend_schema(methods=["get"], request=None, responses=SpotCheckPolicySerializer)
    @extend_schema(
        methods=["put"], request=SpotCheckPolicySerializer, responses=SpotCheckPolicySerializer
    )
    @action(detail=False, methods=["get", "put"])
    def policy(self, request):
        """The province's thresholds: the minimum sample per industry and the minimum decided
        count at which an industry's pass rate is judged (set by the province)."""
        if request.method == "PUT":
            serializer = SpotCheckPolicySerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            sampling.spot_check_policy_set(actor=request.user, **serializer.validated_data)
        policy = sampling.spot_check_policy()
        return Response(
            {"min_per_industry": policy.min_per_industry, "min_decided": policy.min_decided}
        )

    @extend_schema(request=SampleDrawSerializer, responses={201: SpotCheckSampleSerializer})
    def create(self, request, *args, **kwargs):
        """Draw the sample the plan shows (the actor's area, stratified by the next level and
        industry), reproducible from its seed."""
        serializer = SampleDrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sample = sampling.sample_draw(actor=request.user, **serializer.validated_data)
        sample = sample_get(viewer=request.user, pk=sample.pk, items=True)
        return Response(SpotCheckSampleSerializer(sample).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[ITEM_PARAM],
        request=SpotCheckResultSerializer,
        responses=SpotCheckItemSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>\d+)/result")
    def item_result(self, request, pk=None, item_id=None):
        """Record one on-site re-check; a failed one downgrades at once to the grade it
        names (refused without one)."""
        sample = self.get_object()
        item = sample_item_get(sample=sample, pk=item_id)
        serializer = SpotCheckResultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sampling.spot_check_record(actor=request.user, item=item, **serializer.validated_data)
        return Response(SpotCheckItemSerializer(sample_item_get(sample=sample, pk=item.pk)).data)


class DowngradeProposalSerializer(serializers.ModelSerializer):
    sample = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True)
    pass_rate = serializers.FloatField(read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = IndustryDowngradeProposal
        fields = [
            "id",
            "sample",
            "year",
            "industry",
            "industry_name",
            "checked",
            "passed",
            "pass_rate",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "affected",
        ]
        read_only_fields = fields


class ProposalDecideSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    confirm = serializers.BooleanField(help_text="true 确认行业降级；false 不予降级")
    reason = serializers.CharField(allow_blank=True)


class DowngradeProposalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Industry downgrade proposals opened by the 60% rule, of the samples in reach."""

    queryset = IndustryDowngradeProposal.objects.none()  # for the schema
    serializer_class = DowngradeProposalSerializer
    permission_classes = [permissions.IsAuthenticated, RunsSpotChecks]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return IndustryDowngradeProposal.objects.none()
        return proposal_list(viewer=self.request.user)

    def get_object(self) -> IndustryDowngradeProposal:
        return proposal_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=ProposalDecideSerializer, responses=DowngradeProposalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Confirm (every A, B, B-, 引领性 of the industry in the sample's area goes one grade
        down) or dismiss."""
        proposal = self.get_object()
        serializer = ProposalDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = sampling.industry_downgrade_decide(
            actor=request.user, proposal=proposal, **serializer.validated_data
        )
        return Response(
            DowngradeProposalSerializer(proposal_get(viewer=request.user, pk=proposal.pk)).data
        )
