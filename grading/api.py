"""REST API of the grading app (/api/v1/). Thin: validate, call a selector or service, present."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import KeysetOrPages, Pagination, PlainRows
from core.audit import event_list_for
from core.models import AuditEvent
from grading import selectors
from grading.models import (
    Enterprise,
    GradeScheme,
    IndicatorRequirement,
    IndicatorSet,
    Industry,
    Region,
)
from grading.rules import allows
from grading.services import enterprises as enterprise_services
from grading.services.enterprises import ENTERPRISE_FIELDS, IndustryEntry
from grading.validators import normalize_uscc, validate_uscc


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "kind", "parent", "reviews_as_county"]


class RegionFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__code", label="上级区划代码")

    class Meta:
        model = Region
        fields = ["level", "parent"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative divisions (GB/T 2260). Public reference data for every signed-in user."""

    queryset = Region.objects.filter(is_active=True).select_related("parent").order_by("code")
    serializer_class = RegionSerializer
    lookup_field = "code"
    lookup_value_regex = r"\d{6}"
    filterset_class = RegionFilter


class SchemeSerializer(serializers.ModelSerializer):
    grades = serializers.SerializerMethodField()

    class Meta:
        model = GradeScheme
        fields = ["code", "name", "grades"]

    def get_grades(self, obj) -> list[str]:
        return [g.code for g in obj.ordered_grades()]


class IndustrySerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    scheme = serializers.SerializerMethodField()

    class Meta:
        model = Industry
        fields = ["code", "name", "category", "category_name", "gbt4754", "scheme"]

    def get_scheme(self, obj) -> dict | None:
        sets = obj.current_sets
        return SchemeSerializer(sets[0].scheme).data if sets else None


class IndicatorRequirementOutSerializer(serializers.Serializer):
    category = serializers.CharField()
    category_name = serializers.CharField()
    seq = serializers.IntegerField()
    grade = serializers.CharField()
    text = serializers.CharField()
    verbatim = serializers.BooleanField()


class IndicatorTableSerializer(serializers.Serializer):
    """One indicator set of the industry (a guideline version) with its requirements."""

    guideline_version = serializers.CharField()
    scheme = serializers.CharField()
    effective_from = serializers.DateField()
    title = serializers.CharField()
    source_url = serializers.CharField()
    requirements = IndicatorRequirementOutSerializer(many=True)


class IndustryViewSet(viewsets.ReadOnlyModelViewSet):
    """Industries with their grade scheme (of the latest guideline version)."""

    serializer_class = IndustrySerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9_]+"
    filterset_fields = ["category__code"]

    def get_queryset(self):
        return (
            Industry.objects.filter(is_active=True)
            .select_related("category")
            .prefetch_related(
                Prefetch(
                    "indicator_sets",
                    queryset=IndicatorSet.objects.select_related("scheme")
                    .prefetch_related("scheme__grades")
                    .order_by("-effective_from"),
                    to_attr="current_sets",
                )
            )
        )

    @extend_schema(responses=IndicatorTableSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def indicators(self, request, code=None):
        """The industry's indicator table: requirement text per category and grade."""
        industry = self.get_object()
        sets = (
            IndicatorSet.objects.filter(industry=industry)
            .select_related("guideline_version", "scheme")
            .order_by("-effective_from")
        )
        out = []
        for s in sets:
            reqs = IndicatorRequirement.objects.filter(indicator_set=s).select_related(
                "category", "grade"
            )
            out.append(
                {
                    "guideline_version": s.guideline_version.code,
                    "scheme": s.scheme.code,
                    "effective_from": s.effective_from,
                    "title": s.title,
                    "source_url": s.source_url,
                    "requirements": [
                        {
                            "category": r.category.code,
                            "category_name": r.category.name,
                            "seq": r.seq,
                            "grade": r.grade.code,
                            "text": r.text,
                            "verbatim": r.verbatim,
                        }
                        for r in reqs
                    ],
                }
            )
        return Response(out)


class EnterpriseIndustrySerializer(serializers.Serializer):
    industry = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.filter(is_active=True),
        error_messages={"does_not_exist": "行业代码“{value}”不存在"},
    )
    industry_name = serializers.CharField(source="industry.name", read_only=True)
    branch = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_main = serializers.BooleanField(read_only=True)
    so2_tpa = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0, default=0)
    nox_tpa = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0, default=0)
    pm_tpa = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0, default=0)
    vocs_tpa = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0, default=0)
    current_grade = serializers.CharField(
        source="current_grade.code", read_only=True, allow_null=True, default=None
    )


class EnterpriseSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(max_length=18, validators=[validate_uscc])
    county = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        error_messages={"does_not_exist": "区划代码“{value}”不存在"},
    )
    county_name = serializers.CharField(source="county.name", read_only=True)
    industries = EnterpriseIndustrySerializer(many=True)
    overall_grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            *ENTERPRISE_FIELDS,
            "county_name",
            "industries",
            "overall_grade",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "overall_grade", "created_at", "updated_at"]

    def to_internal_value(self, data):
        if isinstance(data, dict) and "uscc" in data and isinstance(data["uscc"], str):
            data = {**data, "uscc": normalize_uscc(data["uscc"])}
        return super().to_internal_value(data)

    def validate_industries(self, value):
        if not value:
            raise serializers.ValidationError("至少填写一个所属行业")
        return value

    def entries(self) -> list[IndustryEntry] | None:
        rows = self.validated_data.get("industries")
        if rows is None:
            return None
        return [IndustryEntry(**row) for row in rows]

    def create(self, validated_data):
        raise NotImplementedError("services write enterprises")


