"""What the pool keeps about an expert (002 第八条, 第二十一条; R-REV-7): its pools, trainings,
technical service units, the conflicts detected through them (within the reader's
jurisdiction), its workload and the history of the panels it sat on (of the cases the reader
may see)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from review.models import ExpertTraining, Panel, PoolMembership, ServiceEngagement
from review.selectors import get_or_404
from review.selectors.experts import (
    active_memberships,
    detected_conflicts,
    expert_history,
    expert_workload,
    pool_get,
)
from review.services import pools, units

MEMBERSHIP_PARAM = OpenApiParameter(
    "membership_id", int, OpenApiParameter.PATH, description="专家库成员记录 id"
)


class PoolMembershipSerializer(serializers.ModelSerializer):
    pool = serializers.CharField(source="pool.code", read_only=True)
    pool_name = serializers.CharField(source="pool.name", read_only=True)

    class Meta:
        model = PoolMembership
        fields = ["id", "pool", "pool_name", "added_at", "removed_at", "removed_reason"]
        read_only_fields = fields


class TrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpertTraining
        fields = ["id", "held_on", "title", "organiser", "hours", "certificate_no", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]


class TrainingRecordSerializer(RejectUnknownFieldsMixin, TrainingSerializer):
    class Meta(TrainingSerializer.Meta):
        extra_kwargs = {"certificate_no": {"required": False, "allow_blank": True}}


class DetectedConflictSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.name", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    service_display = serializers.CharField(source="get_service_display", read_only=True)

    class Meta:
        model = ServiceEngagement
        fields = ["unit", "enterprise_name", "service", "service_display", "served_on"]
        read_only_fields = fields


class WorkloadSerializer(serializers.Serializer):
    open_panels = serializers.IntegerField(help_text="正在进行的专家组（案卷处于市级审核）")
    panels_this_year = serializers.IntegerField()
    panels_total = serializers.IntegerField()
    onsite_signed_this_year = serializers.IntegerField()
    opinions_signed_total = serializers.IntegerField()


class UnitMembershipBriefSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")
    since = serializers.DateField()
    until = serializers.DateField(allow_null=True)


class HistorySerializer(serializers.ModelSerializer):
    case = serializers.IntegerField(
        source="case_id", read_only=True, allow_null=True, help_text="审核案卷 id"
    )
    downgrade_case = serializers.IntegerField(
        source="downgrade_case_id", read_only=True, allow_null=True, help_text="降级案卷 id"
    )
    enterprise_name = serializers.SerializerMethodField()
    industry = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField()

    class Meta:
        model = Panel
        fields = ["case", "downgrade_case", "enterprise_name", "industry", "stage", "formed_at"]
        read_only_fields = fields

    def get_enterprise_name(self, obj) -> str:
        if obj.case_id:
            return obj.case.declaration.enterprise.name
        return obj.downgrade_case.enterprise.name

    def get_industry(self, obj) -> str:
        return (obj.case.declaration.industry if obj.case_id else obj.downgrade_case.industry).code

    def get_stage(self, obj) -> str:
        return obj.case.stage if obj.case_id else obj.downgrade_case.stage


class ExpertRecordSerializer(serializers.Serializer):
    """The expert page's record, asked once per expert (retrieve)."""

    trainings = serializers.SerializerMethodField()
    units = serializers.SerializerMethodField()
    detected_conflicts = serializers.SerializerMethodField()
    workload = serializers.SerializerMethodField()

    @extend_schema_field(TrainingSerializer(many=True))
    def get_trainings(self, obj):
        return TrainingSerializer(obj.trainings.all(), many=True).data

    @extend_schema_field(UnitMembershipBriefSerializer(many=True))
    def get_units(self, obj):
        rows = obj.unit_memberships.select_related("unit").order_by("-since")
        return UnitMembershipBriefSerializer(rows, many=True).data

    @extend_schema_field(DetectedConflictSerializer(many=True))
    def get_detected_conflicts(self, obj):
        rows = detected_conflicts(viewer=self.context["viewer"], expert=obj)
        return DetectedConflictSerializer(rows, many=True).data

    @extend_schema_field(WorkloadSerializer)
    def get_workload(self, obj):
        return WorkloadSerializer(expert_workload(expert=obj)).data


class PoolAddSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    pool = serializers.CharField(max_length=12, help_text="专家库区划代码（省辖市或省）")


class ReasonSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class ExpertRecordActions:
    """The expert viewset's pool, training and history actions."""

    @extend_schema(request=PoolAddSerializer, responses={201: PoolMembershipSerializer})
    @action(detail=True, methods=["post"])
    def pools(self, request, username=None):
        """Add the expert to a pool the viewer manages (a city its own, the province any)."""
        expert = self.get_object()
        serializer = PoolAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pool = pool_get(viewer=request.user, code=serializer.validated_data["pool"])
        membership = pools.pool_member_add(actor=request.user, expert=expert, pool=pool)
        return Response(PoolMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[MEMBERSHIP_PARAM], request=ReasonSerializer, responses=PoolMembershipSerializer
    )
    @action(detail=True, methods=["post"], url_path=r"pools/(?P<membership_id>\d+)/remove")
    def pool_remove(self, request, username=None, membership_id=None):
        """End the expert's membership of a pool, with the reason (kept, never deleted)."""
        expert = self.get_object()
        membership = get_or_404(
            active_memberships().filter(expert=expert).select_related("pool"), membership_id
        )
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = pools.pool_member_remove(
            actor=request.user, membership=membership, **serializer.validated_data
        )
        return Response(PoolMembershipSerializer(membership).data)

    @extend_schema(request=TrainingRecordSerializer, responses={201: TrainingSerializer})
    @action(detail=True, methods=["post"])
    def trainings(self, request, username=None):
        """Record a training the expert attended (002 第八条(1))."""
        expert = self.get_object()
        serializer = TrainingRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        training = units.training_record(
            actor=request.user, expert=expert, **serializer.validated_data
        )
        return Response(TrainingSerializer(training).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=HistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, username=None):
        """The panels the expert sat on, of the cases the viewer may see, newest first."""
        expert = self.get_object()
        page = self.paginate_queryset(expert_history(viewer=request.user, expert=expert))
        return self.get_paginated_response(HistorySerializer(page, many=True).data)
