"""A declaration's submitted versions and their package PDF."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations import selectors
from declarations.models import DeclarationVersion
from declarations.services.rendering import package_rerender


class PackageStatusSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="package_status", read_only=True)
    status_display = serializers.CharField(source="get_package_status_display", read_only=True)
    progress = serializers.IntegerField(source="package_progress", read_only=True)
    sha256 = serializers.CharField(source="package_sha256", read_only=True)
    error = serializers.CharField(source="package_error", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DeclarationVersion
        fields = ["status", "status_display", "progress", "sha256", "error", "download_url"]

    def get_download_url(self, obj) -> str | None:
        if obj.package_status != DeclarationVersion.RenderStatus.READY or not obj.package_file:
            return None
        return reverse("declarations:package-download", args=[obj.declaration_id, obj.number])


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeclarationVersion
        fields = [
            "number",
            "submitted_at",
            "rectification",
            "package_status",
            "package_progress",
            "package_sha256",
        ]
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    package = PackageStatusSerializer(source="*", read_only=True)

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "package", "snapshot"]
        read_only_fields = fields


NUMBER_PARAM = OpenApiParameter("number", int, OpenApiParameter.PATH, description="版本号")


class VersionsMixin:
    """``versions/``, ``versions/<n>/`` and ``versions/<n>/package/``."""

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, pk=None):
        """The submitted, frozen versions."""
        declaration = self.get_object()
        return Response(VersionSerializer(declaration.versions.all(), many=True).data)

    @extend_schema(parameters=[NUMBER_PARAM], responses=VersionDetailSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)")
    def version_detail(self, request, pk=None, number=None):
        """One version with its snapshot."""
        version = selectors.version_get(viewer=request.user, declaration_pk=pk, number=number)
        return Response(VersionDetailSerializer(version).data)

    @extend_schema(parameters=[NUMBER_PARAM], responses=PackageStatusSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)/package")
    def package(self, request, pk=None, number=None):
        """The package PDF's render status; the download path once it is ready."""
        version = selectors.version_get(viewer=request.user, declaration_pk=pk, number=number)
        return Response(PackageStatusSerializer(version).data)

    @extend_schema(
        parameters=[NUMBER_PARAM], request=None, responses={202: PackageStatusSerializer}
    )
    @package.mapping.post
    def package_request(self, request, pk=None, number=None):
        """Queue the package PDF again (a failed render, or a lost file)."""
        version = selectors.version_get(viewer=request.user, declaration_pk=pk, number=number)
        version = package_rerender(actor=request.user, version=version)
        return Response(PackageStatusSerializer(version).data, status=status.HTTP_202_ACCEPTED)
