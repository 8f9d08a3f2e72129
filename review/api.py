"""REST API of the review chain (/api/v1/review/). Thin: validate, call a selector or service,
present. Who may see a case is decided by ``review.selectors`` (404 outside the viewer's
reach, the same as a missing case); who may act on it, by the services (403 with the reason,
400 naming the rule). The web pages of ``review.views`` do the same actions."""

import json

from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.utils import html

from declarations.api import RejectUnknownFieldsMixin
from declarations.selectors import declaration_get
from grading.jurisdiction import region_in_reach
from grading.models import Enterprise, Grade, User
from grading.validators import normalize_uscc
from review import selectors
from review.models import (
    ApprovalForm,
    ExpertBlacklisting,
    ExpertConflict,
    IndicatorOpinion,
    IndustryDowngradeProposal,
    OnSiteVerification,
    Opinion,
    Panel,
    PanelMember,
    Rectification,
    ReviewCase,
    SpotCheckItem,
    SpotCheckSample,
    VerificationPhoto,
)
from review.services import decisions, onsite, panels, sampling
from review.services.forms import approval_form_rerequest

# ---------------------------------------------------------------------------------------------
# Input helpers


def _user_field(queryset, **kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=queryset,
        error_messages={"does_not_exist": "用户“{value}”不存在"},
        **kwargs,
    )


def _grade_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grade.objects.all(),
        error_messages={"does_not_exist": "等级代码“{value}”不存在"},
        **kwargs,
    )


class FormJSONMixin:
    """A nested value (verdicts per row, rectifications) sent in a multipart form arrives as
    one field holding JSON text; in a JSON body it is the value itself."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                raise serializers.ValidationError("应为 JSON 格式") from None
        return super().to_internal_value(data)


class VerdictInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    verdict = serializers.ChoiceField(choices=IndicatorOpinion.Verdict.choices)
    text = serializers.CharField(allow_blank=True, required=False, default="", max_length=1000)


class VerdictsField(FormJSONMixin, serializers.DictField):
    """``{row_id: {verdict, text}}`` → ``{row_id: (verdict, text)}``, the services' shape."""

    child = VerdictInputSerializer()

    def to_internal_value(self, data) -> dict[int, tuple[str, str]]:
        rows = super().to_internal_value(data)
        out = {}
        for key, value in rows.items():
            try:
                out[int(key)] = (value["verdict"], value["text"])
            except ValueError:
                raise serializers.ValidationError(f"指标 id 应为整数：{key}") from None
        return out


class RectificationInputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    requirement = serializers.CharField(allow_blank=True)
    due_on = serializers.DateField()


class RectificationsField(FormJSONMixin, serializers.ListField):
    child = RectificationInputSerializer()


# ---------------------------------------------------------------------------------------------
# Cases: output


class DeclarationBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


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


class IndicatorVerdictSerializer(serializers.ModelSerializer):
    row = serializers.IntegerField(source="indicator_row_id", read_only=True)
    seq = serializers.IntegerField(source="indicator_row.seq", read_only=True)
    category_name = serializers.CharField(source="indicator_row.category.name", read_only=True)

    class Meta:
        model = IndicatorOpinion
        fields = ["row", "seq", "category_name", "verdict", "text"]
        read_only_fields = fields


class OpinionSerializer(serializers.ModelSerializer):
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    signers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    signed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    indicators = IndicatorVerdictSerializer(many=True, read_only=True)
    forms = ApprovalFormSerializer(many=True, read_only=True, help_text="审核意见表，新版本在前")

    class Meta:
        model = Opinion
        fields = [
            "id",
            "kind",
            "decision",
            "grade",
            "summary",
            "conclusion",
            "signers",
            "signed_by",
            "signed_at",
            "corrects",
            "indicators",
            "forms",
        ]
        read_only_fields = fields


class PanelMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="expert.username", read_only=True)
    name = serializers.CharField(source="expert.display_name", read_only=True)

    class Meta:
        model = PanelMember
        fields = ["username", "name", "is_leader"]
        read_only_fields = fields


class PanelSerializer(serializers.ModelSerializer):
    formed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    members = PanelMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Panel
        fields = ["formed_by", "formed_at", "members"]
        read_only_fields = fields


class RectificationSerializer(serializers.ModelSerializer):
    followed_up_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

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


class ReviewCaseSerializer(serializers.ModelSerializer):
    declaration = DeclarationBriefSerializer(read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    enterprise = serializers.IntegerField(source="declaration.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="declaration.enterprise.name", read_only=True)
    county = serializers.CharField(source="declaration.enterprise.county.code", read_only=True)
    industry = serializers.CharField(source="declaration.industry.code", read_only=True)
    requested_grade = serializers.CharField(
        source="declaration.requested_grade.code", read_only=True
    )
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    proposed_grade = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    city_grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    final_grade = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    panel = serializers.SerializerMethodField()
    opinions = OpinionSerializer(many=True, read_only=True)
    verifications = VerificationSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewCase
        fields = [
            "id",
            "declaration",
            "version",
            "enterprise",
            "enterprise_name",
            "county",
            "industry",
            "requested_grade",
            "stage",
            "stage_display",
            "county_due",
            "city_due",
            "proposed_grade",
            "city_grade",
            "final_grade",
            "decided_on",
            "panel",
            "opinions",
            "verifications",
        ]
        read_only_fields = fields

    @extend_schema_field(PanelSerializer(allow_null=True))
    def get_panel(self, obj) -> dict | None:
        panel = getattr(obj, "panel", None)
        return PanelSerializer(panel).data if panel is not None else None


MEMBERS = PanelMember.objects.select_related("expert").order_by("-is_leader", "id")
PANELS = Panel.objects.select_related("formed_by").prefetch_related(
    Prefetch("memberships", queryset=MEMBERS)
)
OPINIONS = (
    Opinion.objects.select_related("grade", "signed_by")
    .prefetch_related(
        "signers",
        Prefetch(
            "indicators",
            queryset=IndicatorOpinion.objects.select_related("indicator_row__category"),
        ),
        Prefetch("forms", queryset=ApprovalForm.objects.order_by("-revision")),
    )
    .order_by("signed_at", "id")
)
VERIFICATIONS = (
    OnSiteVerification.objects.select_related("recommended_grade")
    .prefetch_related(
        Prefetch("rectifications", queryset=Rectification.objects.select_related("followed_up_by")),
        "photos",
    )
    .order_by("visited_on", "id")
)
CASE_PREFETCH = [
    Prefetch("panel", queryset=PANELS),
    Prefetch("opinions", queryset=OPINIONS),
    Prefetch("verifications", queryset=VERIFICATIONS),
]


class ExpertSuggestionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    employer = serializers.CharField(source="expert_profile.employer", read_only=True)
    title = serializers.CharField(source="expert_profile.title", read_only=True)
    knows_industry = serializers.BooleanField(read_only=True, help_text="熟悉本案行业")
    industries = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "name", "employer", "title", "knows_industry", "industries"]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.expert_profile.industries.all()]


# ---------------------------------------------------------------------------------------------
# Cases: input


class CaseFilterSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(
        choices=ReviewCase.Stage.choices, required=False, allow_blank=True, default=""
    )


class CaseOpenSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    declaration = serializers.IntegerField(help_text="已提交申报的 id")


DECISION_CHOICES = [
    (d.value, d.label) for d in Opinion.Decision if any(key[1] == d for key in decisions.DECISIONS)
]


class ReviewSignSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=DECISION_CHOICES, help_text="须为案卷当前阶段可作出的结论"
    )
    grade = _grade_field(required=False, allow_null=True, default=None, help_text="等级代码")
    summary = serializers.CharField(allow_blank=True, help_text="审核意见汇总")
    conclusion = serializers.CharField(allow_blank=True, help_text="分级意见结论")
    signers = _user_field(
        User.objects.all(),
        many=True,
        required=False,
        help_text="签署人用户名；省略时为提交人本人",
    )
    verdicts = VerdictsField(
        required=False, default=dict, help_text="各指标意见：{指标行 id: {verdict, text}}"
    )


class PanelAssignSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    experts = _user_field(User.objects.filter(role=User.Role.EXPERT), many=True)
    leader = _user_field(
        User.objects.filter(role=User.Role.EXPERT),
        required=False,
        allow_null=True,
        default=None,
        help_text="省略时为第一位专家",
    )


class OnSiteRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    visited_on = serializers.DateField()
    recommended_grade = _grade_field()
    summary = serializers.CharField(allow_blank=True, help_text="核查情况")
    conclusion = serializers.CharField(allow_blank=True, help_text="核查结论")
    signers = _user_field(
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


# ---------------------------------------------------------------------------------------------
# Cases: viewset

RECTIFICATION_PARAM = OpenApiParameter(
    "rectification_id", int, OpenApiParameter.PATH, description="整改要求 id"
)
OPINION_PARAM = OpenApiParameter("opinion_id", int, OpenApiParameter.PATH, description="意见 id")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("stage", str, enum=ReviewCase.Stage.values, description="审核阶段")
        ]
    ),
)
class ReviewCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Review cases: bureau staff see those of their jurisdiction, experts those whose panel
    they sit on, an enterprise its own; anything else answers 404."""

    queryset = ReviewCase.objects.none()  # for the schema; reads go through the selectors
    serializer_class = ReviewCaseSerializer
    filter_backends = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewCase.objects.none()
        params = CaseFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.case_list(
            viewer=self.request.user, stage=params.validated_data["stage"]
        ).prefetch_related(*CASE_PREFETCH)

    def get_object(self) -> ReviewCase:
        return selectors.case_get(viewer=self.request.user, pk=self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        return Response(self._present(kwargs["pk"]))

    def _present(self, pk) -> dict:
        case = selectors.case_get(viewer=self.request.user, pk=pk)
        prefetch_related_objects([case], *CASE_PREFETCH)
        return ReviewCaseSerializer(case).data

    @extend_schema(request=CaseOpenSerializer, responses={201: ReviewCaseSerializer})
    @action(detail=False, methods=["post"], url_path="open", url_name="open")
    def open_case(self, request):
        """The county accepts a submitted declaration for first review (初审受理)."""
        serializer = CaseOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaration = declaration_get(
            viewer=request.user, pk=serializer.validated_data["declaration"]
        )
        case = decisions.first_review_open(actor=request.user, declaration=declaration)
        return Response(self._present(case.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSignSerializer, responses={201: OpinionSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign a decision of the case's current stage (recommend, return, reject, decide,
        forward, confirm, downgrade, send_back) and carry it out."""
        case = self.get_object()
        serializer = ReviewSignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        opinion = decisions.review_sign(
            actor=request.user,
            case=case,
            decision=data["decision"],
            grade=data["grade"],
            summary=data["summary"],
            conclusion=data["conclusion"],
            signers=list(data["signers"]) if "signers" in data else [request.user],
            verdicts=data["verdicts"],
        )
        return Response(
            OpinionSerializer(OPINIONS.get(pk=opinion.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses=ExpertSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="expert-suggestions", pagination_class=None)
    def expert_suggestions(self, request, pk=None):
        """Eligible experts for the panel, those of the case's industry first."""
        case = self.get_object()
        if request.user.role != User.Role.CITY or not region_in_reach(
            request.user, case.declaration.enterprise.county
        ):
            raise exceptions.PermissionDenied("只有企业所属市级生态环境部门可以组建专家组")
        if case.stage != ReviewCase.Stage.CITY:
            raise serializers.ValidationError(
                {"non_field_errors": ["只有处于市级审核阶段的案卷可以组建专家组"]}
            )
        experts = list(panels.expert_suggestions(case=case, limit=30))
        prefetch_related_objects(experts, "expert_profile__industries")
        return Response(ExpertSuggestionSerializer(experts, many=True).data)

    @extend_schema(request=PanelAssignSerializer, responses=PanelSerializer)
    @action(detail=True, methods=["post"])
    def panel(self, request, pk=None):
        """Form (or re-form, before the on-site record) the case's expert panel."""
        case = self.get_object()
        serializer = PanelAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        panel = panels.panel_assign(
            actor=request.user,
            case=case,
            experts=list(serializer.validated_data["experts"]),
            leader=serializer.validated_data["leader"],
        )
        return Response(PanelSerializer(PANELS.get(pk=panel.pk)).data)

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
            VerificationSerializer(VERIFICATIONS.get(pk=verification.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _rectification(self, case: ReviewCase, rectification_id) -> Rectification:
        r = Rectification.objects.filter(verification__case=case, pk=rectification_id).first()
        if r is None:
            raise Http404
        return r

    @extend_schema(
        parameters=[RECTIFICATION_PARAM],
        request=NoteSerializer,
        responses=RectificationSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"rectifications/(?P<rectification_id>\d+)/report",
    )
    def rectification_report(self, request, pk=None, rectification_id=None):
        """The enterprise states what it rectified."""
        return self._rectification_note(request, rectification_id, onsite.rectification_report)

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
        r = self._rectification(self.get_object(), rectification_id)
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        r = service(actor=request.user, rectification=r, note=serializer.validated_data["note"])
        return Response(RectificationSerializer(r).data)

    @extend_schema(
        parameters=[OPINION_PARAM], request=None, responses={202: ApprovalFormSerializer}
    )
    @action(detail=True, methods=["post"], url_path=r"opinions/(?P<opinion_id>\d+)/form")
    def approval_form(self, request, pk=None, opinion_id=None):
        """Render the opinion's approval form (审核意见表) again, as a new revision; the
        earlier files stay."""
        case = self.get_object()
        opinion = case.opinions.filter(pk=opinion_id).first()
        if opinion is None:
            raise Http404
        form = approval_form_rerequest(actor=request.user, opinion=opinion)
        if form is None:
            raise serializers.ValidationError({"non_field_errors": ["该类意见不生成审核意见表"]})
        return Response(ApprovalFormSerializer(form).data, status=status.HTTP_202_ACCEPTED)


# ---------------------------------------------------------------------------------------------
# Experts


class HasRole(permissions.BasePermission):
    roles: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "role", None) in self.roles


class ExpertPoolReaders(HasRole):
    roles = (User.Role.CITY, User.Role.PROVINCE, User.Role.ADMIN, User.Role.EXPERT)
    message = "只有市级、省级生态环境部门和专家本人可以查看专家库"


class ProvinceStaff(HasRole):
    roles = (User.Role.PROVINCE, User.Role.ADMIN)
    message = "只有省级生态环境部门可以组织抽查复核"


class ExpertConflictSerializer(serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    # A plain string here: the choice set is documented once, on the input (ConflictRecord).
    kind = serializers.CharField(read_only=True, help_text="回避类型")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ExpertConflict
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "enterprise_uscc",
            "kind",
            "kind_display",
            "note",
            "declared_by_expert",
            "recorded_at",
        ]
        read_only_fields = fields


class ExpertBlacklistingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpertBlacklisting
        fields = ["id", "reason", "detail", "document_no", "recorded_at", "lifted_at"]
        read_only_fields = fields


class ExpertSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    employer = serializers.CharField(source="expert_profile.employer", read_only=True)
    title = serializers.CharField(source="expert_profile.title", read_only=True)
    employer_is_service_agency = serializers.BooleanField(
        source="expert_profile.employer_is_service_agency", read_only=True
    )
    industries = serializers.SerializerMethodField()
    blacklistings = ExpertBlacklistingSerializer(
        source="active_blacklistings", many=True, read_only=True, help_text="未解除的黑名单记录"
    )
    conflicts = ExpertConflictSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "username",
            "name",
            "is_active",
            "employer",
            "title",
            "employer_is_service_agency",
            "industries",
            "blacklistings",
            "conflicts",
        ]
        read_only_fields = fields

    def get_industries(self, obj) -> list[str]:
        return [i.code for i in obj.expert_profile.industries.all()]


class ConflictRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise_uscc = serializers.CharField(max_length=18, help_text="企业统一社会信用代码")
    kind = serializers.ChoiceField(choices=ExpertConflict.Kind.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BlacklistRecordSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=ExpertBlacklisting.Reason.choices)
    detail = serializers.CharField(allow_blank=True, help_text="情况说明")
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class ExpertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The expert pool with conflicts and active blacklistings (R-REV-7, R-REV-8). City and
    province staff see every expert; an expert sees only itself."""

    queryset = User.objects.none()  # for the schema
    serializer_class = ExpertSerializer
    permission_classes = [permissions.IsAuthenticated, ExpertPoolReaders]
    filter_backends = []
    lookup_field = "username"
    lookup_value_regex = r"[\w.@+-]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        pool = (
            User.objects.filter(role=User.Role.EXPERT)
            .select_related("expert_profile")
            .prefetch_related(
                "expert_profile__industries",
                Prefetch(
                    "blacklistings",
                    queryset=ExpertBlacklisting.objects.filter(lifted_at__isnull=True),
                    to_attr="active_blacklistings",
                ),
                Prefetch("conflicts", queryset=ExpertConflict.objects.select_related("enterprise")),
            )
            .order_by("full_name", "username")
        )
        if self.request.user.role == User.Role.EXPERT:
            pool = pool.filter(pk=self.request.user.pk)
        return pool

    @extend_schema(request=ConflictRecordSerializer, responses={201: ExpertConflictSerializer})
    @action(detail=True, methods=["post"])
    def conflicts(self, request, username=None):
        """Record a conflict of interest with an enterprise (R-REV-7): by the expert itself or
        by city or province staff."""
        expert = self.get_object()
        serializer = ConflictRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        enterprise = Enterprise.objects.filter(uscc=normalize_uscc(data["enterprise_uscc"])).first()
        if enterprise is None:
            raise serializers.ValidationError(
                {"enterprise_uscc": ["未找到该统一社会信用代码的企业"]}
            )
        conflict = panels.conflict_record(
            actor=request.user,
            expert=expert,
            enterprise=enterprise,
            kind=data["kind"],
            note=data["note"],
        )
        return Response(ExpertConflictSerializer(conflict).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BlacklistRecordSerializer, responses={201: ExpertBlacklistingSerializer})
    @action(detail=True, methods=["post"])
    def blacklist(self, request, username=None):
        """Blacklist the expert from all grading work (R-REV-8)."""
        expert = self.get_object()
        serializer = BlacklistRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = panels.expert_blacklist(
            actor=request.user, expert=expert, **serializer.validated_data
        )
        return Response(ExpertBlacklistingSerializer(entry).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# Spot checks (R-REV-9)


class SpotCheckItemSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    grade = serializers.SlugRelatedField(slug_field="code", read_only=True)
    city = serializers.SlugRelatedField(slug_field="code", read_only=True)
    downgrade_to = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    checked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = SpotCheckItem
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "industry",
            "grade",
            "city",
            "result",
            "findings",
            "downgrade_to",
            "checked_by",
            "checked_at",
        ]
        read_only_fields = fields


class SpotCheckSampleSerializer(serializers.ModelSerializer):
    drawn_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    items = SpotCheckItemSerializer(many=True, read_only=True)

    class Meta:
        model = SpotCheckSample
        fields = [
            "id",
            "year",
            "percentage",
            "seed",
            "grade_codes",
            "population",
            "drawn_by",
            "drawn_at",
            "items",
        ]
        read_only_fields = fields


class SampleDrawSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    percentage = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="抽查比例（%）")
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=2**63 - 1,
        help_text="随机种子；省略时自动生成。同一种子对同一总体抽出同一样本",
    )


class SpotCheckResultSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    passed = serializers.BooleanField()
    findings = serializers.CharField(allow_blank=True, help_text="核查情况")
    downgrade_to = _grade_field(
        required=False, allow_null=True, default=None, help_text="不符合时降为；默认下一级"
    )


ITEM_PARAM = OpenApiParameter("item_id", int, OpenApiParameter.PATH, description="抽查对象 id")
SAMPLE_ITEMS = Prefetch(
    "items",
    queryset=SpotCheckItem.objects.select_related(
        "enterprise", "industry", "grade", "city", "downgrade_to", "checked_by"
    ),
)


class SpotCheckSampleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The province's spot-check samples with their items (province staff only)."""

    queryset = (
        SpotCheckSample.objects.select_related("drawn_by")
        .prefetch_related(SAMPLE_ITEMS)
        .order_by("-drawn_at", "-id")
    )
    serializer_class = SpotCheckSampleSerializer
    permission_classes = [permissions.IsAuthenticated, ProvinceStaff]
    filter_backends = []
    lookup_value_regex = r"\d+"

    @extend_schema(request=SampleDrawSerializer, responses={201: SpotCheckSampleSerializer})
    def create(self, request, *args, **kwargs):
        """Draw a sample stratified by city and industry, reproducible from its seed."""
        serializer = SampleDrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sample = sampling.sample_draw(actor=request.user, **serializer.validated_data)
        return Response(
            SpotCheckSampleSerializer(self.get_queryset().get(pk=sample.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[ITEM_PARAM],
        request=SpotCheckResultSerializer,
        responses=SpotCheckItemSerializer,
    )
    @action(detail=True, methods=["post"], url_path=r"items/(?P<item_id>\d+)/result")
    def item_result(self, request, pk=None, item_id=None):
        """Record one on-site re-check; a failed one downgrades the grade at once."""
        sample = self.get_object()
        item = sample.items.filter(pk=item_id).first()
        if item is None:
            raise Http404
        serializer = SpotCheckResultSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sampling.spot_check_record(actor=request.user, item=item, **serializer.validated_data)
        item = SAMPLE_ITEMS.queryset.get(pk=item.pk)
        return Response(SpotCheckItemSerializer(item).data)


class DowngradeProposalSerializer(serializers.ModelSerializer):
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True)
    pass_rate = serializers.FloatField(read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = IndustryDowngradeProposal
        fields = [
            "id",
            "year",
            "industry",
            "industry_name",
            "checked",
            "passed",
            "pass_rate",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "affected",
        ]
        read_only_fields = fields


class ProposalDecideSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    confirm = serializers.BooleanField(help_text="true 确认行业降级；false 不予降级")
    reason = serializers.CharField(allow_blank=True)


class DowngradeProposalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Industry downgrade proposals opened by the 60% rule (province staff only)."""

    queryset = IndustryDowngradeProposal.objects.select_related("industry", "decided_by").order_by(
        "-year", "industry__code", "-id"
    )
    serializer_class = DowngradeProposalSerializer
    permission_classes = [permissions.IsAuthenticated, ProvinceStaff]
    filter_backends = []
    lookup_value_regex = r"\d+"

    @extend_schema(request=ProposalDecideSerializer, responses=DowngradeProposalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Confirm (every A, B, B-, 引领性 of the industry goes one grade down) or dismiss."""
        proposal = self.get_object()
        serializer = ProposalDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = sampling.industry_downgrade_decide(
            actor=request.user, proposal=proposal, **serializer.validated_data
        )
        return Response(DowngradeProposalSerializer(self.get_queryset().get(pk=proposal.pk)).data)
