"""The guarantee-class chain (/api/v1/review/guarantee/; R-GUAR-3): a city's guarantee list of
the year (``?city=<code>&year=``), the departments' joint review of a guarantee case, removal
from the list with reason and date, the report to the province. Cities and cases outside the
viewer's reach answer 404."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from declarations.models import Declaration
from declarations.selectors import declaration_get
from declarations.services.guarantee import guarantee_remove
from review.forms import YearForm
from review.models import GuaranteeCoReview, GuaranteeReport
from review.selectors.cases import case_get
from review.selectors.guarantee import guarantee_cities, guarantee_list, guarantee_reports
from review.services import guarantee


class GuaranteeRowSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name")
    county = serializers.CharField(source="enterprise.county.name")
    category = serializers.CharField(source="guarantee_category")
    category_display = serializers.CharField(source="get_guarantee_category_display")
    grade = serializers.CharField(source="enterprise.overall_grade.code", default=None)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_name",
            "county",
            "category",
            "category_display",
            "grade",
        ]
        read_only_fields = fields


class CoReviewSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = GuaranteeCoReview
        fields = ["id", "department", "verdict", "signatory", "opinion", "recorded_at"]
        read_only_fields = ["id", "recorded_at"]


class RemoveSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    declaration = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class GuaranteeReportSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    city = serializers.CharField(source="city.code")

    class Meta:
        model = GuaranteeReport
        fields = ["id", "city", "year", "note", "enterprises", "submitted_at"]
        read_only_fields = ["id", "enterprises", "submitted_at"]


CITY = OpenApiParameter("city", str, description="省辖市代码（默认辖区第一个）")
YEAR = OpenApiParameter("year", int, description="年度（默认今年）")


class GuaranteeViewSet(viewsets.GenericViewSet):
    """R-GUAR-3: guarantee lists per city and the chain's steps."""

    lookup_value_regex = r"\d+"

    queryset = Declaration.objects.none()
    serializer_class = GuaranteeRowSerializer
    filter_backends = []
    pagination_class = None

    def _city_year(self, data):
        cities = guarantee_cities(viewer=self.request.user)
        code = data.get("city") or ""
        city = cities.filter(code=code).first() if code else cities.first()
        if city is None:
            raise Http404
        year = YearForm(data).year_or(timezone.localdate().year)
        return city, year

    @extend_schema(parameters=[CITY, YEAR], responses=GuaranteeRowSerializer(many=True))
    def list(self, request):
        city, year = self._city_year(request.query_params)
        rows = guarantee_list(viewer=request.user, city=city, year=year)
        return Response(GuaranteeRowSerializer(rows, many=True).data)

    @extend_schema(parameters=[CITY, YEAR], responses=GuaranteeReportSerializer(many=True))
    @action(detail=False, methods=["get"])
    def reports(self, request):
        city, year = self._city_year(request.query_params)
        rows = guarantee_reports(viewer=request.user, city=city, year=year)
        return Response(GuaranteeReportSerializer(rows, many=True).data)

    @extend_schema(request=GuaranteeReportSerializer, responses={201: GuaranteeReportSerializer})
    @action(detail=False, methods=["post"])
    def report(self, request):
        """The city reports its guarantee list of the year to the province."""
        city, year = self._city_year(request.data)
        report = guarantee.guarantee_report_submit(
            actor=request.user, city=city, year=year, note=str(request.data.get("note", ""))
        )
        return Response(GuaranteeReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RemoveSerializer, responses={201: None})
    @action(detail=False, methods=["post"])
    def remove(self, request):
        """Take an enterprise off the guarantee list, with the reason and the date."""
        serializer = RemoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        declaration = declaration_get(viewer=request.user, pk=data["declaration"])
        removal = guarantee_remove(
            actor=request.user, declaration=declaration, reason=data["reason"], on=data["on"]
        )
        return Response(
            {"declaration": declaration.pk, "removed_on": removal.removed_on},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[OpenApiParameter("case_id", int, OpenApiParameter.PATH)],
        request=CoReviewSerializer,
        responses={201: CoReviewSerializer},
    )
    @action(detail=False, methods=["post"], url_path=r"cases/(?P<case_id>\d+)/co-review")
    def co_review(self, request, case_id=None):
        """One department's joint-review statement on a guarantee case at the city."""
        case = case_get(viewer=request.user, pk=case_id)
        serializer = CoReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = guarantee.guarantee_co_review_record(
            actor=request.user, case=case, **serializer.validated_data
        )
        return Response(CoReviewSerializer(row).data, status=status.HTTP_201_CREATED)
