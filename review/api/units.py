"""Technical service units (/api/v1/review/units/; 002 第二十一条, R-REV-7, R-REV-8): their
experts, the enterprises each served (shown within the reader's jurisdiction; each an
automatic conflict for the unit's experts) and their blacklisting. City and province staff;
the others get 403; another city's unit is a 404."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from review.api.fields import user_field
from review.api.permissions import RulePermission
from review.models import (
    ExpertBlacklisting,
    ServiceEngagement,
    ServiceUnit,
    ServiceUnitBlacklisting,
    ServiceUnitMember,
)
from review.selectors.experts import expert_accounts
from review.selectors.units import unit_blacklisting_get, unit_get, unit_list, unit_member_get
from review.services import units


class ReadsServiceUnits(RulePermission):
    perm = "review.view_service_units"


def _path_param(name: str, text: str) -> OpenApiParameter:
    return OpenApiParameter(name, int, OpenApiParameter.PATH, description=text)


class UnitMemberSerializer(serializers.ModelSerializer):
    expert = serializers.SlugRelatedField(slug_field="username", read_only=True)
    name = serializers.CharField(source="expert.display_name", read_only=True)

    class Meta:
        model = ServiceUnitMember
        fields = ["id", "expert", "name", "since", "until"]
        read_only_fields = fields


class EngagementSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    service_display = serializers.CharField(source="get_service_display", read_only=True)

    class Meta:
        model = ServiceEngagement
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "service",
            "service_display",
            "served_on",
            "note",
        ]
        read_only_fields = fields


class UnitBlacklistingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceUnitBlacklisting
        fields = ["id", "reason", "detail", "document_no", "recorded_at", "lifted_at"]
        read_only_fields = fields


class ServiceUnitSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    blacklisted = serializers.SerializerMethodField()

    class Meta:
        model = ServiceUnit
        fields = ["id", "name", "uscc", "region", "region_name", "note", "blacklisted"]
        read_only_fields = fields

    def get_blacklisted(self, obj) -> bool:
        return bool(obj.active_blacklistings)


class ServiceUnitDetailSerializer(ServiceUnitSerializer):
    members = UnitMemberSerializer(many=True, read_only=True)
    engagements = EngagementSerializer(
        source="readable_engagements",
        many=True,
        read_only=True,
        help_text="服务过的企业（仅本辖区）",
    )
    blacklistings = UnitBlacklistingSerializer(
        source="all_blacklistings", many=True, read_only=True
    )

    class Meta(ServiceUnitSerializer.Meta):
        fields = [*ServiceUnitSerializer.Meta.fields, "members", "engagements", "blacklistings"]
        read_only_fields = fields


class UnitCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True)
    uscc = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MemberAddSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    expert = user_field(expert_accounts())
    since = serializers.DateField()


class MemberEndSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)


class EngagementRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise_uscc = serializers.CharField(max_length=18, help_text="本辖区企业统一社会信用代码")
    service = serializers.ChoiceField(choices=ServiceEngagement.Service.choices)
    served_on = serializers.DateField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class UnitBlacklistSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=ExpertBlacklisting.Reason.choices)
    detail = serializers.CharField(allow_blank=True)
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class LiftSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ServiceUnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Technical service units the viewer works with (a city its own and the province's)."""

    queryset = ServiceUnit.objects.none()  # for the schema; reads go through the selectors
    serializer_class = ServiceUnitSerializer
    permission_classes = [permissions.IsAuthenticated, ReadsServiceUnits]
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceUnit.objects.none()
        return unit_list(viewer=self.request.user)

    def get_object(self) -> ServiceUnit:
        return unit_get(viewer=self.request.user, pk=self.kwargs["pk"], detail=True)

    def _detail(self, unit) -> dict:
        unit = unit_get(viewer=self.request.user, pk=unit.pk, detail=True)
        return ServiceUnitDetailSerializer(unit).data

    @extend_schema(responses=ServiceUnitDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(self.get_object()))

    @extend_schema(request=UnitCreateSerializer, responses={201: ServiceUnitDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Record a unit kept by the viewer's bureau."""
        serializer = UnitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = units.unit_create(actor=request.user, **serializer.validated_data)
        return Response(self._detail(unit), status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberAddSerializer, responses={201: ServiceUnitDetailSerializer})
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        """An expert of the viewer's pools works for the unit from a date."""
        unit = self.get_object()
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        units.unit_member_add(actor=request.user, unit=unit, **serializer.validated_data)
        return Response(self._detail(unit), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[_path_param("member_id", "单位专家记录 id")],
        request=MemberEndSerializer,
        responses=ServiceUnitDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"members/(?P<member_id>\d+)/end")
    def member_end(self, request, pk=None, member_id=None):
        """The expert left the unit (its served enterprises stay conflicts for it)."""
        unit = self.get_object()
        member = unit_member_get(unit=unit, pk=member_id)
        serializer = MemberEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        units.unit_member_end(actor=request.user, member=member, **serializer.validated_data)
        return Response(self._detail(unit))

    @extend_schema(request=EngagementRecordSerializer, responses={201: ServiceUnitDetailSerializer})
    @action(detail=True, methods=["post"])
    def engagements(self, request, pk=None):
        """R-REV-7: the unit served an enterprise of the viewer's jurisdiction."""
        unit = self.get_object()
        serializer = EngagementRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        units.engagement_record(actor=request.user, unit=unit, **serializer.validated_data)
        return Response(self._detail(unit), status=status.HTTP_201_CREATED)

    @extend_schema(request=UnitBlacklistSerializer, responses={201: ServiceUnitDetailSerializer})
    @action(detail=True, methods=["post"])
    def blacklist(self, request, pk=None):
        """R-REV-8: blacklist the unit (its current experts leave grading work with it)."""
        unit = self.get_object()
        serializer = UnitBlacklistSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        units.unit_blacklist(actor=request.user, unit=unit, **serializer.validated_data)
        return Response(self._detail(unit), status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[_path_param("blacklisting_id", "黑名单记录 id")],
        request=LiftSerializer,
        responses=ServiceUnitDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"blacklistings/(?P<blacklisting_id>\d+)/lift")
    def lift(self, request, pk=None, blacklisting_id=None):
        """Only the province lifts a unit's blacklisting, with its grounds."""
        unit = self.get_object()
        entry = unit_blacklisting_get(unit=unit, pk=blacklisting_id)
        serializer = LiftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        units.unit_blacklist_lift(actor=request.user, entry=entry, **serializer.validated_data)
        return Response(self._detail(unit))
