"""Approval forms (审核意见表, R-REV-4) of a case's opinions: their revisions, and asking for
one again."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from review.models import ApprovalForm
from review.selectors.cases import case_opinion_get
from review.services.forms import approval_form_rerequest

OPINION_PARAM = OpenApiParameter("opinion_id", int, OpenApiParameter.PATH, description="意见 id")


class ApprovalFormSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    download_url = serializers.SerializerMethodField(help_text="生成完成前为 null")

    class Meta:
        model = ApprovalForm
        fields = [
            "id",
            "revision",
            "status",
            "status_display",
            "sha256",
            "error",
            "requested_at",
            "rendered_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str | None:
        if obj.status != ApprovalForm.Status.READY or not obj.file:
            return None
        return reverse("review:form-download", args=[obj.pk])


class ApprovalFormActions:
    """The case viewset's approval-form action."""

    @extend_schema(
        parameters=[OPINION_PARAM], request=None, responses={202: ApprovalFormSerializer}
    )
    @action(detail=True, methods=["post"], url_path=r"opinions/(?P<opinion_id>\d+)/form")
    def approval_form(self, request, pk=None, opinion_id=None):
        """Render the opinion's approval form (审核意见表) again, as a new revision; the
        earlier files stay."""
        opinion = case_opinion_get(case=self.get_object(), pk=opinion_id)
        form = approval_form_rerequest(actor=request.user, opinion=opinion)
        return Response(ApprovalFormSerializer(form).data, status=status.HTTP_202_ACCEPTED)
