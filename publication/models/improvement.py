"""The improvement list (绩效提升企业清单, 001 三(二) and 附件3; R-TGT-2): enterprises the
counties help to a better grade, one entry per enterprise and industry."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImprovementEntry(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    enterprise = models.ForeignKey(
        "grading.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(
        "grading.Industry",
        verbose_name=_("重点行业类型"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("绩效提升目标"), on_delete=models.PROTECT, related_name="+"
    )
    indicator = models.ForeignKey(
        "grading.IndicatorCategory",
        verbose_name=_("差异化指标"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    problem = models.TextField(_("存在问题"))
    measures = models.TextField(_("改造措施"))
    due_on = models.DateField(_("拟完成时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("绩效提升企业")
        verbose_name_plural = _("绩效提升企业清单")
        ordering = ["year", "enterprise__county__code", "industry__seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "enterprise", "industry"], name="uniq_improvement_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.enterprise} {self.industry}"
