"""REST API of the declarations app (/api/v1/declarations/). Thin: validate, call a selector
or service, present. Who may see a declaration is decided by ``declarations.selectors``
(404 outside the viewer's reach); who may change it, by the services."""

from collections.abc import Mapping

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from declarations import selectors
from declarations.models import (
    Declaration,
    DeclarationVersion,
    Evidence,
    IndicatorRow,
    MaterialUse,
    ProductCapacity,
    TransportVolume,
    TreatmentFacility,
    Vehicle,
)
from declarations.services import checks, drafting, lifecycle
from declarations.services.rendering import package_rerender
from grading.models import Grade, Industry, User

# ---------------------------------------------------------------------------------------------
# Input helpers


class RejectUnknownFieldsMixin:
    """A field the serializer does not know is an error, not silently dropped: a client that
    sends ``status`` or a misspelt name learns that nothing was saved for it. Read-only fields
    of the same shape (``id``, ``line_name``) are ignored, so a row read can be sent back."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {api_settings.NON_FIELD_ERRORS_KEY: ["不能修改的字段：" + "、".join(unknown)]}
                )
        return super().to_internal_value(data)


# ---------------------------------------------------------------------------------------------
# Declarations


class IndicatorSetBriefSerializer(serializers.Serializer):
    guideline_version = serializers.CharField(source="guideline_version.code")
    scheme = serializers.CharField(source="scheme.code")


class BatchBriefSerializer(serializers.Serializer):
    name = serializers.CharField()
    deadline = serializers.DateField()


class DeclarationSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    requested_grade = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    indicator_set = IndicatorSetBriefSerializer(read_only=True)
    batch = BatchBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "year",
            "industry",
            "status",
            "status_display",
            "current_version",
            "indicator_set",
            "batch",
            *drafting.EDITABLE_FIELDS,
            "submitted_at",
        ]
        read_only_fields = fields


class DeclarationFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Declaration.Status.choices, required=False, allow_blank=True, default=""
    )
    year = serializers.IntegerField(required=False, allow_null=True, default=None)


class DeclarationCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    industry = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.filter(is_active=True),
        error_messages={"does_not_exist": "行业代码“{value}”不存在"},
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    control_type = serializers.ChoiceField(
        choices=Declaration.ControlType.choices, default=Declaration.ControlType.GRADING
    )
    requested_grade = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grade.objects.all(),
        error_messages={"does_not_exist": "等级代码“{value}”不存在"},
    )
    guarantee_category = serializers.ChoiceField(
        choices=Declaration.GuaranteeCategory.choices, allow_blank=True, default=""
    )


class DeclarationUpdateSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    requested_grade = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grade.objects.all(),
        error_messages={"does_not_exist": "等级代码“{value}”不存在"},
    )

    class Meta:
        model = Declaration
        fields = list(drafting.EDITABLE_FIELDS)


class CheckIssueSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="RULES 规则代码，如 R-DECL-2")
    section = serializers.CharField()
    message = serializers.CharField()
    row = serializers.IntegerField(allow_null=True, help_text="指标对标表序号")


class CheckResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    issues = CheckIssueSerializer(many=True)


class SubmissionRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    issues = CheckIssueSerializer(many=True)


class SubmitSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    rectification = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="退回修改后重新提交时的整改情况"
    )


class WithdrawSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# ---------------------------------------------------------------------------------------------
# Tables (products, materials, transport, vehicles, facilities)


class ProductCapacitySerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    line = serializers.IntegerField(source="line_id", help_text="本企业生产线的 id")
    line_name = serializers.CharField(source="line.name", read_only=True)

    class Meta:
        model = ProductCapacity
        fields = ["id", "line", "line_name", "product", "capacity", "last_year_output", "unit"]


class MaterialUseSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = MaterialUse
        fields = ["id", "kind", "name", "annual_amount", "unit", "storage_transport"]


class TransportVolumeSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = TransportVolume
        fields = ["id", "mode", "goods", "annual_tonnes"]


class VehicleSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = ["id", "plate", "vin", "engine_number", "emission_stage"]


class TreatmentFacilitySerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    process = serializers.IntegerField(source="process_id", help_text="本企业登记的工序 id")
    process_name = serializers.CharField(source="process.name", read_only=True)

    class Meta:
        model = TreatmentFacility
        fields = [
            "id",
            "kind",
            "seq",
            "process",
            "process_name",
            "technique",
            "commissioned_on",
            "running_status",
            "removal_efficiency",
            "concentration",
            "airflow",
        ]


TABLE_SERIALIZERS: dict[str, type[serializers.ModelSerializer]] = {
    "products": ProductCapacitySerializer,
    "materials": MaterialUseSerializer,
    "transport": TransportVolumeSerializer,
    "vehicles": VehicleSerializer,
    "facilities": TreatmentFacilitySerializer,
}
assert set(TABLE_SERIALIZERS) == set(drafting.TABLES)
TABLE_RELATED = {"products": ["line"], "facilities": ["process"]}


def _table_rows(declaration: Declaration, table: str):
    # The related names on Declaration are the table names of drafting.TABLES.
    return getattr(declaration, table).select_related(*TABLE_RELATED.get(table, []))


# ---------------------------------------------------------------------------------------------
# Indicator rows, evidence, versions


class IndicatorRowSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    evidence = serializers.SerializerMethodField(help_text="当前有效证明材料的 id")

    class Meta:
        model = IndicatorRow
        fields = [
            "id",
            "seq",
            "category",
            "category_name",
            "requirement",
            "applicable",
            "not_applicable_reason",
            "statement",
            "meets",
            "remark",
            "evidence",
        ]
        read_only_fields = fields

    def get_evidence(self, obj) -> list[int]:
        return [e.pk for e in obj.evidence.all() if e.replaced_by_id is None]


class IndicatorRowUpdateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Fields left out keep their current value."""

    applicable = serializers.BooleanField(required=False)
    statement = serializers.CharField(required=False, allow_blank=True)
    meets = serializers.BooleanField(required=False, allow_null=True)
    not_applicable_reason = serializers.CharField(required=False, allow_blank=True, max_length=300)
    remark = serializers.CharField(required=False, allow_blank=True, max_length=300)


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "title",
            "section",
            "indicator_row",
            "original_name",
            "kind",
            "size",
            "sha256",
            "is_confidential",
            "uploaded_at",
            "replaced_by",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("declarations:evidence-download", args=[obj.pk])


class EvidenceUploadSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    section = serializers.ChoiceField(
        choices=Evidence.Section.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="指定 indicator_row 时为 indicator；替换材料时默认沿用原材料的部分",
    )
    indicator_row = serializers.IntegerField(required=False, allow_null=True, default=None)
    replaces = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="被替换的材料 id"
    )
    is_confidential = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs["indicator_row"] and not attrs["section"]:
            attrs["section"] = Evidence.Section.INDICATOR
        return attrs


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


# ---------------------------------------------------------------------------------------------
# The viewset

TABLE_PATTERN = "|".join(drafting.TABLES)
TABLE_PARAM = OpenApiParameter(
    "table", str, OpenApiParameter.PATH, enum=list(drafting.TABLES), description="申报表格"
)
ROW_PARAM = OpenApiParameter("row_id", int, OpenApiParameter.PATH, description="指标对标行 id")
NUMBER_PARAM = OpenApiParameter("number", int, OpenApiParameter.PATH, description="版本号")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Declaration.Status.values, description="状态"),
            OpenApiParameter("year", int, description="申报年度"),
        ]
    ),
)
class DeclarationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Declarations: an enterprise sees its own, bureau staff the submitted ones of their
    jurisdiction; anything else answers 404."""

    queryset = Declaration.objects.none()  # for the schema; reads go through the selectors
    serializer_class = DeclarationSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Declaration.objects.none()
        params = DeclarationFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.declaration_list(
            viewer=self.request.user, **params.validated_data
        ).select_related("indicator_set__scheme", "indicator_set__guideline_version")

    def get_object(self) -> Declaration:
        return selectors.declaration_get(viewer=self.request.user, pk=self.kwargs["pk"])

    def _present(self, declaration: Declaration) -> dict:
        fresh = selectors.declaration_get(viewer=self.request.user, pk=declaration.pk)
        return DeclarationSerializer(fresh).data

    @extend_schema(request=DeclarationCreateSerializer, responses={201: DeclarationSerializer})
    def create(self, request, *args, **kwargs):
        """Open a declaration for one of the enterprise's industries (enterprise users only)."""
        user = request.user
        if user.role != User.Role.ENTERPRISE or user.enterprise_id is None:
            raise exceptions.PermissionDenied("只有企业账户可以新建申报")
        serializer = DeclarationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = drafting.declaration_create(
            actor=user, enterprise=user.enterprise, **serializer.validated_data
        )
        return Response(self._present(declaration), status=status.HTTP_201_CREATED)

    @extend_schema(request=DeclarationUpdateSerializer, responses={200: DeclarationSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Save fields of the application form, the commitments or the basic information."""
        declaration = self.get_object()
        serializer = DeclarationUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        declaration = drafting.declaration_update(
            actor=request.user, declaration=declaration, data=dict(serializer.validated_data)
        )
        return Response(self._present(declaration))

    @extend_schema(responses=CheckResultSerializer)
    @action(detail=True, methods=["get"])
    def check(self, request, pk=None):
        """What still blocks submission, each issue with its RULES code."""
        issues = checks.declaration_check(self.get_object(), on=timezone.localdate())
        return Response({"ok": not issues, "issues": [i.as_dict() for i in issues]})

    @extend_schema(
        request=SubmitSerializer,
        responses={201: VersionSerializer, 400: SubmissionRefusedSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit: every check runs; the package is frozen as a new version."""
        declaration = self.get_object()
        serializer = SubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            version = lifecycle.declaration_submit(
                actor=request.user,
                declaration=declaration,
                rectification=serializer.validated_data["rectification"],
            )
        except lifecycle.SubmissionRefused as exc:
            return Response(
                {
                    "detail": "申报未通过提交前检查",
                    "issues": [i.as_dict() for i in exc.issues],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses=DeclarationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Back to draft, until the county starts its first review."""
        declaration = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = lifecycle.declaration_withdraw(
            actor=request.user, declaration=declaration, **serializer.validated_data
        )
        return Response(self._present(declaration))

    # Tables -----------------------------------------------------------------------------------

    @extend_schema(
        parameters=[TABLE_PARAM],
        responses={200: serializers.ListSerializer(child=serializers.DictField())},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"tables/(?P<table>{TABLE_PATTERN})",
        pagination_class=None,
    )
    def tables(self, request, pk=None, table=None):
        """The rows of one table; the row shape is that of the PUT body."""
        declaration = self.get_object()
        rows = _table_rows(declaration, table)
        return Response(TABLE_SERIALIZERS[table](rows, many=True).data)

    @extend_schema(
        parameters=[TABLE_PARAM],
        request=serializers.ListSerializer(child=serializers.DictField()),
        responses={200: serializers.ListSerializer(child=serializers.DictField())},
        description=(
            "整表替换。各表行字段：products(line, product, capacity, last_year_output, unit)；"
            "materials(kind, name, annual_amount, unit, storage_transport)；"
            "transport(mode, goods, annual_tonnes)；"
            "vehicles(plate, vin, engine_number, emission_stage)；"
            "facilities(kind, seq, process, technique, commissioned_on, running_status, "
            "removal_efficiency, concentration, airflow)。line、process 为本企业生产线、工序的 id。"
        ),
    )
    @tables.mapping.put
    def tables_replace(self, request, pk=None, table=None):
        declaration = self.get_object()
        serializer = TABLE_SERIALIZERS[table](data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        drafting.declaration_table_replace(
            actor=request.user,
            declaration=declaration,
            table=table,
            rows=[dict(row) for row in serializer.validated_data],
        )
        return Response(TABLE_SERIALIZERS[table](_table_rows(declaration, table), many=True).data)

    # Indicator rows ---------------------------------------------------------------------------

    def _rows(self, declaration: Declaration):
        return declaration.indicator_rows.select_related("category").prefetch_related("evidence")

    @extend_schema(responses=IndicatorRowSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="indicator-rows", pagination_class=None)
    def indicator_rows(self, request, pk=None):
        """The indicator comparison table (指标对标表)."""
        return Response(IndicatorRowSerializer(self._rows(self.get_object()), many=True).data)

    @extend_schema(
        parameters=[ROW_PARAM],
        request=IndicatorRowUpdateSerializer,
        responses=IndicatorRowSerializer,
    )
    @action(detail=True, methods=["patch"], url_path=r"indicator-rows/(?P<row_id>\d+)")
    def indicator_row(self, request, pk=None, row_id=None):
        """Save one row: applicability, the enterprise's statement, self-assessment, remark."""
        declaration = self.get_object()
        row = self._rows(declaration).filter(pk=row_id).first()
        if row is None:
            raise Http404
        serializer = IndicatorRowUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {
            "applicable": row.applicable,
            "statement": row.statement,
            "meets": row.meets,
            "not_applicable_reason": row.not_applicable_reason,
            "remark": row.remark,
            **serializer.validated_data,
        }
        row = drafting.indicator_row_update(actor=request.user, row=row, **values)
        return Response(IndicatorRowSerializer(self._rows(declaration).get(pk=row.pk)).data)

    # Evidence ---------------------------------------------------------------------------------

    @extend_schema(responses=EvidenceSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
    )
    def evidence(self, request, pk=None):
        """Every evidence file, current and replaced (``replaced_by`` set)."""
        declaration = self.get_object()
        return Response(EvidenceSerializer(declaration.evidence.all(), many=True).data)

    @extend_schema(request=EvidenceUploadSerializer, responses={201: EvidenceSerializer})
    @evidence.mapping.post
    def evidence_upload(self, request, pk=None):
        """Upload one proof (multipart); the content decides the type."""
        declaration = self.get_object()
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = replaces = None
        if data["indicator_row"]:
            row = declaration.indicator_rows.filter(pk=data["indicator_row"]).first()
            if row is None:
                raise serializers.ValidationError({"indicator_row": ["指标不属于本申报"]})
        if data["replaces"]:
            replaces = declaration.evidence.filter(pk=data["replaces"]).first()
            if replaces is None:
                raise serializers.ValidationError({"replaces": ["只能替换本申报当前有效的材料"]})
        evidence = drafting.evidence_upload(
            actor=request.user,
            declaration=declaration,
            upload=data["file"],
            title=data["title"],
            # A replacement belongs where the file it replaces was, unless told otherwise.
            section=data["section"] or (replaces.section if replaces else ""),
            indicator_row=row,
            replaces=replaces,
            is_confidential=data["is_confidential"],
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    # Versions ---------------------------------------------------------------------------------

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
