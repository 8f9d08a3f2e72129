"""The expert pools (R-REV-6..8) with conflicts of interest and active blacklistings. A city
sees the experts of its own pool and the provincial one, the province every pool; an expert
sees only itself; others get 403; an expert outside the viewer's pools is a 404. Conflicts are
shown only for enterprises of the viewer's jurisdiction."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from grading.models import User
from grading.rules import is_expert
from review.api.expert_records import ExpertRecordActions, ExpertRecordSerializer
from review.api.permissions import ReadsExpertPool
from review.models import ExpertBlacklisting, ExpertConflict
from review.selectors.experts import expert_get, expert_pool, pool_get
from review.services import panels


class ExpertConflictSerializer(serializers.ModelSerializer):
    enterprise = serializers.SerializerMethodField(
        help_text="企业 id；仅向管辖该企业的工作人员提供"
    )
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

    def get_enterprise(self, obj) -> int | None:
        viewer = self.context.get("viewer")
        return None if viewer is None or is_expert(viewer) else obj.enterprise_id


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
    conflicts = ExpertConflictSerializer(
        source="readable_conflicts",
        many=True,
        read_only=True,
        help_text="回避关系（仅本辖区企业）",
    )
    pools = serializers.SerializerMethodField(help_text="所在专家库（区划代码）")
    open_panels = serializers.IntegerField(read_only=True, help_text="正在进行的专家组数")
    panels_this_year = serializers.IntegerField(read_only=True, help_text="本年度参加专家组数")

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
            "pools",
            "open_panels",
            "panels_this_year",
            "blacklistings",
            "conflicts",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_pools(self, obj) -> list[str]:
        return [m.pool.code for m in obj.active_pools]

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.expert_profile.industries.all()]


class ConflictRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise_uscc = serializers.CharField(max_length=18, help_text="企业统一社会信用代码")
    enterprise_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="企业全称；专家本人申报时必填，须与统一社会信用代码相符",
    )
    kind = serializers.ChoiceField(choices=ExpertConflict.Kind.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BlacklistRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=ExpertBlacklisting.Reason.choices)
    detail = serializers.CharField(allow_blank=True, help_text="情况说明")
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class ExpertDetailSerializer(ExpertSerializer):
    record = serializers.SerializerMethodField(
        help_text="培训、技术服务单位、经由技术服务单位发现的回避关系（本辖区）、工作量"
    )

    class Meta(ExpertSerializer.Meta):
        fields = [*ExpertSerializer.Meta.fields, "record"]
        read_only_fields = fields

    @extend_schema_field(ExpertRecordSerializer)
    def get_record(self, obj) -> dict:
        return ExpertRecordSerializer(obj, context=self.context).data


class ExpertViewSet(
    ExpertRecordActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The experts of the viewer's pools with conflicts (of its jurisdiction) and active
    blacklistings (R-REV-7, R-REV-8); an expert sees only itself."""

    queryset = User.objects.none()  # for the schema
    serializer_class = ExpertSerializer
    permission_classes = [permissions.IsAuthenticated, ReadsExpertPool]
    filter_backends = []
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        code = self.request.query_params.get("pool", "")
        pool = pool_get(viewer=self.request.user, code=code) if code else None
        return expert_pool(viewer=self.request.user, pool=pool)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "viewer": self.request.user}

    def get_serializer_class(self):
        return ExpertDetailSerializer if self.action == "retrieve" else ExpertSerializer

    @extend_schema(
        parameters=[OpenApiParameter("pool", str, description="专家库区划代码（省辖市或省）")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_object(self) -> User:
        return expert_get(viewer=self.request.user, username=self.kwargs["username"])

    @extend_schema(request=ConflictRecordSerializer, responses={201: ExpertConflictSerializer})
    @action(detail=True, methods=["post"])
    def conflicts(self, request, username=None):
        """Record a conflict of interest with an enterprise (R-REV-7): by the expert itself
        (code and full name, both matching) or by city or province staff for an enterprise
        of their jurisdiction (code). Any other enterprise is answered as not found."""
        expert = self.get_object()
        serializer = ConflictRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        conflict = panels.conflict_declare(
            actor=request.user,
            expert=expert,
            enterprise_uscc=data["enterprise_uscc"],
            enterprise_name=data["enterprise_name"],
            kind=data["kind"],
            note=data["note"],
        )
        return Response(
            ExpertConflictSerializer(conflict, context={"viewer": request.user}).data,
            status=status.HTTP_201_CREATED,
        )

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
