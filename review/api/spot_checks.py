"""Province spot checks (R-REV-9): samples with their items and results, and the industry
downgrade proposals opened by the 60% rule. Province staff and the administrator only; the
others get 403."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
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


class SpotCheckSampleSerializer(serializers.ModelSerializer):
    drawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    items = SpotCheckItemSerializer(many=True, read_only=True)

    class Meta:
        model = SpotCheckSample
        fields = [
            "id",
            "year",
            "percentage",
            "seed",
            "grade_codes",
            "population",
            "drawn_by",
            "drawn_at",
            "items",
        ]
        read_only_fields = fields


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
        required=False, allow_null=True, default=None, help_text="不符合时降为；默认下一级"
    )


class SpotCheckSampleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The province's spot-check samples with their items (province staff only)."""

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

    @extend_schema(request=SampleDrawSerializer, responses={201: SpotCheckSampleSerializer})
    def create(self, request, *args, **kwargs):
        """Draw a sample stratified by city and industry, reproducible from its seed."""
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
        """Record one on-site re-check; a failed one downgrades the grade at once."""
        sample = self.get_object()
        item = sample_item_get(sample=sample, pk=item_id)
        serializer = SpotCheckResultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sampling.spot_check_record(actor=request.user, item=item, **serializer.validated_data)
        return Response(SpotCheckItemSerializer(sample_item_get(sample=sample, pk=item.pk)).data)


class DowngradeProposalSerializer(serializers.ModelSerializer):
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
    """Industry downgrade proposals opened by the 60% rule (province staff only)."""

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
        """Confirm (every A, B, B-, 引领性 of the industry goes one grade down) or dismiss."""
        proposal = self.get_object()
        serializer = ProposalDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = sampling.industry_downgrade_decide(
            actor=request.user, proposal=proposal, **serializer.validated_data
        )
        return Response(
            DowngradeProposalSerializer(proposal_get(viewer=request.user, pk=proposal.pk)).data
        )
