"""Notices and objections for the issuing bureaus (/api/v1/publication/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.api import BlankChoicesMixin
from declarations.api import RejectUnknownFieldsMixin
from grading.models import Grade, GradeRecord
from publication.models import Notice, NoticeItem, Objection
from publication.rules import allows, issuer_for, refusal
from publication.selectors import notices as selectors
from publication.services import notices as services


class NoticeItemSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="enterprise_id")
    enterprise_name = serializers.CharField(source="enterprise.name")
    county = serializers.CharField(source="enterprise.county.code")
    industry = serializers.CharField(source="industry.code")
    grade = serializers.CharField(source="grade.code")
    final_grade = serializers.CharField(
        source="final_record.grade.code", default=None, allow_null=True
    )
    open_objections = serializers.IntegerField(source="open_count", default=0)

    class Meta:
        model = NoticeItem
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "county",
            "industry",
            "grade",
            "status",
            "final_grade",
            "record",
            "open_objections",
        ]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.code")
    version = serializers.IntegerField(source="version.number", default=None, allow_null=True)
    items = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id",
            "number",
            "issuer",
            "tier",
            "title",
            "statement",
            "workdays",
            "starts_on",
            "ends_on",
            "status",
            "published_at",
            "version",
            "items",
        ]
        read_only_fields = fields

    def get_items(self, obj) -> list[dict]:
        if not self.context.get("with_items"):
            return []
        return NoticeItemSerializer(selectors.notice_items(notice=obj), many=True).data


class NoticeOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    records = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        help_text="待公示等级记录 id；省略时公示全部待公示结果",
    )
    workdays = serializers.IntegerField(required=False, allow_null=True, default=None)
    title = serializers.CharField(required=False, allow_blank=True, default="")
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class CandidateSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name")
    county = serializers.CharField(source="enterprise.county.code")
    industry = serializers.CharField(source="industry.code")
    grade = serializers.CharField(source="grade.code")

    class Meta:
        model = GradeRecord
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "county",
            "industry",
            "grade",
            "effective_from",
            "source",
            "source_ref",
        ]
        read_only_fields = fields


class PublishSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The notices of the caller's bureau (the province: A-tier, a city: C and below)."""

    serializer_class = NoticeSerializer
    queryset = Notice.objects.none()
    filter_backends = []
    lookup_value_regex = r"\d+"

    def _require_issuer(self):
        mine = issuer_for(self.request.user)
        if mine is None or not allows(self.request.user, "publication.manage_notices", mine[0]):
            raise PermissionDenied(refusal(self.request.user, "publication.manage_notices"))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notice.objects.none()
        self._require_issuer()
        return selectors.notice_list(viewer=self.request.user)

    def retrieve(self, request, *args, **kwargs):
        notice = selectors.notice_get(viewer=request.user, pk=kwargs["pk"])
        return Response(NoticeSerializer(notice, context={"with_items": True}).data)

    @extend_schema(responses=CandidateSerializer(many=True))
    @action(detail=False, methods=["get"])
    def candidates(self, request):
        """Decided results of the caller's bureau waiting for notice."""
        self._require_issuer()
        page = self.paginate_queryset(selectors.candidates_for(viewer=request.user))
        return self.get_paginated_response(CandidateSerializer(page, many=True).data)

    @extend_schema(request=NoticeOpenSerializer, responses={201: NoticeSerializer})
    def create(self, request):
        """Put decided results on notice (5 working days unless ``workdays`` says otherwise)."""
        serializer = NoticeOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        records = None
        if data["records"] is not None:
            records = list(GradeRecord.objects.filter(pk__in=data["records"]))
            if len(records) != len(set(data["records"])):
                records.append(GradeRecord(pk=0))  # unknown ids: refused by the service
        notice = services.notice_open(
            actor=request.user,
            records=records,
            workdays_count=data["workdays"],
            title=data["title"],
            statement=data["statement"],
        )
        notice = selectors.notice_get(viewer=request.user, pk=notice.pk)
        return Response(
            NoticeSerializer(notice, context={"with_items": True}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PublishSerializer, responses=NoticeSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """After the window: publish the list; results with an open objection wait."""
        notice = selectors.notice_get(viewer=request.user, pk=pk)
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.notice_publish(
            actor=request.user, notice=notice, note=serializer.validated_data["note"]
        )
        notice = selectors.notice_get(viewer=request.user, pk=pk)
        return Response(NoticeSerializer(notice, context={"with_items": True}).data)


class ObjectionSerializer(BlankChoicesMixin, serializers.ModelSerializer):
    notice = serializers.CharField(source="item.notice.number")
    item = serializers.IntegerField(source="item_id")
    enterprise_name = serializers.CharField(source="item.enterprise.name")
    industry = serializers.CharField(source="item.industry.code")
    new_grade = serializers.CharField(source="new_grade.code", default=None, allow_null=True)
    objector_name = serializers.SerializerMethodField()
    objector_contact = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "receipt",
            "notice",
            "item",
            "enterprise_name",
            "industry",
            "content",
            "lodged_at",
            "status",
            "outcome",
            "outcome_note",
            "new_grade",
            "handled_at",
            "objector_name",
            "objector_contact",
        ]
        read_only_fields = fields

    def _sees(self, obj) -> bool:
        return allows(self.context["request"].user, "publication.handle_objection", obj)

    def get_objector_name(self, obj) -> str | None:
        """Only for the issuer's designated handlers (R-PUB-2); null for everyone else."""
        return obj.objector_name if self._sees(obj) else None

    def get_objector_contact(self, obj) -> str | None:
        return obj.objector_contact if self._sees(obj) else None


class ObjectionHandleSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Objection.Outcome.choices)
    note = serializers.CharField(allow_blank=True)
    new_grade = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grade.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )


class ObjectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Objections to the caller's bureau's notices. Who lodged one is answered only to the
    bureau's designated handlers."""

    serializer_class = ObjectionSerializer
    queryset = Objection.objects.none()
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Objection.objects.none()
        return selectors.objection_list(viewer=self.request.user)

    def get_object(self):
        return selectors.objection_get(viewer=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(request=ObjectionHandleSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None):
        """Record the outcome: kept, re_review (re-review opened) or grade_changed."""
        objection = self.get_object()
        serializer = ObjectionHandleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.objection_handle(
            actor=request.user,
            objection=objection,
            outcome=data["outcome"],
            note=data["note"],
            new_grade=data["new_grade"],
        )
        return Response(ObjectionSerializer(self.get_object(), context={"request": request}).data)
