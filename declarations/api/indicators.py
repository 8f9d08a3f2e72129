"""The indicator comparison table (指标对标表) and the evidence files of a declaration."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from declarations.api.inputs import RejectUnknownFieldsMixin
from declarations.models import Evidence, IndicatorRow
from declarations.selectors import indicator_row_list
from declarations.services import drafting
from grading.indicator_texts import requirement_display, text_is_missing


class IndicatorRowSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    evidence = serializers.SerializerMethodField(help_text="当前有效证明材料的 id")
    requirement = serializers.SerializerMethodField(
        help_text="该级别指标要求；原文尚未录入时为一句说明（见 requirement_missing）"
    )
    requirement_missing = serializers.SerializerMethodField(help_text="指标要求原文尚未录入")

    class Meta:
        model = IndicatorRow
        fields = [
            "id",
            "seq",
            "category",
            "category_name",
            "requirement",
            "requirement_missing",
            "applicable",
            "not_applicable_reason",
            "statement",
            "meets",
            "remark",
            "evidence",
        ]
        read_only_fields = fields

    def get_requirement(self, obj) -> str:
        return requirement_display(obj.requirement)

    def get_requirement_missing(self, obj) -> bool:
        return text_is_missing(obj.requirement)

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


ROW_PARAM = OpenApiParameter("row_id", int, OpenApiParameter.PATH, description="指标对标行 id")


class IndicatorRowsMixin:
    """``indicator-rows/``: the comparison table; PATCH one row."""

    @extend_schema(responses=IndicatorRowSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="indicator-rows", pagination_class=None)
    def indicator_rows(self, request, pk=None):
        """The indicator comparison table (指标对标表)."""
        rows = indicator_row_list(self.get_object())
        return Response(IndicatorRowSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[ROW_PARAM],
        request=IndicatorRowUpdateSerializer,
        responses=IndicatorRowSerializer,
    )
    @action(detail=True, methods=["patch"], url_path=r"indicator-rows/(?P<row_id>\d+)")
    def indicator_row(self, request, pk=None, row_id=None):
        """Save one row: applicability, the enterprise's statement, self-assessment, remark."""
        declaration = self.get_object()
        row = indicator_row_list(declaration).filter(pk=row_id).first()
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
        return Response(IndicatorRowSerializer(indicator_row_list(declaration).get(pk=row.pk)).data)


class EvidenceMixin:
    """``evidence/``: every file of the declaration; POST uploads one."""

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
