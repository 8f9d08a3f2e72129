"""The public's API (/api/v1/public/): anonymous, throttled per address, read-only except for
lodging an objection or a report. Enterprises are named by their USCC, never by an internal
id; nothing about a confidential enterprise (R-DECL-5) is ever answered."""

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from declarations.api import RejectUnknownFieldsMixin
from grading.models import Region
from publication.models import (
    ListRow,
    ListVersion,
    Notice,
    NoticeItem,
    PublicReport,
    VersionFile,
)
from publication.selectors import notices as selectors
from publication.selectors.lists import (
    issuers,
    latest_version,
    public_issuer_get,
    public_rows,
    public_version_get,
    tier_of_issuer,
    version_list,
)
from publication.selectors.positive import public_positive_rows
from publication.services.notices import objection_lodge
from publication.services.reports import report_lodge


class PublicThrottle(AnonRateThrottle):
    """Per address, signed in or not (the public API treats everyone alike)."""

    scope = "public"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicAPIView:
    """Anonymous access (no authentication is even tried) and the public throttle."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle]


class PublicNoticeItemSerializer(serializers.ModelSerializer):
    key = serializers.CharField(
        source="public_key", help_text="提出异议时使用：统一社会信用代码-行业代码"
    )
    city = serializers.SerializerMethodField()
    county = serializers.CharField(source="enterprise.county.name")
    enterprise_name = serializers.CharField(source="enterprise.name")
    uscc = serializers.CharField(source="enterprise.uscc")
    industry = serializers.CharField(source="industry.name")
    grade = serializers.CharField(source="grade.name")
    grade_code = serializers.CharField(source="grade.code")

    class Meta:
        model = NoticeItem
        fields = [
            "key",
            "city",
            "county",
            "enterprise_name",
            "uscc",
            "industry",
            "grade",
            "grade_code",
        ]
        read_only_fields = fields

    def get_city(self, obj) -> str:
        county = obj.enterprise.county
        return county.parent.name if county.level == "county" else county.name


class PublicNoticeSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.name")
    window_open = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "number",
            "issuer",
            "title",
            "statement",
            "workdays",
            "starts_on",
            "ends_on",
            "window_open",
            "url",
        ]
        read_only_fields = fields

    def get_window_open(self, obj) -> bool:
        return obj.window_open()

    def get_url(self, obj) -> str:
        return reverse("public-api:notice", args=[obj.number])


class PublicNoticeList(PublicAPIView, generics.ListAPIView):
    """Notices whose window has begun, newest first."""

    serializer_class = PublicNoticeSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.public_notices()


class PublicNoticeDetail(PublicAPIView, APIView):
    @extend_schema(responses=PublicNoticeSerializer)
    def get(self, request, number: str):
        """A notice with its results (``items``)."""
        notice = selectors.public_notice_get(number=number)
        data = PublicNoticeSerializer(notice).data
        items = selectors.public_notice_items(notice=notice)
        data["items"] = PublicNoticeItemSerializer(items, many=True).data
        data["objections"] = reverse("public-api:objection-lodge", args=[notice.number])
        return Response(data)


class ObjectionLodgeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    item = serializers.CharField(help_text="公示企业的 key（统一社会信用代码-行业代码）")
    content = serializers.CharField(allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    contact = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class ObjectionLodged(serializers.Serializer):
    receipt = serializers.CharField()


class PublicObjectionLodge(PublicAPIView, APIView):
    @extend_schema(request=ObjectionLodgeSerializer, responses={201: ObjectionLodged})
    def post(self, request, number: str):
        """Lodge an objection during the window; answers only the receipt number."""
        notice = selectors.public_notice_get(number=number)
        serializer = ObjectionLodgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = selectors.public_notice_item_get(notice=notice, key=data["item"])
        objection = objection_lodge(
            item=item, content=data["content"], name=data["name"], contact=data["contact"]
        )
        return Response({"receipt": objection.receipt}, status=status.HTTP_201_CREATED)


# --- Published lists (R-PUB-1) -----------------------------------------------------------------


class PublicVersionSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.code")
    issuer_name = serializers.CharField(source="issuer.name")
    downloads = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = ListVersion
        fields = [
            "issuer",
            "issuer_name",
            "tier",
            "number",
            "title",
            "published_on",
            "note",
            "row_count",
            "added",
            "removed",
            "changed",
            "downloads",
            "links",
        ]
        read_only_fields = fields

    def get_links(self, obj) -> dict[str, str]:
        return {
            "rows": reverse("public-api:rows", args=[obj.issuer.code, obj.number]),
            "versions": reverse("public-api:versions", args=[obj.issuer.code]),
            "page": reverse("public:version", args=[obj.issuer.code, obj.number]),
        }

    def get_downloads(self, obj) -> dict[str, str]:
        return {
            fmt: reverse("public:download", args=[obj.issuer.code, obj.number, fmt])
            for fmt in VersionFile.Format.values
        }


class PublicRowSerializer(serializers.ModelSerializer):
    city = serializers.CharField(source="city_name")
    county = serializers.CharField(source="county_name")
    industry = serializers.CharField(source="industry_name")
    grade = serializers.CharField(source="grade_name")

    class Meta:
        model = ListRow
        fields = [
            "seq",
            "city",
            "city_code",
            "county",
            "county_code",
            "enterprise_name",
            "uscc",
            "industry",
            "industry_code",
            "grade",
            "grade_code",
            "effective_from",
        ]
        read_only_fields = fields


class PublicListIndex(PublicAPIView, APIView):
    @extend_schema(responses=PublicVersionSerializer(many=True))
    def get(self, request):
        """The latest version of every published list."""
        found = []
        for region in issuers():
            latest = latest_version(issuer=region, tier=tier_of_issuer(region))
            if latest is not None:
                found.append(latest)
        return Response(PublicVersionSerializer(found, many=True).data)


class PublicVersionList(PublicAPIView, generics.ListAPIView):
    """Every version of one bureau's list, newest first."""

    serializer_class = PublicVersionSerializer
    filter_backends: list = []

    def get_queryset(self):
        issuer = public_issuer_get(code=self.kwargs["code"])
        return version_list(issuer=issuer, tier=tier_of_issuer(issuer)).select_related("issuer")


