"""The positive enforcement list and the bureaus' Excel files (/api/v1/publication/)."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.downloads import file_download
from declarations.api import RejectUnknownFieldsMixin
from grading.models import Enterprise, Industry
from publication.models import ExportFile
from publication.rules import allows, refusal
from publication.selectors.exports import export_get, export_list, regions_in_reach
from publication.selectors.positive import positive_list
from publication.services.exports import export_file_name, export_request


class PositiveSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.code")
    county_name = serializers.CharField(source="county.name")
    grade = serializers.CharField(source="overall_grade.code")
    main_industry = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "uscc",
            "county",
            "county_name",
            "address",
            "main_industry",
            "grade",
            "is_confidential",
        ]
        read_only_fields = fields

    def get_main_industry(self, obj) -> str | None:
        rows = getattr(obj, "main_industries", [])
        return rows[0].industry.code if rows else None


class PositiveViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """R-PUB-3: the positive enforcement list of the caller's jurisdiction, current grades."""

    serializer_class = PositiveSerializer
    queryset = Enterprise.objects.none()
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="区划代码（本辖区内）"),
            OpenApiParameter("industry", str, description="行业代码"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Enterprise.objects.none()
        user = self.request.user
        if not allows(user, "publication.view_positive_list"):
            raise PermissionDenied(refusal(user, "publication.view_positive_list"))
        params = self.request.query_params
        region = None
        if params.get("region"):
            region = regions_in_reach(user).filter(code=params["region"]).first()
            if region is None:
                raise Http404
        industry = Industry.objects.filter(code=params.get("industry") or "").first()
        return positive_list(viewer=user, county=region, industry=industry)


class ExportSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code")
    requested_by = serializers.CharField(source="requested_by.username")
    download = serializers.SerializerMethodField()

    class Meta:
        model = ExportFile
        fields = [
            "id",
            "kind",
            "region",
            "year",
            "status",
            "rows",
            "error",
            "sha256",
            "requested_by",
            "requested_at",
            "rendered_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, obj) -> str | None:
        if obj.status != ExportFile.Status.READY:
            return None
        return f"/api/v1/publication/exports/{obj.pk}/download/"


class ExportRequestSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExportFile.Kind.choices)
    region = serializers.CharField(help_text="区划代码")
    year = serializers.IntegerField(required=False, allow_null=True, default=None)
    month = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="申报清单：初审月份"
    )


class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Excel files of the caller's jurisdiction: request one, follow it, download it."""

    serializer_class = ExportSerializer
    queryset = ExportFile.objects.none()
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportFile.objects.none()
        return export_list(viewer=self.request.user, kind=self.request.query_params.get("kind", ""))

    def get_object(self):
        return export_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=ExportRequestSerializer, responses={201: ExportSerializer})
    def create(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        region = regions_in_reach(request.user).filter(code=data["region"]).first()
        if region is None:
            raise PermissionDenied(refusal(request.user, "publication.request_export"))
        export = export_request(
            actor=request.user,
            kind=data["kind"],
            region=region,
            year=data["year"],
            params={"month": data["month"]} if data["month"] else None,
        )
        return Response(ExportSerializer(export).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        export = self.get_object()
        if export.status != ExportFile.Status.READY or not export.file:
            raise Http404
        return file_download(
            request,
            target=export,
            kind="export",
            file=export.file.open("rb"),
            filename=export_file_name(export),
        )
