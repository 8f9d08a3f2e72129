"""The expert pool (R-REV-6..8) with conflicts of interest and active blacklistings. City and
province staff see every expert; an expert sees only itself; others get 403."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from grading.models import User
from review.api.permissions import ReadsExpertPool
from review.models import ExpertBlacklisting, ExpertConflict
from review.selectors.experts import enterprise_by_uscc, expert_get, expert_pool
from review.services import panels


class ExpertConflictSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    # A plain string here: the choice set is documented once, on the input (ConflictRecord).
    kind = serializers.CharField(read_only=True, help_text="回避类型")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ExpertConflict
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "enterprise_uscc",
            "kind",
            "kind_display",
            "note",
            "declared_by_expert",
            "recorded_at",
        ]
        read_only_fields = fields


class ExpertBlacklistingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpertBlacklisting
        fields = ["id", "reason", "detail", "document_no", "recorded_at", "lifted_at"]
        read_only_fields = fields


class ExpertSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    employer = serializers.CharField(source="expert_profile.employer", read_only=True)
    title = serializers.CharField(source="expert_profile.title", read_only=True)
    employer_is_service_agency = serializers.BooleanField(
        source="expert_profile.employer_is_service_agency", read_only=True
    )
    industries = serializers.SerializerMethodField()
    blacklistings = ExpertBlacklistingSerializer(
        source="active_blacklistings", many=True, read_only=True, help_text="未解除的黑名单记录"
    )
    conflicts = ExpertConflictSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "username",
            "name",
            "is_active",
            "employer",
            "title",
            "employer_is_service_agency",
            "industries",
            "blacklistings",
            "conflicts",
        ]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.expert_profile.industries.all()]


class ConflictRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise_uscc = serializers.CharField(max_length=18, help_text="企业统一社会信用代码")
    kind = serializers.ChoiceField(choices=ExpertConflict.Kind.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BlacklistRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=ExpertBlacklisting.Reason.choices)
    detail = serializers.CharField(allow_blank=True, help_text="情况说明")
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class ExpertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The expert pool with conflicts and active blacklistings (R-REV-7, R-REV-8). City and
    province staff see every expert; an expert sees only itself."""

    queryset = User.objects.none()  # for the schema
    serializer_class = ExpertSerializer
    permission_classes = [permissions.IsAuthenticated, ReadsExpertPool]
    filter_backends = []
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return expert_pool(viewer=self.request.user)

    def get_object(self) -> User:
        return expert_get(viewer=self.request.user, username=self.kwargs["username"])

    @extend_schema(request=ConflictRecordSerializer, responses={201: ExpertConflictSerializer})
    @action(detail=True, methods=["post"])
    def conflicts(self, request, username=None):
        """Record a conflict of interest with an enterprise (R-REV-7): by the expert itself or
        by city or province staff."""
        expert = self.get_object()
        serializer = ConflictRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enterprise = enterprise_by_uscc(data["enterprise_uscc"])
        if enterprise is None:
            raise serializers.ValidationError(
                {"enterprise_uscc": ["未找到该统一社会信用代码的企业"]}
            )
        conflict = panels.conflict_record(
            actor=request.user,
            expert=expert,
            enterprise=enterprise,
            kind=data["kind"],
            note=data["note"],
        )
        return Response(ExpertConflictSerializer(conflict).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BlacklistRecordSerializer, responses={201: ExpertBlacklistingSerializer})
    @action(detail=True, methods=["post"])
    def blacklist(self, request, username=None):
        """Blacklist the expert from all grading work (R-REV-8)."""
        expert = self.get_object()
        serializer = BlacklistRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = panels.expert_blacklist(
            actor=request.user, expert=expert, **serializer.validated_data
        )
        return Response(ExpertBlacklistingSerializer(entry).data, status=status.HTTP_201_CREATED)
