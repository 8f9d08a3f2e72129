"""Province spot checks (R-REV-9): a stratified, seeded sample of graded enterprises, their
on-site re-check results, and the industry downgrade the 60% rule proposes."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SpotCheckSample(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    percentage = models.DecimalField(_("抽查比例（%）"), max_digits=5, decimal_places=2)
    seed = models.BigIntegerField(_("随机种子"))
    grade_codes = models.JSONField(_("抽查等级"), default=list)
    population = models.PositiveIntegerField(_("总体数量"))
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        ordering = ["-drawn_at"]

    def __str__(self) -> str:
        return f"{self.year} {self.percentage}% #{self.seed}"


class SpotCheckItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("待核查")
        PASSED = "passed", _("符合")
        FAILED = "failed", _("不符合")

    sample = models.ForeignKey(SpotCheckSample, on_delete=models.PROTECT, related_name="items")
    enterprise = models.ForeignKey(
        "grading.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("抽查时等级"), on_delete=models.PROTECT, related_name="+"
    )
    city = models.ForeignKey(
        "grading.Region", verbose_name=_("省辖市"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(
        _("核查结果"), max_length=10, choices=Result.choices, default=Result.PENDING
    )
    findings = models.TextField(_("核查情况"), blank=True)
    downgrade_to = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("降为"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("抽查对象")
        verbose_name_plural = _("抽查对象")
        ordering = ["sample", "city__code", "industry__seq", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "enterprise", "industry"], name="uniq_sample_item"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.industry}"


class IndustryDowngradeProposal(models.Model):
    """R-REV-9: an industry whose spot-check pass rate is below 60% has its grades downgraded;
    the system proposes, the province confirms or dismisses."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        CONFIRMED = "confirmed", _("已确认降级")
        DISMISSED = "dismissed", _("不予降级")

    year = models.PositiveSmallIntegerField(_("年度"))
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    checked = models.PositiveIntegerField(_("抽查数"))
    passed = models.PositiveIntegerField(_("符合数"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("理由"), blank=True)
    affected = models.PositiveIntegerField(_("涉及企业数"), default=0)

    class Meta:
        verbose_name = _("行业降级建议")
        verbose_name_plural = _("行业降级建议")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "industry"],
                condition=models.Q(status="proposed"),
                name="one_open_proposal_per_industry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.industry} {self.passed}/{self.checked}"

    @property
    def pass_rate(self) -> float:
        return self.passed / self.checked if self.checked else 0.0
