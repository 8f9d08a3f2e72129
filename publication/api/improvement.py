"""The improvement list (R-TGT-2) of the caller's jurisdiction (/api/v1/publication/)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from grading.jurisdiction import scope_to_viewer
from grading.models import Enterprise, Grade, IndicatorCategory, Industry
from publication.models import ImprovementEntry
from publication.rules import allows, refusal
from publication.selectors.improvement import improvement_list
from publication.services.improvement import improvement_add


class ImprovementSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name")
    uscc = serializers.CharField(source="enterprise.uscc")
    county = serializers.CharField(source="enterprise.county.code")
    industry = serializers.CharField(source="industry.code")
    target_grade = serializers.CharField(source="target_grade.code")
    indicator = serializers.CharField(source="indicator.code")

    class Meta:
        model = ImprovementEntry
        fields = [
            "id",
            "year",
            "enterprise",
            "enterprise_name",
            "uscc",
            "county",
            "industry",
            "target_grade",
            "indicator",
            "problem",
            "measures",
            "due_on",
            "note",
        ]
        read_only_fields = fields


class ImprovementInput(RejectUnknownFieldsMixin, serializers.Serializer):
    uscc = serializers.CharField(max_length=18)
    industry = serializers.SlugRelatedField(slug_field="code", queryset=Industry.objects.all())
    target_grade = serializers.SlugRelatedField(slug_field="code", queryset=Grade.objects.all())
    indicator = serializers.SlugRelatedField(
        slug_field="code", queryset=IndicatorCategory.objects.all()
    )
    problem = serializers.CharField(allow_blank=True)
    measures = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ImprovementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """This year's improvement entries; the county adds its enterprises."""

    serializer_class = ImprovementSerializer
    queryset = ImprovementEntry.objects.none()
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImprovementEntry.objects.none()
        user = self.request.user
        if not allows(user, "publication.view_positive_list"):
            raise PermissionDenied(refusal(user, "publication.view_positive_list"))
        return improvement_list(viewer=user, year=timezone.localdate().year)

    @extend_schema(request=ImprovementInput, responses={201: ImprovementSerializer})
    def create(self, request):
        serializer = ImprovementInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enterprise = (
            scope_to_viewer(Enterprise.objects.all(), request.user)
            .filter(uscc=data.pop("uscc").strip().upper())
            .first()
        )
        if enterprise is None:
            raise ValidationError({"uscc": ["本辖区没有该统一社会信用代码的企业"]})
        entry = improvement_add(
            actor=request.user, year=timezone.localdate().year, enterprise=enterprise, **data
        )
        return Response(ImprovementSerializer(entry).data, status=status.HTTP_201_CREATED)
