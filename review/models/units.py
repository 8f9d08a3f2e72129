"""Technical service units (技术服务单位, 002 第二十一条; R-REV-7, R-REV-8): the agencies whose
experts take part in grading work, the enterprises each has served (a served enterprise is an
automatic conflict of interest for the unit's experts), and the blacklisting of a unit. Kept by
a city bureau or the province; nothing is deleted, a membership ends and a blacklisting is
lifted with a reason."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from review.models.experts import ExpertBlacklisting


def _recorder() -> models.ForeignKey:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )


class ServiceUnit(models.Model):
    name = models.CharField(_("单位名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    region = models.ForeignKey(
        "grading.Region",
        verbose_name=_("登记部门所在地"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("登记该单位的省辖市或省"),
    )
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("技术服务单位")
        verbose_name_plural = _("技术服务单位")
        ordering = ["region__code", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="uniq_unit_name_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class ServiceUnitMember(models.Model):
    """An expert working for the unit, from ``since`` (until ``until`` when it left)."""

    unit = models.ForeignKey(
        ServiceUnit,
        verbose_name=_("技术服务单位"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="unit_memberships",
    )
    since = models.DateField(_("起始日期"))
    until = models.DateField(_("截止日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("技术服务单位专家")
        verbose_name_plural = _("技术服务单位专家")
        ordering = ["unit", "-since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "expert"],
                condition=models.Q(until__isnull=True),
                name="one_open_unit_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} / {self.expert}"


class ServiceEngagement(models.Model):
    """An enterprise the unit served (R-REV-7): none of the unit's experts may review it."""

    class Service(models.TextChoices):
        EIA = "eia", _("环境影响评价")
        ACCEPTANCE = "acceptance", _("竣工环保验收（自主验收）")
        CLEANER_PRODUCTION = "cleaner_production", _("清洁生产审核")
        MONITORING = "monitoring", _("环境监测")
        CONSULTING = "consulting", _("绩效分级咨询或材料编制")
        OTHER = "other", _("其他技术服务")

    unit = models.ForeignKey(
        ServiceUnit,
        verbose_name=_("技术服务单位"),
        on_delete=models.PROTECT,
        related_name="engagements",
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise", verbose_name=_("服务企业"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.CharField(_("服务内容"), max_length=20, choices=Service.choices)
    served_on = models.DateField(_("服务日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("技术服务记录")
        verbose_name_plural = _("技术服务记录")
        ordering = ["-served_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "enterprise", "service"], name="uniq_unit_engagement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} → {self.enterprise}"


class ServiceUnitBlacklisting(models.Model):
    """R-REV-8 (002 第二十一条): a unit blacklisted from grading work; its experts with it."""

    unit = models.ForeignKey(
        ServiceUnit,
        verbose_name=_("技术服务单位"),
        on_delete=models.PROTECT,
        related_name="blacklistings",
    )
    reason = models.CharField(_("原因"), max_length=20, choices=ExpertBlacklisting.Reason.choices)
    detail = models.TextField(_("情况说明"))
    document_no = models.CharField(_("文件编号"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_reason = models.TextField(_("解除依据"), blank=True)

    class Meta:
        verbose_name = _("技术服务单位黑名单")
        verbose_name_plural = _("技术服务单位黑名单")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_reason_display()}"
