"""REST API of a county's list versions and adjustment rounds (/api/v1/list/versions/, R-LIST-6):
thin over the same selectors and services as the rounds page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from emergency_list.api import ExcelJobSerializer, _this_year, _year_field
from emergency_list.selectors import list_round_scope, list_version_diff, list_versions
from emergency_list.services.rounds import (
    diff_export_request,
    last_version_number,
    list_version_publish,
    list_windows,
    round_worklist,
)

# --- list versions (R-LIST-6) -----------------------------------------------------------------


class VersionQuerySerializer(serializers.Serializer):
    county = serializers.CharField()
    year = _year_field()
    older = serializers.IntegerField(required=False, min_value=0)
    newer = serializers.IntegerField(required=False, min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


def _changes(changes) -> list[dict]:
    return [
        {
            "enterprise": c.enterprise,
            "uscc": c.uscc,
            "kind": c.kind,
            "label": c.label,
            "before": c.before,
            "after": c.after,
        }
        for c in changes
    ]


class ListVersionViewSet(viewsets.ViewSet):
    """A county's published list versions, its worklist since the last one, publishing, and
    the difference between two versions (also as an Excel file built by a worker)."""

    def _query(self, data):
        s = VersionQuerySerializer(data=data)
        s.is_valid(raise_exception=True)
        county = list_round_scope(viewer=self.request.user, code=s.validated_data["county"])
        return county, s.validated_data.get("year") or _this_year(), s.validated_data

    @extend_schema(parameters=[VersionQuerySerializer], responses=None)
    def list(self, request):
        county, year, _data = self._query(request.query_params)
        return Response(
            {
                "county": county.code,
                "year": year,
                "windows": [
                    {"kind": w.kind, "label": w.get_kind_display(), "due_on": w.due_on}
                    for w in list_windows(year)
                ],
                "versions": [
                    {
                        "number": v.number,
                        "window": v.window.kind if v.window else None,
                        "published_at": v.published_at,
                        "entries": len(v.entries),
                        "note": v.note,
                    }
                    for v in list_versions(county=county, year=year)
                ],
                "worklist": _changes(round_worklist(county, year)),
            }
        )

    @extend_schema(request=VersionQuerySerializer, responses=None)
    @action(detail=False, methods=["post"])
    def publish(self, request):
        county, year, data = self._query(request.data)
        v = list_version_publish(actor=request.user, county=county, year=year, note=data["note"])
        return Response({"number": v.number, "entries": len(v.entries)}, status=201)

    @extend_schema(parameters=[VersionQuerySerializer], responses=None)
    @action(detail=False, methods=["get"])
    def diff(self, request):
        county, year, data = self._query(request.query_params)
        newer = data.get("newer") or last_version_number(county, year)
        older = data.get("older", max(newer - 1, 0))
        changes = list_version_diff(county=county, year=year, older=older, newer=newer)
        return Response({"older": older, "newer": newer, "changes": _changes(changes)})

    @extend_schema(request=VersionQuerySerializer, responses=ExcelJobSerializer)
    @action(detail=False, methods=["post"])
    def export(self, request):
        county, year, data = self._query(request.data)
        newer = data.get("newer") or last_version_number(county, year)
        older = data.get("older", max(newer - 1, 0))
        job = diff_export_request(
            actor=request.user, county=county, year=year, older=older, newer=newer
        )
        return Response(ExcelJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
