"""The yearly re-application of last year's A and B (R-REV-11; 003 五): each reminder sent,
once per enterprise, industry, year and round (so a redelivered or repeated beat run sends
nothing twice), and the county's signed decision on those that did not re-apply by their
batch's deadline: they keep or lose the grade."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReapplicationReminder(models.Model):
    class Round(models.TextChoices):
        YEARLY = "yearly", _("年初提醒")
        MONTH_BEFORE = "month_before", _("截止前30日提醒")
        WEEK_BEFORE = "week_before", _("截止前7日提醒")

    enterprise = models.ForeignKey(
        "grading.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="+"
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    round = models.CharField(_("提醒轮次"), max_length=15, choices=Round.choices)
    deadline = models.DateField(_("批次截止日期"), null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(_("提醒人数"), default=0)
    sent_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("重新申报提醒")
        verbose_name_plural = _("重新申报提醒")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "industry", "year", "round"], name="uniq_reapply_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.enterprise_id} {self.industry_id} {self.round}"


class ReapplicationDecision(models.Model):
    """R-REV-11: the county's signed decision on an enterprise that did not re-apply by the
    deadline of its batch: it keeps its grade, or loses it (the lowest grade of its
    industry's scheme, written to the grade history; the list follows)."""

    class Outcome(models.TextChoices):
        KEEP = "keep", _("保留原等级")
        LOSE = "lose", _("取消原等级")

    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="reapplication_decisions",
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    deadline = models.DateField(_("批次截止日期"), null=True, blank=True)
    outcome = models.CharField(_("决定"), max_length=5, choices=Outcome.choices)
    grade_before = models.ForeignKey(
        "grading.Grade", verbose_name=_("原等级"), on_delete=models.PROTECT, related_name="+"
    )
    grade_after = models.ForeignKey(
        "grading.Grade", verbose_name=_("决定后等级"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("理由"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签署人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("签署时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("未重新申报处理决定")
        verbose_name_plural = _("未重新申报处理决定")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "industry", "year"], name="uniq_reapply_decision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.enterprise_id} {self.get_outcome_display()}"