class RowFilterSerializer(serializers.Serializer):
    city = serializers.CharField(required=False, allow_blank=True, default="")
    county = serializers.CharField(required=False, allow_blank=True, default="")
    industry = serializers.CharField(required=False, allow_blank=True, default="")
    grade = serializers.CharField(required=False, allow_blank=True, default="")
    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)


class PublicVersionRows(PublicAPIView, generics.ListAPIView):
    """The enterprises of one version (``latest`` or a number), filtered by city, county,
    industry (code), grade (code) and ``q`` (name or USCC)."""

    serializer_class = PublicRowSerializer
    filter_backends: list = []

    def get_queryset(self):
        issuer = public_issuer_get(code=self.kwargs["code"])
        number = self.kwargs["number"]
        version = public_version_get(
            issuer=issuer, number=None if number == "latest" else _number(number)
        )
        params = RowFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        return public_rows(
            version=version,
            city=f["city"],
            county=f["county"],
            industry=f["industry"],
            grade=f["grade"],
            search=f["q"],
        )


def _number(text: str) -> int:
    if not text.isdigit():
        raise Http404
    return int(text)


class PublicPositiveRows(PublicAPIView, generics.ListAPIView):
    """R-PUB-3: the positive enforcement list as published (the province's latest list, less
    every enterprise no longer A, 引领性 or 先进性), filtered by ``county`` and ``q``."""

    serializer_class = PublicRowSerializer
    filter_backends: list = []

    def get_queryset(self):
        province = public_issuer_get(code=settings.GRADING["PROVINCE_CODE"])
        params = RowFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        _version, rows = public_positive_rows(
            province=province,
            county=params.validated_data["county"],
            search=params.validated_data["q"],
        )
        return rows


class PublicRoot(PublicAPIView, APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """What the public API offers."""
        return Response(
            {
                "notices": reverse("public-api:notices"),
                "lists": reverse("public-api:lists"),
                "positive": reverse("public-api:positive"),
                "reports": reverse("public-api:report-lodge"),
            }
        )


class ReportLodgeSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    enterprise_name = serializers.CharField(allow_blank=True, max_length=200)
    uscc = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    county = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="企业所在县（市、区）区划代码"
    )
    kind = serializers.ChoiceField(choices=PublicReport.Kind.choices)
    content = serializers.CharField(allow_blank=True)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    contact = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)


class ReportLodged(serializers.Serializer):
    receipt = serializers.CharField()


class PublicReportLodge(PublicAPIView, APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=ReportLodgeSerializer, responses={201: ReportLodged})
    def post(self, request):
        """Report that an enterprise's grade or conduct is wrong (R-PUB-2); answers only the
        receipt number. Evidence files as ``files`` (multipart)."""
        serializer = ReportLodgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        county = Region.objects.filter(code=v["county"]).first() if v["county"] else None
        report = report_lodge(
            kind=v["kind"],
            content=v["content"],
            enterprise_name=v["enterprise_name"],
            uscc=v["uscc"],
            county=county,
            files=v["files"],
            name=v["name"],
            contact=v["contact"],
        )
        return Response({"receipt": report.receipt}, status=status.HTTP_201_CREATED)
