"""REST API of the emergency list (/api/v1/list/...): thin over selectors and services."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import Pagination
from emergency_list.models import Action, EntryMeasure, ListEntry
from emergency_list.selectors import entry_get, entry_list
from emergency_list.services import entries as entry_services
from emergency_list.services.entries import FLAG_FIELDS
from emergency_list.services.ratios import ratio_check
from grading.jurisdiction import county_units_for, region_in_reach
from grading.models import Region, User


class MeasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = EntryMeasure
        fields = [
            "id",
            "level",
            "action",
            "ratio_pct",
            "transport_rule",
            "text",
            "is_override",
            "override_reason",
            "so2_td",
            "nox_td",
            "pm_td",
            "vocs_td",
        ]


class EntryListSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="enterprise_id")
    enterprise_name = serializers.CharField(source="enterprise.name")
    uscc = serializers.CharField(source="enterprise.uscc")
    county = serializers.CharField(source="county.code")
    grade = serializers.CharField(source="grade.code")

    class Meta:
        model = ListEntry
        fields = [
            "id",
            "year",
            "enterprise",
            "enterprise_name",
            "uscc",
            "county",
            "grade",
            "graded",
            *FLAG_FIELDS,
            "so2_tpa",
            "nox_tpa",
            "pm_tpa",
            "vocs_tpa",
            "revision",
            "updated_at",
        ]


class EntryDetailSerializer(EntryListSerializer):
    processes = serializers.SerializerMethodField()

    class Meta(EntryListSerializer.Meta):
        fields = [*EntryListSerializer.Meta.fields, "processes"]

    def get_processes(self, obj) -> list[dict]:
        return [
            {
                "process": ep.process_id,
                "name": ep.process.name,
                "line": ep.process.line.name,
                "so2_tpa": ep.so2_tpa,
                "nox_tpa": ep.nox_tpa,
                "pm_tpa": ep.pm_tpa,
                "vocs_tpa": ep.vocs_tpa,
                "measures": MeasureSerializer(ep.measures.all(), many=True).data,
            }
            for ep in obj.processes.all()
        ]


class EntryUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListEntry
        fields = list(FLAG_FIELDS)
        extra_kwargs = {f: {"required": False} for f in FLAG_FIELDS}


class OverrideSerializer(serializers.Serializer):
    measure = serializers.IntegerField()
    action = serializers.ChoiceField(choices=Action.choices)
    ratio_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    text = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField()


def _year(request) -> int:
    try:
        return int(request.query_params.get("year") or timezone.localdate().year)
    except ValueError as exc:
        raise serializers.ValidationError({"year": "年度格式不正确"}) from exc


@extend_schema(
    parameters=[
        OpenApiParameter("year", int),
        OpenApiParameter("county", str, description="县级区划代码"),
    ]
)
class ListEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Entries of the list within the caller's jurisdiction (404 outside it)."""

    pagination_class = Pagination
    filter_backends = []
    queryset = ListEntry.objects.none()

    def get_serializer_class(self):
        if self.action == "list":
            return EntryListSerializer
        if self.action == "partial_update":
            return EntryUpdateSerializer
        return EntryDetailSerializer

    def get_queryset(self):
        county = None
        code = self.request.query_params.get("county")
        if code:
            county = Region.objects.filter(code=code).first()
            if county is None:
                return ListEntry.objects.none()
        return entry_list(
            viewer=self.request.user,
            year=_year(self.request),
            county=county,
            search=self.request.query_params.get("search", ""),
        )

    def get_object(self):
        return entry_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=EntryUpdateSerializer, responses=EntryDetailSerializer)
    def partial_update(self, request, pk=None):
        entry = self.get_object()
        serializer = EntryUpdateSerializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        entry_services.entry_update(
            actor=request.user, entry=entry, data=dict(serializer.validated_data)
        )
        return Response(EntryDetailSerializer(entry_get(viewer=request.user, pk=entry.pk)).data)

    @extend_schema(request=OverrideSerializer, responses=MeasureSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """Make one measure stricter, with a reason (R-LIST-8: never weaker)."""
        entry = self.get_object()
        s = OverrideSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        measure = get_object_or_404(
            EntryMeasure, pk=s.validated_data["measure"], entry_process__entry=entry
        )
        data = {k: v for k, v in s.validated_data.items() if k != "measure"}
        m = entry_services.measure_override(actor=request.user, measure=measure, **data)
        return Response(MeasureSerializer(m).data)

    @extend_schema(request=None, responses={202: None})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Compile or refresh a county's list in the background (R-LIST-1)."""
        from django.db import transaction

        from core.audit import event_record
        from emergency_list.tasks import generate_list

        county = Region.objects.filter(code=request.data.get("county", "")).first()
        try:
            year = int(request.data.get("year") or timezone.localdate().year)
        except (TypeError, ValueError) as exc:
            raise serializers.ValidationError({"year": "年度格式不正确"}) from exc
        if county is None or not county.holds_enterprises:
            raise serializers.ValidationError({"county": "请指定县（市、区）区划代码"})
        if request.user.role not in (
            User.Role.COUNTY,
            User.Role.CITY,
            User.Role.PROVINCE,
            User.Role.ADMIN,
        ) or not region_in_reach(request.user, county):
            raise PermissionDenied("只有辖区生态环境部门可以编制应急减排清单")
        with transaction.atomic():
            event_record(
                code="list.generate.requested",
                actor=request.user,
                target=county,
                summary=f"编制{year}年{county.name}应急减排清单",
            )
            transaction.on_commit(lambda: generate_list.delay(county.pk, year, request.user.pk))
        return Response(
            {"county": county.code, "year": year, "status": "queued"},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        parameters=[OpenApiParameter("scope", str, description="区划代码（县、市或省）")],
        responses=None,
    )
    @action(detail=False, methods=["get"])
    def ratio(self, request):
        """R-LIST-7: cuts per pollutant and alert level against the required share."""
        user = request.user
        if user.role not in (User.Role.COUNTY, User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN):
            raise PermissionDenied("只有生态环境部门可以查看清单核算")
        code = request.query_params.get("scope")
        scope = user.region
        if code:
            scope = get_object_or_404(Region, code=code)
            allowed = county_units_for(user)
            ok = (
                (scope.holds_enterprises and allowed.filter(pk=scope.pk).exists())
                or user.role in (User.Role.PROVINCE, User.Role.ADMIN)
                or (user.role == User.Role.CITY and scope == user.region)
            )
            if not ok:
                from django.http import Http404

                raise Http404
        year = _year(request)
        results = ratio_check(scope=scope, year=year)
        return Response(
            {
                "scope": scope.code,
                "year": year,
                "levels": {
                    level: [
                        {
                            "pollutant": r.pollutant,
                            "baseline_td": r.baseline_td,
                            "cut_td": r.cut_td,
                            "achieved_pct": r.achieved_pct,
                            "required_pct": r.required_pct,
                            "shortfall_td": r.shortfall_td,
                            "ok": r.ok,
                        }
                        for r in rows
                    ]
                    for level, rows in results.items()
                },
            }
        )
