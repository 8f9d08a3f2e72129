"""Experts in the pools (a pool per city and the provincial pool; 002 第八条, 003 四), their
conflicts of interest and the blacklist (R-REV-6..8), and the panels a city forms for
material review and on-site verification."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PoolMembership(models.Model):
    """An expert in a city's pool or in the provincial pool. A city forms panels from its own
    pool and the provincial one; leaving a pool ends the membership, never deletes it."""

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="pool_memberships",
    )
    pool = models.ForeignKey(
        "grading.Region",
        verbose_name=_("专家库"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("省辖市专家库或省级专家库"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("入库登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("入库时间"), auto_now_add=True)
    removed_at = models.DateTimeField(_("出库时间"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("出库登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    removed_reason = models.TextField(_("出库原因"), blank=True)

    class Meta:
        verbose_name = _("专家库成员")
        verbose_name_plural = _("专家库成员")
        ordering = ["pool__code", "added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "pool"],
                condition=models.Q(removed_at__isnull=True),
                name="one_active_membership_per_pool",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pool} / {self.expert}"


class ExpertConflict(models.Model):
    """A conflict between an expert and an enterprise, declared by the expert or recorded by
    staff (R-REV-7): the expert may not review that enterprise."""

    class Kind(models.TextChoices):
        AGENCY_SERVED = "agency", _("所在第三方机构曾为该企业提供服务")
        SELF_ACCEPTANCE = "self_acceptance", _("参与过该企业自主验收")
        CLEANER_PRODUCTION = "cleaner_production", _("参与过该企业清洁生产审核验收")
        OTHER = "other", _("其他利害关系")

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="conflicts",
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    declared_by_expert = models.BooleanField(_("专家自行申报"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专家回避关系")
        verbose_name_plural = _("专家回避关系")
        constraints = [
            models.UniqueConstraint(
                fields=["expert", "enterprise", "kind"], name="uniq_expert_conflict"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} / {self.enterprise}"


class ExpertBlacklisting(models.Model):
    """R-REV-8: gifts or bribes, fees, false opinions or an official criticism blacklist an
    expert from all grading work. Lifted only by a recorded decision, never deleted."""

    class Reason(models.TextChoices):
        GIFTS = "gifts", _("收受礼品礼金或贿赂")
        FEES = "fees", _("收取费用")
        FALSE_OPINION = "false_opinion", _("出具虚假意见")
        CRITICISM = "criticism", _("受到通报批评")

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="blacklistings",
    )
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
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
        verbose_name = _("专家黑名单")
        verbose_name_plural = _("专家黑名单")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.expert} {self.get_reason_display()}"


class Panel(models.Model):
    """The expert panel a city forms for one review case (material review and on-site
    verification) or for the second review of a downgrade case (R-DYN-1)."""

    case = models.OneToOneField(
        "review.ReviewCase",
        verbose_name=_("审核案卷"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="panel",
    )
    downgrade_case = models.OneToOneField(
        "review.DowngradeCase",
        verbose_name=_("动态降级案卷"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="panel",
        help_text=_("监督检查发现问题的专家二次审核"),
    )
    appeal = models.OneToOneField(
        "review.Appeal",
        verbose_name=_("复核申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="panel",
        help_text=_("市级复核的专家组"),
    )
    formed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("组建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    formed_at = models.DateTimeField(_("组建时间"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        through="PanelMember",
        related_name="panels",
    )

    class Meta:
        verbose_name = _("专家组")
        verbose_name_plural = _("专家组")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, downgrade_case__isnull=True, appeal=None)
                | models.Q(case__isnull=True, downgrade_case__isnull=False, appeal=None)
                | models.Q(case__isnull=True, downgrade_case__isnull=True, appeal__isnull=False),
                name="panel_of_one_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case or self.downgrade_case or self.appeal} 专家组"


class PanelMember(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="memberships")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("专家"), on_delete=models.PROTECT, related_name="+"
    )
    is_leader = models.BooleanField(_("组长"), default=False)

    class Meta:
        verbose_name = _("专家组成员")
        verbose_name_plural = _("专家组成员")
        constraints = [
            models.UniqueConstraint(fields=["panel", "expert"], name="uniq_panel_member")
        ]

    def __str__(self) -> str:
        return str(self.expert)


class ExpertTraining(models.Model):
    """A training the expert attended (002 第八条(1): experts take part in grading training),
    recorded by the bureau that keeps its pool."""

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("专家"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    held_on = models.DateField(_("培训日期"))
    title = models.CharField(_("培训内容"), max_length=200)
    organiser = models.CharField(_("组织单位"), max_length=200)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1)
    certificate_no = models.CharField(_("证书编号"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("专家培训记录")
        verbose_name_plural = _("专家培训记录")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="training_hours_positive")
        ]

    def __str__(self) -> str:
        return f"{self.expert} {self.held_on} {self.title}"