class EnterpriseListSerializer(PlainRows, serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="code", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    overall_grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    industries = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "uscc",
            "county",
            "county_name",
            "industries",
            "overall_grade",
            "production_status",
            "is_small_micro",
        ]

    def get_industries(self, obj) -> list[str]:
        return obj.main_industry_codes  # selectors.with_main_industry_codes


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="企业名称关键字或统一社会信用代码"),
            OpenApiParameter("county", str, description="区划代码（县或市）"),
            OpenApiParameter("industry", str, description="行业代码"),
            OpenApiParameter("grade", str, description="等级代码，none 为未评级"),
            OpenApiParameter("status", str, description="生产状态"),
        ]
    )
)
class EnterpriseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Enterprises within the caller's jurisdiction; others answer 404."""

    lookup_value_regex = r"\d+"
    pagination_class = KeysetOrPages
    filter_backends = []

    def get_serializer_class(self):
        return EnterpriseListSerializer if self.action == "list" else EnterpriseSerializer

    def get_queryset(self):
        params = self.request.query_params
        county = (
            Region.objects.filter(code=params.get("county")).first()
            if params.get("county")
            else None
        )
        industry = (
            Industry.objects.filter(code=params.get("industry")).first()
            if params.get("industry")
            else None
        )
        if (params.get("county") and county is None) or (
            params.get("industry") and industry is None
        ):
            return Enterprise.objects.none()
        grade = params.get("grade", "")
        if (
            grade
            and grade != "none"
            and grade not in {g.code for g in selectors.scheme_grades(industry=industry)}
        ):
            # R-GRADE-7: only the grades of the industry's scheme in force.
            raise serializers.ValidationError(
                {
                    "grade": _("等级“%(grade)s”不属于%(industry)s的分级体系")
                    % {"grade": grade, "industry": industry or _("任何行业")}
                }
            )
        read = (
            selectors.enterprise_summaries if self.action == "list" else selectors.enterprise_list
        )
        return read(
            viewer=self.request.user,
            search=params.get("search", ""),
            county=county,
            industry=industry,
            grade=grade,
            status=params.get("status", ""),
        )

    def get_object(self):
        return selectors.enterprise_get(viewer=self.request.user, pk=self.kwargs["pk"])

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.with_main_industry_codes(page) if page is not None else page

    def _require_perm(self, perm: str, obj=None):
        if not allows(self.request.user, perm, obj):
            raise PermissionDenied("只有生态环境部门用户可以登记或修改本辖区企业信息")

    def list(self, request, *args, **kwargs):
        if not allows(request.user, "grading.view_enterprises"):
            raise PermissionDenied("只有生态环境部门和企业账户可以查阅企业信息")
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        self._require_perm("grading.add_enterprise")
        serializer = EnterpriseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "industries"}
        enterprise = enterprise_services.enterprise_create(
            actor=request.user, data=data, industries=serializer.entries()
        )
        return Response(
            EnterpriseSerializer(
                selectors.enterprise_get(viewer=request.user, pk=enterprise.pk)
            ).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, *args, **kwargs):
        enterprise = self.get_object()
        self._require_perm("grading.change_enterprise", enterprise)
        serializer = EnterpriseSerializer(
            enterprise, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "industries"}
        enterprise_services.enterprise_update(
            actor=request.user, enterprise=enterprise, data=data, industries=serializer.entries()
        )
        return Response(
            EnterpriseSerializer(
                selectors.enterprise_get(viewer=request.user, pk=enterprise.pk)
            ).data
        )

    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The enterprise's timeline of recorded events and its grade history."""
        enterprise = self.get_object()
        return Response(
            {
                "events": [
                    {
                        "code": e.code,
                        "at": e.at,
                        "actor": e.actor.username if e.actor else None,
                        "summary": e.summary,
                        "reason": e.reason,
                    }
                    for e in event_list_for(enterprise)[:200]
                ],
                "grades": [
                    {
                        "industry": r.industry.code,
                        "grade": r.grade.code,
                        "effective_from": r.effective_from,
                        "effective_to": r.effective_to,
                        "source": r.source,
                        "reason": r.reason,
                    }
                    for r in enterprise.grade_records.select_related("industry", "grade")
                ],
            }
        )


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    code = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    target_type = serializers.CharField(source="content_type.model", allow_null=True, default=None)
    target_id = serializers.CharField(source="object_id")
    summary = serializers.CharField()
    reason = serializers.CharField()
    address = serializers.IPAddressField(allow_null=True)
    outcome = serializers.ChoiceField(choices=AuditEvent.Outcome.choices)


class AuditFilterSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=100)
    actor = serializers.CharField(required=False, max_length=150)
    outcome = serializers.ChoiceField(required=False, choices=AuditEvent.Outcome.choices)
    address = serializers.IPAddressField(required=False)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)


@extend_schema_view(list=extend_schema(parameters=[AuditFilterSerializer]))
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail (三员分立): all of it for the audit administrator, the account-security
    events for the security administrator, 404 for everyone else."""

    serializer_class = AuditEventSerializer
    pagination_class = Pagination
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        params = AuditFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.audit_event_list(viewer=self.request.user, **params.validated_data)
