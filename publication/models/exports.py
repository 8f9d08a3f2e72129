"""Excel files for the bureaus' own use, rendered by the worker: the positive enforcement
list for inspection planning (R-PUB-3) and the official lists the seeds lay out (R-TGT-2,
R-TGT-3, 001 附件4, the guarantee-class list)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportFile(models.Model):
    class Kind(models.TextChoices):
        POSITIVE = "positive", _("监管执法正面清单")
        IMPROVEMENT = "improvement", _("重点行业绩效分级提升企业清单")
        DECLARATION = "declaration", _("重点行业企业绩效分级申报清单")
        PROVINCE_AB = "province_ab", _("A级、B级、绩效引领性企业清单")
        GUARANTEE = "guarantee", _("保障类企业清单")

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    kind = models.CharField(_("清单"), max_length=15, choices=Kind.choices)
    region = models.ForeignKey(
        "grading.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    params = models.JSONField(_("条件"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("文件"), upload_to="official_lists/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("清单导出文件")
        verbose_name_plural = _("清单导出文件")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region} {self.year}"
