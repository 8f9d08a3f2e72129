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

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"])
    def documents(self, request, pk=None):
        """Render the 一厂一策 plan and the gate signboard of the entry's current revision."""
        from emergency_list.services.documents import documents_request

        entry = self.get_object()
        documents_request(actor=request.user, entry=entry)
        return Response(
            {"entry": entry.pk, "revision": entry.revision, "status": "queued"},
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


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    level = serializers.ChoiceField(choices=["yellow", "orange", "red"])
    cities = serializers.ListField(child=serializers.CharField(), write_only=True)
    start_on = serializers.DateField()
    end_on = serializers.DateField()
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AlertViewSet(viewsets.ViewSet):
    """Alert simulation: call one (province or city staff) and read past ones with the list
    version they used. County users read their own county's part."""

    def _visible(self):
        from emergency_list.models import Alert

        user = self.request.user
        if user.role in (User.Role.PROVINCE, User.Role.ADMIN):
            return Alert.objects.all()
        if user.role == User.Role.CITY:
            return Alert.objects.filter(cities=user.region)
        if user.role == User.Role.COUNTY and user.region:
            return Alert.objects.filter(cities__pk=user.region.parent_id or user.region_id)
        raise PermissionDenied("只有生态环境部门可以查看预警测算")

    def _present(self, alert, full: bool) -> dict:
        results = dict(alert.results)
        user = self.request.user
        if user.role == User.Role.COUNTY:
            code = user.region.code
            results["counties"] = [c for c in results.get("counties", []) if c["code"] == code]
            results["duties"] = [
                d for d in results.get("duties", []) if d.get("county_code") == code
            ]
            results.pop("cities", None)
            results.pop("overall", None)
            results.pop("shortfalls", None)
        if not full:
            results.pop("duties", None)
        return {
            "id": alert.pk,
            "level": alert.level,
            "year": alert.year,
            "cities": [c.code for c in alert.cities.all()],
            "start_on": alert.start_on,
            "end_on": alert.end_on,
            "note": alert.note,
            "called_by": alert.called_by.username,
            "called_at": alert.called_at,
            "results": results,
        }

    @extend_schema(responses=None)
    def list(self, request):
        alerts = (
            self._visible().distinct().prefetch_related("cities").select_related("called_by")[:100]
        )
        return Response([self._present(a, full=False) for a in alerts])

    @extend_schema(responses=None)
    def retrieve(self, request, pk=None):
        alert = get_object_or_404(self._visible().distinct(), pk=pk)
        return Response(self._present(alert, full=True))

    @extend_schema(request=AlertSerializer, responses=None)
    def create(self, request):
        from emergency_list.services.alerts import alert_call

        s = AlertSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        codes = data.pop("cities")
        cities = list(Region.objects.filter(code__in=codes))
        if len(cities) != len(set(codes)):
            raise serializers.ValidationError({"cities": "区划代码不存在"})
        alert = alert_call(actor=request.user, cities=cities, **data)
        return Response(self._present(alert, full=True), status=status.HTTP_201_CREATED)


class ExcelJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    region = serializers.CharField(source="region.code")
    year = serializers.IntegerField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    rows = serializers.IntegerField()
    report = serializers.JSONField()
    error = serializers.CharField()
    sha256 = serializers.CharField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str | None:
        if obj.kind == "export" and obj.status == "ready":
            return f"/list/excel/jobs/{obj.pk}/download/"
        return None


class ExcelJobViewSet(viewsets.ViewSet):
    """Excel out (export) and in (upload → per-row report → confirm)."""

    def _jobs(self):
        from emergency_list.views import _jobs_for

        if self.request.user.role not in (
            User.Role.COUNTY,
            User.Role.CITY,
            User.Role.PROVINCE,
            User.Role.ADMIN,
        ):
            raise PermissionDenied("只有生态环境部门可以导入导出清单")
        return _jobs_for(self.request.user)

    @extend_schema(responses=ExcelJobSerializer(many=True))
    def list(self, request):
        return Response(ExcelJobSerializer(self._jobs()[:100], many=True).data)

    @extend_schema(responses=ExcelJobSerializer)
    def retrieve(self, request, pk=None):
        return Response(ExcelJobSerializer(get_object_or_404(self._jobs(), pk=pk)).data)

    def _region_year(self, request):
        region = Region.objects.filter(code=request.data.get("region", "")).first()
        if region is None:
            raise serializers.ValidationError({"region": "区划代码不存在"})
        try:
            year = int(request.data.get("year") or timezone.localdate().year)
        except (TypeError, ValueError) as exc:
            raise serializers.ValidationError({"year": "年度格式不正确"}) from exc
        return region, year

    @extend_schema(request=None, responses=ExcelJobSerializer)
    @action(detail=False, methods=["post"])
    def export(self, request):
        from emergency_list.services.jobs import export_request

        self._jobs()
        region, year = self._region_year(request)
        job = export_request(actor=request.user, region=region, year=year)
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ExcelJobSerializer)
    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request):
        from emergency_list.services.jobs import import_upload

        self._jobs()
        region, year = self._region_year(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": "请上传Excel文件"})
        job = import_upload(actor=request.user, county=region, year=year, upload=upload)
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ExcelJobSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        from emergency_list.services.jobs import import_confirm

        job = import_confirm(actor=request.user, job=get_object_or_404(self._jobs(), pk=pk))
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
