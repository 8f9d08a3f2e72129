"""REST API of the emergency list (/api/v1/list/...): thin over the same selectors and services
as the pages, so a page and its API give the same answer to every user."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from core.api import KeysetOrPages, PlainRows
from emergency_list.models import Action, AlertLevel, EntryMeasure, ListEntry
from emergency_list.selectors import (
    alert_duties_for,
    alert_duty_dicts,
    alert_get,
    alert_list,
    alert_results_for,
    entry_documents,
    entry_get,
    entry_history,
    entry_list,
    entry_measure_get,
    entry_version_diff,
    excel_job_get,
    excel_job_list,
    list_scope_get,
)
from emergency_list.services.alerts import alert_call
from emergency_list.services.bundles import bundle_request
from emergency_list.services.documents import documents_request
from emergency_list.services.entries import (
    FLAG_FIELDS,
    entry_update,
    list_generate_request,
    measure_override,
)
from emergency_list.services.jobs import export_request, import_confirm, import_upload
from emergency_list.services.ratios import ratio_check
from grading.models import Region
from grading.rules import allows

YEAR_ERRORS = dict.fromkeys(("invalid", "max_value", "min_value"), "年度格式不正确")
VERSION_KEYS = ("invalid", "min_value", "max_string_length")


def _year_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, error_messages=YEAR_ERRORS
    )


def _region_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        error_messages={"does_not_exist": "区划代码不存在", "invalid": "区划代码不存在"},
        **kwargs,
    )


# --- entries ---------------------------------------------------------------------------------


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


class EntryListSerializer(PlainRows, serializers.ModelSerializer):
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
                "industry": ep.industry.code if ep.industry else None,
                "grade": ep.grade.code if ep.grade else None,
                "emission_basis": ep.emission_basis,
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
    """A stricter measure for one process at one level, with its reason (R-LIST-8)."""

    measure = serializers.IntegerField()
    action = serializers.ChoiceField(choices=Action.choices)
    ratio_pct = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    text = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField()


class VersionDiffSerializer(serializers.Serializer):
    older = serializers.IntegerField(
        required=False, min_value=1, error_messages=dict.fromkeys(VERSION_KEYS, "版本号格式不正确")
    )
    newer = serializers.IntegerField(
        required=False, min_value=1, error_messages=dict.fromkeys(VERSION_KEYS, "版本号格式不正确")
    )


class ListQuerySerializer(serializers.Serializer):
    year = _year_field()
    county = serializers.CharField(required=False, allow_blank=True, default="")
    search = serializers.CharField(required=False, allow_blank=True, default="")
    scope = serializers.CharField(required=False, allow_blank=True, default="")


class GenerateSerializer(serializers.Serializer):
    county = _region_field()
    year = _year_field()


class DocumentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    index = serializers.IntegerField()
    name = serializers.CharField()
    revision = serializers.IntegerField()
    created_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, obj) -> str:
        entry = self.context["entry"]
        return reverse("emergency_list:document", args=[entry.pk, obj.kind, obj.index])


def _query(request) -> dict:
    s = ListQuerySerializer(data=request.query_params)
    s.is_valid(raise_exception=True)
    return {**s.validated_data, "year": s.validated_data.get("year") or _this_year()}


def _this_year() -> int:
    return timezone.localdate().year


def _forbid_change(request, entry) -> None:
    if not allows(request.user, "emergency_list.change_entry", entry):
        raise PermissionDenied("只有辖区生态环境部门可以修改应急减排清单")


@extend_schema(
    parameters=[
        OpenApiParameter("year", int),
        OpenApiParameter("county", str, description="县级区划代码"),
    ]
)
class ListEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Entries of the list within the caller's jurisdiction (404 outside it)."""

    lookup_value_regex = r"\d+"
    pagination_class = KeysetOrPages
    filter_backends = []
    queryset = ListEntry.objects.none()

    def get_serializer_class(self):
        if self.action == "list":
            return EntryListSerializer
        if self.action == "partial_update":
            return EntryUpdateSerializer
        return EntryDetailSerializer

    def get_queryset(self):
        query = _query(self.request)
        county = None
        if query["county"]:
            county = Region.objects.filter(code=query["county"]).first()
            if county is None:
                return ListEntry.objects.none()
        return entry_list(
            viewer=self.request.user, year=query["year"], county=county, search=query["search"]
        )

    def get_object(self):
        return entry_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=EntryUpdateSerializer, responses=EntryDetailSerializer)
    def partial_update(self, request, pk=None):
        entry = self.get_object()
        _forbid_change(request, entry)
        serializer = EntryUpdateSerializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        entry_update(actor=request.user, entry=entry, data=dict(serializer.validated_data))
        return Response(EntryDetailSerializer(entry_get(viewer=request.user, pk=entry.pk)).data)

    @extend_schema(request=OverrideSerializer, responses=MeasureSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request, pk=None):
        """Make one measure stricter, with a reason (R-LIST-8: never weaker)."""
        entry = self.get_object()
        _forbid_change(request, entry)
        s = OverrideSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        measure = entry_measure_get(entry=entry, pk=data.pop("measure"))
        return Response(
            MeasureSerializer(measure_override(actor=request.user, measure=measure, **data)).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("older", int, description="较早的版本号"),
            OpenApiParameter("newer", int, description="较新的版本号"),
        ],
        responses=None,
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """R-LIST-6: the entry's versions, newest first, and what changed between two of them
        (by default the current one and the one before)."""
        entry = self.get_object()
        s = VersionDiffSerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        older = s.validated_data.get("older") or max(entry.revision - 1, 1)
        newer = s.validated_data.get("newer") or entry.revision
        older, newer = min(older, newer), max(older, newer)
        diff = entry_version_diff(entry=entry, older=older, newer=newer)
        return Response(
            {
                "revision": entry.revision,
                "versions": [
                    {
                        "number": v.number,
                        "current": v.current,
                        "replaced_at": v.replaced_at,
                        "replaced_by": v.replaced_by,
                        "reason": v.reason,
                    }
                    for v in entry_history(entry=entry)
                ],
                "older": older,
                "newer": newer,
                "changes": [{"label": c.label, "before": c.before, "after": c.after} for c in diff],
            }
        )

    @extend_schema(request=GenerateSerializer, responses={202: None})
    @action(detail=False, methods=["post"])
    def generate(self, request):
        """Compile or refresh a county's list in the background (R-LIST-1)."""
        s = GenerateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        county, year = s.validated_data["county"], s.validated_data.get("year") or _this_year()
        list_generate_request(actor=request.user, county=county, year=year)
        return Response(
            {"county": county.code, "year": year, "status": "queued"},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=None, responses={200: DocumentSerializer(many=True), 202: None})
    @action(detail=True, methods=["get", "post"])
    def documents(self, request, pk=None):
        """The stored 一厂一策 plans and gate signboards of the entry (GET), or render both for
        the entry's current revision (POST)."""
        entry = self.get_object()
        if request.method == "GET":
            docs = entry_documents(viewer=request.user, entry=entry)
            return Response(DocumentSerializer(docs, many=True, context={"entry": entry}).data)
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
        query = _query(request)
        scope = list_scope_get(viewer=request.user, code=query["scope"])
        results = ratio_check(scope=scope, year=query["year"])
        return Response(
            {
                "scope": scope.code,
                "year": query["year"],
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


# --- alerts ----------------------------------------------------------------------------------


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    level = serializers.ChoiceField(choices=AlertLevel.choices)
    cities = _region_field(many=True, write_only=True)
    start_on = serializers.DateField()
    end_on = serializers.DateField()
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DutyCursor(CursorPagination):
    """Duties in the alert's order by keyset (``position``): deep pages cost what the first
    does."""

    ordering = "position"
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"


class AlertViewSet(viewsets.ViewSet):
    """Alert simulation: call one (province or city staff; a worker computes it, follow its
    ``status`` and ``progress``) and read past ones with the list version they used; page
    through an alert's duties at ``duties/``. County users read their own county's part."""

    lookup_value_regex = r"\d+"

    def _summary(self, alert) -> dict:
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
            "status": alert.status,
            "progress": alert.progress,
            "error": alert.error,
            "entries": alert.entries,
            "counties": alert.counties,
            "counties_short": alert.counties_short,
            "exempt": alert.exempt,
        }

    def _present(self, alert) -> dict:
        return {
            **self._summary(alert),
            "results": alert_results_for(viewer=self.request.user, alert=alert),
            "duties_url": reverse("api:list-alert-duties", args=[alert.pk]),
        }

    @extend_schema(operation_id="list_alerts_list", responses=None)
    def list(self, request):
        alerts = alert_list(viewer=request.user)[:100]
        return Response([self._summary(a) for a in alerts])

    @extend_schema(responses=None)
    def retrieve(self, request, pk=None):
        return Response(self._present(alert_get(viewer=request.user, pk=pk)))

    @extend_schema(responses=None)
    @action(detail=True, methods=["get"])
    def duties(self, request, pk=None):
        """The duties the viewer reads, 100 a page by cursor (``next``/``previous``)."""
        alert = alert_get(viewer=request.user, pk=pk)
        paginator = DutyCursor()
        page = paginator.paginate_queryset(
            alert_duties_for(viewer=request.user, alert=alert), request, view=self
        )
        return paginator.get_paginated_response(alert_duty_dicts(page))

    @extend_schema(request=AlertSerializer, responses=None)
    def create(self, request):
        """Queue the alert: 202 with the pending alert; it is ready when ``status`` says so."""
        s = AlertSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        alert = alert_call(actor=request.user, **s.validated_data)
        alert.refresh_from_db()  # a worker that already finished (eager) shows as such
        return Response(self._present(alert), status=status.HTTP_202_ACCEPTED)


# --- Excel jobs ------------------------------------------------------------------------------


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
        downloads = (obj.Kind.EXPORT, obj.Kind.BUNDLE, obj.Kind.DIFF)
        if obj.kind in downloads and obj.status == obj.Status.READY:
            return reverse("emergency_list:job-download", args=[obj.pk])
        return None


class ExcelRequestSerializer(serializers.Serializer):
    region = _region_field()
    year = _year_field()


class ExcelUploadSerializer(ExcelRequestSerializer):
    file = serializers.FileField(error_messages={"required": "请上传Excel文件"})


class ExcelJobViewSet(viewsets.ViewSet):
    """Excel out (export) and in (upload → per-row report → confirm)."""

    lookup_value_regex = r"\d+"

    @extend_schema(responses=ExcelJobSerializer(many=True))
    def list(self, request):
        jobs = excel_job_list(viewer=request.user)[:100]
        return Response(ExcelJobSerializer(jobs, many=True).data)

    @extend_schema(responses=ExcelJobSerializer)
    def retrieve(self, request, pk=None):
        return Response(ExcelJobSerializer(excel_job_get(viewer=request.user, pk=pk)).data)

    @extend_schema(request=ExcelRequestSerializer, responses=ExcelJobSerializer)
    @action(detail=False, methods=["post"])
    def export(self, request):
        s = ExcelRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        year = s.validated_data.get("year") or _this_year()
        job = export_request(actor=request.user, region=s.validated_data["region"], year=year)
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ExcelRequestSerializer, responses=ExcelJobSerializer)
    @action(detail=False, methods=["post"])
    def bundle(self, request):
        """All plans and signboards of a county's list as one archive, built by a worker."""
        s = ExcelRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        year = s.validated_data.get("year") or _this_year()
        job = bundle_request(actor=request.user, county=s.validated_data["region"], year=year)
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ExcelUploadSerializer, responses=ExcelJobSerializer)
    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request):
        s = ExcelUploadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        job = import_upload(
            actor=request.user,
            county=data["region"],
            year=data.get("year") or _this_year(),
            upload=data["file"],
        )
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ExcelJobSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        job = import_confirm(actor=request.user, job=excel_job_get(viewer=request.user, pk=pk))
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
