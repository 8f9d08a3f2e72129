"""On-site verification of a case (现场核查, R-REV-3): the panel's signed record with photos,
and the follow-up of the rectifications it requires (R-DECL-6)."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from declarations.api import RejectUnknownFieldsMixin
from declarations.models import Evidence
from grading.models import User
from review.api.fields import FormJSONMixin, VerdictsField, grade_field, user_field
from review.models import (
    OnSiteVerification,
    Rectification,
    RectificationPhoto,
    VerificationPhoto,
)
from review.selectors.cases import case_evidence, case_rectification_get, verification_detail
from review.services import onsite

RECTIFICATION_PARAM = OpenApiParameter(
    "rectification_id", int, OpenApiParameter.PATH, description="整改要求 id"
)


class RectificationPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = RectificationPhoto
        fields = ["id", "name", "content_type", "size", "sha256", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return reverse("review:rectification-photo", args=[obj.pk])


class RectificationSerializer(serializers.ModelSerializer):
    followed_up_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    photos = RectificationPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id",
            "requirement",
            "due_on",
            "status",
            "enterprise_note",
            "follow_up_note",
            "followed_up_by",
            "followed_up_at",
            "photos",
        ]
        read_only_fields = fields


class VerificationPhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = VerificationPhoto
        fields = ["id", "caption", "content_type", "sha256", "uploaded_at"]
        read_only_fields = fields


class VerificationSerializer(serializers.ModelSerializer):
    recommended_grade = serializers.SlugRelatedField(slug_field="code", read_only=True)
    rectifications = RectificationSerializer(many=True, read_only=True)
    photos = VerificationPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = OnSiteVerification
        fields = ["id", "opinion", "visited_on", "recommended_grade", "rectifications", "photos"]
        read_only_fields = fields


class RectificationInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    requirement = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField()


class RectificationsField(FormJSONMixin, serializers.ListField):
    child = RectificationInputSerializer()


class OnSiteRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    visited_on = serializers.DateField()
    recommended_grade = grade_field()
    summary = serializers.CharField(allow_blank=True, help_text="核查情况")
    conclusion = serializers.CharField(allow_blank=True, help_text="核查结论")
    signers = user_field(
        User.objects.all(), many=True, required=False, help_text="省略时为提交人本人"
    )
    findings = VerdictsField(
        required=False,
        default=dict,
        help_text="各指标核查意见 {指标行 id: {verdict, text}}；multipart 时为 JSON 文本",
    )
    rectifications = RectificationsField(
        required=False,
        default=list,
        help_text="整改要求 [{requirement, due_on}]；multipart 时为 JSON 文本",
    )
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="JPG、PNG"
    )


class NoteSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(allow_blank=True)


class RectificationReplySerializer(NoteSerializer):
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="整改照片 JPG、PNG"
    )


class CaseEvidenceSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator_row.category.name", default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "section",
            "indicator",
            "title",
            "kind",
            "size",
            "sha256",
            "page_count",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        return reverse("review:case-evidence", args=[self.context["case"].pk, obj.pk])


class OnSiteActions:
    """The case viewset's on-site and rectification actions."""

    @extend_schema(
        request={
            "application/json": OnSiteRecordSerializer,
            "multipart/form-data": OnSiteRecordSerializer,
        },
        responses={201: VerificationSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="onsite",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def onsite_record(self, request, pk=None):
        """The panel's signed on-site verification record, with photos (multipart)."""
        case = self.get_object()
        serializer = OnSiteRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        verification = onsite.onsite_record(
            actor=request.user,
            case=case,
            visited_on=data["visited_on"],
            recommended_grade=data["recommended_grade"],
            summary=data["summary"],
            conclusion=data["conclusion"],
            signers=list(data["signers"]) if "signers" in data else [request.user],
            findings=data["findings"],
            rectifications=[(r["requirement"], r["due_on"]) for r in data["rectifications"]],
            photos=[(f, f.name) for f in data["photos"]],
        )
        return Response(
            VerificationSerializer(verification_detail(verification=verification)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[RECTIFICATION_PARAM],
        request={
            "application/json": RectificationReplySerializer,
            "multipart/form-data": RectificationReplySerializer,
        },
        responses=RectificationSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"rectifications/(?P<rectification_id>\d+)/report",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def rectification_report(self, request, pk=None, rectification_id=None):
        """The enterprise states what it rectified, with photos (multipart ``photos``)."""
        r = case_rectification_get(case=self.get_object(), pk=rectification_id)
        serializer = RectificationReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        r = onsite.rectification_report(
            actor=request.user, rectification=r, **serializer.validated_data
        )
        return Response(RectificationSerializer(r).data)

    @extend_schema(responses=CaseEvidenceSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def evidence(self, request, pk=None):
        """The declaration's current evidence, readable by whoever sees the case (a panel
        expert: the cases it sits on only)."""
        case = self.get_object()
        return Response(
            CaseEvidenceSerializer(case_evidence(case=case), many=True, context={"case": case}).data
        )

    @extend_schema(
        parameters=[RECTIFICATION_PARAM],
        request=NoteSerializer,
        responses=RectificationSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"rectifications/(?P<rectification_id>\d+)/verify",
    )
    def rectification_verify(self, request, pk=None, rectification_id=None):
        """City staff or a panel member verify the rectification."""
        return self._rectification_note(request, rectification_id, onsite.rectification_verify)

    def _rectification_note(self, request, rectification_id, service):
        r = case_rectification_get(case=self.get_object(), pk=rectification_id)
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        r = service(actor=request.user, rectification=r, note=serializer.validated_data["note"])
        return Response(RectificationSerializer(r).data)
