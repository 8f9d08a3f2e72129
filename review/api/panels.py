"""A case's expert panel (R-REV-3, R-REV-6..8): the eligible experts, and forming it."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from grading.models import User
from review.api.fields import user_field
from review.models import Panel, PanelMember
from review.selectors.cases import panel_detail
from review.selectors.experts import expert_accounts, panel_candidates
from review.services import panels


class PanelMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="expert.username", read_only=True)
    name = serializers.CharField(source="expert.display_name", read_only=True)

    class Meta:
        model = PanelMember
        fields = ["username", "name", "is_leader"]
        read_only_fields = fields


class PanelSerializer(serializers.ModelSerializer):
    formed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    members = PanelMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Panel
        fields = ["formed_by", "formed_at", "members"]
        read_only_fields = fields


class ExpertSuggestionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    employer = serializers.CharField(source="expert_profile.employer", read_only=True)
    title = serializers.CharField(source="expert_profile.title", read_only=True)
    knows_industry = serializers.BooleanField(read_only=True, help_text="熟悉本案行业")
    industries = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "name", "employer", "title", "knows_industry", "industries"]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.expert_profile.industries.all()]


class PanelAssignSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    experts = user_field(expert_accounts(), many=True)
    leader = user_field(
        expert_accounts(),
        required=False,
        allow_null=True,
        default=None,
        help_text="省略时为第一位专家",
    )


class PanelActions:
    """The case viewset's panel actions."""

    @extend_schema(responses=ExpertSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="expert-suggestions", pagination_class=None)
    def expert_suggestions(self, request, pk=None):
        """Eligible experts for the panel, those of the case's industry first."""
        experts = panel_candidates(viewer=request.user, case=self.get_object())
        return Response(ExpertSuggestionSerializer(experts, many=True).data)

    @extend_schema(request=PanelAssignSerializer, responses=PanelSerializer)
    @action(detail=True, methods=["post"])
    def panel(self, request, pk=None):
        """Form (or re-form, before the on-site record) the case's expert panel."""
        case = self.get_object()
        serializer = PanelAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        panel = panels.panel_assign(
            actor=request.user,
            case=case,
            experts=list(serializer.validated_data["experts"]),
            leader=serializer.validated_data["leader"],
        )
        return Response(PanelSerializer(panel_detail(panel=panel)).data)
