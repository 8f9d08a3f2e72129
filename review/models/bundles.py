"""A month's approval forms (审核意见表, 002 附件1) of a county or a city merged into one PDF
for printing and filing. A worker renders it; the file is offered only when complete."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalFormBundle(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    region = models.ForeignKey(
        "grading.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(
        _("月份"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(
        _("进度"), default=0, validators=[MaxValueValidator(100)]
    )
    file = models.FileField(_("文件"), upload_to="approval_form_bundles/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField(_("审核意见表份数"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    error = models.CharField(_("错误信息"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("审核意见表月度汇编")
        verbose_name_plural = _("审核意见表月度汇编")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["region", "year", "month"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="bundle_month_valid"
            ),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="bundle_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}年{self.month}月审核意见表"
