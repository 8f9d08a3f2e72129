"""R-TGT-4: the year's batches and deadlines (``declarations/batches/``): everyone reads them,
the province keeps them."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from declarations.api.inputs import RejectUnknownFieldsMixin
from declarations.models import Batch
from declarations.selectors import batch_get, batch_list
from declarations.services.batches import PROVINCE_ONLY, batch_save
from grading.models import IndustryCategory
from grading.rules import allows


class BatchSerializer(RejectUnknownFieldsMixin, serializers.ModelSerializer):
    categories = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=IndustryCategory.objects.all(),
        error_messages={"does_not_exist": "行业类别代码“{value}”不存在"},
    )

    class Meta:
        model = Batch
        fields = ["id", "year", "name", "categories", "includes_guarantee", "deadline", "note"]
        read_only_fields = ["id"]

    def create(self, validated_data):
        raise NotImplementedError("services write batches")


BATCH_PARAM = OpenApiParameter("batch_id", int, OpenApiParameter.PATH, description="批次 id")


class BatchesMixin:
    """``batches/`` and ``batches/<id>/`` beside the declarations."""

    def _require_batch_editor(self):
        if not allows(self.request.user, "declarations.edit_batches"):
            raise exceptions.PermissionDenied(str(PROVINCE_ONLY))

    @extend_schema(responses=BatchSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def batches(self, request):
        """Every year's batches and their review deadlines, latest year first."""
        return Response(BatchSerializer(batch_list(), many=True).data)

    @extend_schema(request=BatchSerializer, responses={201: BatchSerializer})
    @batches.mapping.post
    def batch_create(self, request):
        """A new batch (province staff)."""
        self._require_batch_editor()
        serializer = BatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = batch_save(actor=request.user, data=dict(serializer.validated_data))
        return Response(BatchSerializer(batch_get(pk=batch.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(parameters=[BATCH_PARAM], request=BatchSerializer, responses=BatchSerializer)
    @action(detail=False, methods=["put"], url_path=r"batches/(?P<batch_id>\d+)")
    def batch_update(self, request, batch_id=None):
        """Change a batch (province staff)."""
        self._require_batch_editor()
        batch = batch_get(pk=batch_id)
        serializer = BatchSerializer(batch, data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = batch_save(actor=request.user, data=dict(serializer.validated_data), batch=batch)
        return Response(BatchSerializer(batch_get(pk=batch.pk)).data)
