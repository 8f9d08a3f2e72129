"""The declarations viewset: the declaration itself (list, read, create, edit, check, submit,
withdraw), with its tables, indicator rows, evidence, versions and the batches beside it."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import BlankChoicesMixin
from declarations import selectors
from declarations.api.batches import BatchesMixin
from declarations.api.indicators import EvidenceMixin, IndicatorRowsMixin
from declarations.api.inputs import RejectUnknownFieldsMixin
from declarations.api.tables import TablesMixin
from declarations.api.versions import VersionSerializer, VersionsMixin
from declarations.models import Declaration
from declarations.services import carryover, checks, drafting, lifecycle
from grading.models import Grade, Industry
from grading.rules import allows


class IndicatorSetBriefSerializer(serializers.Serializer):
    guideline_version = serializers.CharField(source="guideline_version.code")
    scheme = serializers.CharField(source="scheme.code")


class BatchBriefSerializer(serializers.Serializer):
    name = serializers.CharField()
    deadline = serializers.DateField()


class DeclarationSerializer(BlankChoicesMixin, serializers.ModelSerializer):
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


class DeclarationCopySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    requested_grade = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grade.objects.all(),
        required=False,
        error_messages={"does_not_exist": "等级代码“{value}”不存在"},
    )
    with_evidence = serializers.BooleanField(default=False, help_text="同时复制证明材料文件")


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


# A 400 of submit: the checks' refusal (``detail`` and ``issues``), or field errors of the
# request itself (``{"field": ["..."]}``), so neither key is always there.
class SubmissionRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)
    issues = CheckIssueSerializer(many=True, required=False)


class SubmitSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    rectification = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="退回修改后重新提交时的整改情况"
    )


class WithdrawSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Declaration.Status.values, description="状态"),
            OpenApiParameter("year", int, description="申报年度"),
        ]
    ),
)
class DeclarationViewSet(
    TablesMixin,
    IndicatorRowsMixin,
    EvidenceMixin,
    VersionsMixin,
    BatchesMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Declarations: an enterprise sees its own, bureau staff the submitted ones of their
    jurisdiction; anything else answers 404."""

    lookup_value_regex = r"\d+"
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

    def list(self, request, *args, **kwargs):
        if not allows(request.user, "declarations.view_declarations"):
            raise exceptions.PermissionDenied("只有企业和生态环境部门账户可以查阅申报")
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DeclarationCreateSerializer, responses={201: DeclarationSerializer})
    def create(self, request, *args, **kwargs):
        """Open a declaration for one of the enterprise's industries (enterprise users only)."""
        user = request.user
        if not allows(user, "declarations.add_declaration"):
            raise exceptions.PermissionDenied("只有企业账户可以新建申报")
        serializer = DeclarationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = drafting.declaration_create(
            actor=user, enterprise=user.enterprise, **serializer.validated_data
        )
        return Response(self._present(declaration), status=status.HTTP_201_CREATED)

    @extend_schema(request=DeclarationCopySerializer, responses={201: DeclarationSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        """Start a new year's declaration as a copy of this one (sections, tables, indicator
        statements; evidence files only with ``with_evidence``)."""
        source = self.get_object()
        serializer = DeclarationCopySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = carryover.declaration_copy(
            actor=request.user, source=source, **serializer.validated_data
        )
        return Response(self._present(declaration), status=status.HTTP_201_CREATED)

    @extend_schema(request=WithdrawSerializer, responses={204: None})
    def destroy(self, request, *args, **kwargs):
        """Delete a draft that was never submitted (recorded on the enterprise's timeline)."""
        declaration = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        carryover.declaration_draft_delete(
            actor=request.user, declaration=declaration, **serializer.validated_data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

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
