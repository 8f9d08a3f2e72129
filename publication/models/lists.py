"""Published lists (R-PUB-1): each publication is a frozen, dated, numbered version of one
bureau's list; later changes publish a new version and the old ones stay readable."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from publication.models.tiers import Tier


class ListVersion(models.Model):
    issuer = models.ForeignKey(
        "grading.Region", verbose_name=_("发布单位"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(_("名单类别"), max_length=10, choices=Tier.choices)
    number = models.PositiveIntegerField(_("版本号"))
    published_on = models.DateField(_("发布日期"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=200)
    note = models.CharField(_("发布说明"), max_length=300, blank=True)
    row_count = models.PositiveIntegerField(_("企业数"), default=0)
    added = models.PositiveIntegerField(_("新增"), default=0)
    removed = models.PositiveIntegerField(_("移出"), default=0)
    changed = models.PositiveIntegerField(_("等级变化"), default=0)

    class Meta:
        verbose_name = _("公开名单版本")
        verbose_name_plural = _("公开名单版本")
        ordering = ["issuer__code", "tier", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "tier", "number"], name="uniq_list_version")
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.number}版）"


class ListRow(models.Model):
    """One published result, frozen as text: what the list said on its day. No contact data
    and no internal id is ever copied here."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="rows")
    seq = models.PositiveIntegerField(_("序号"))
    city_code = models.CharField(max_length=12)
    city_name = models.CharField(_("省辖市"), max_length=50)
    county_code = models.CharField(max_length=12)
    county_name = models.CharField(_("县（市、区）"), max_length=50)
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    industry_code = models.CharField(max_length=20)
    industry_name = models.CharField(_("行业"), max_length=50)
    grade_code = models.CharField(max_length=10)
    grade_name = models.CharField(_("绩效等级"), max_length=30)
    effective_from = models.DateField(_("评定日期"))

    class Meta:
        verbose_name = _("公开名单企业")
        verbose_name_plural = _("公开名单企业")
        ordering = ["version", "seq"]
        indexes = [
            models.Index(fields=["version", "seq"]),
            models.Index(fields=["version", "county_code"]),
            models.Index(fields=["uscc"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_name} {self.industry_name} {self.grade_name}"


class VersionFile(models.Model):
    """A download of a list version (Excel or PDF), rendered by the worker. It holds what the
    public could see when it was rendered; ``rows_digest`` tells whether that still holds (an
    enterprise withheld since, R-DECL-5, makes the download render again without it)."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    version = models.ForeignKey(ListVersion, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(_("格式"), max_length=4, choices=Format.choices)
    revision = models.PositiveSmallIntegerField(_("生成次数"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("文件"), upload_to="public_lists/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rows_digest = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    error = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("公开名单下载文件")
        verbose_name_plural = _("公开名单下载文件")
        ordering = ["version", "format", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "format", "revision"], name="uniq_version_file_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.format} #{self.revision}"
