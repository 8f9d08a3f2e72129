"""Re-application of last year's A and B (/api/v1/review/reapplications/; R-REV-11): who is
due in the viewer's jurisdiction, with the deadline of the industry's batch, whether it has
passed and the reminders sent; the county's signed decision on an overdue one (``decide``)."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from grading.models import EnterpriseIndustry
from review.forms import YearForm
from review.models import ReapplicationDecision
from review.selectors.annual import (
    reapplication_list,
    reapplication_overdue_get,
    reminders_sent,
)
from review.services import annual


class ReapplicationSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(source="enterprise_id")
    enterprise_name = serializers.CharField(source="enterprise.name")
    county = serializers.CharField(source="enterprise.county.name")
    industry = serializers.CharField(source="industry.code")
    grade = serializers.CharField(source="current_grade.code")
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()
    reminders = serializers.ListField(child=serializers.CharField(), help_text="已发提醒轮次")


class ReapplicationDecideSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise = serializers.IntegerField()
    industry = serializers.CharField()
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    outcome = serializers.ChoiceField(choices=ReapplicationDecision.Outcome.choices)
    reason = serializers.CharField(allow_blank=True)


class ReapplicationDecisionSerializer(serializers.ModelSerializer):
    industry = serializers.CharField(source="industry.code")
    grade_before = serializers.CharField(source="grade_before.code")
    grade_after = serializers.CharField(source="grade_after.code")
    signed_by = serializers.CharField(source="signed_by.display_name")

    class Meta:
        model = ReapplicationDecision
        fields = [
            "id",
            "enterprise",
            "industry",
            "year",
            "deadline",
            "outcome",
            "grade_before",
            "grade_after",
            "reason",
            "signed_by",
            "signed_at",
        ]
        read_only_fields = fields


YEAR = OpenApiParameter("year", int, description="年度（默认今年）")


class ReapplicationViewSet(viewsets.GenericViewSet):
    """R-REV-11: last year's A and B due to re-apply."""

    lookup_value_regex = r"\d+"

    queryset = EnterpriseIndustry.objects.none()
    serializer_class = ReapplicationSerializer
    filter_backends = []

    def _year(self, request) -> int:
        return YearForm(request.query_params).year_or(timezone.localdate().year)

    @extend_schema(parameters=[YEAR], responses=ReapplicationSerializer(many=True))
    def list(self, request):
        year = self._year(request)
        today = timezone.localdate()
        qs = reapplication_list(viewer=request.user, year=year)
        page = self.paginate_queryset(qs)
        rows = page if page is not None else list(qs)
        sent = reminders_sent(rows=rows, year=year)
        for row in rows:
            row.overdue = row.deadline is not None and row.deadline < today
            row.reminders = [r.round for r in sent.get((row.enterprise_id, row.industry_id), [])]
        data = ReapplicationSerializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=ReapplicationDecideSerializer, responses={201: ReapplicationDecisionSerializer}
    )
    @action(detail=False, methods=["post"])
    def decide(self, request):
        """The county signs whether an overdue enterprise keeps or loses its grade."""
        serializer = ReapplicationDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = reapplication_overdue_get(
            viewer=request.user,
            year=data["year"],
            today=timezone.localdate(),
            enterprise_pk=data["enterprise"],
            industry_code=data["industry"],
        )
        if row is None:
            raise Http404
        decision = annual.reapplication_decide(
            actor=request.user,
            enterprise=row.enterprise,
            industry=row.industry,
            year=data["year"],
            outcome=data["outcome"],
            reason=data["reason"],
        )
        return Response(
            ReapplicationDecisionSerializer(decision).data, status=status.HTTP_201_CREATED
        )
