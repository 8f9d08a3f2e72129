"""Spot checks by the province and the cities (R-REV-9, 002 第十四条 "省、市"): a stratified,
seeded sample of graded enterprises, their on-site re-check results, the industry downgrade
the 60% rule proposes, and the thresholds the province sets for them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SpotCheckPolicy(models.Model):
    """The province's thresholds for spot checks (R-REV-9): how many enterprises of an industry
    a sample holds at least, so that the industry's pass rate can be judged, and how many must
    be decided before the pass rate is judged on an industry whose sample is not complete."""

    province = models.OneToOneField(
        "grading.Region", verbose_name=_("省"), on_delete=models.PROTECT, related_name="+"
    )
    min_per_industry = models.PositiveSmallIntegerField(
        _("每个行业最少抽查数"),
        default=5,
        help_text=_("按比例分配后不足此数的行业补足至此数（行业企业数更少时全部抽取）"),
    )
    min_decided = models.PositiveSmallIntegerField(
        _("判定合格率的最少核查数"),
        default=5,
        help_text=_("行业样本全部核查完毕，或已核查数达到此数时，方判定该行业合格率"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("抽查规则")
        verbose_name_plural = _("抽查规则")

    def __str__(self) -> str:
        return f"{self.province} ≥{self.min_per_industry}/{self.min_decided}"


class SpotCheckSample(models.Model):
    region = models.ForeignKey(
        "grading.Region",
        verbose_name=_("抽查范围"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("组织抽查的省或省辖市：在其所辖县（市、区）的已评级企业中抽取"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    percentage = models.DecimalField(_("抽查比例（%）"), max_digits=5, decimal_places=2)
    seed = models.BigIntegerField(_("随机种子"))
    grade_codes = models.JSONField(_("抽查等级"), default=list)
    population = models.PositiveIntegerField(_("总体数量"))
    requested = models.PositiveIntegerField(
        _("按比例应抽数"), default=0, help_text=_("总体数量×抽查比例，向上取整")
    )
    min_per_industry = models.PositiveSmallIntegerField(_("每个行业最少抽查数"), default=0)
    min_decided = models.PositiveSmallIntegerField(_("判定合格率的最少核查数"), default=0)
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
    """R-REV-9: an industry whose spot-check pass rate in a sample is below 60% has its grades
    downgraded in the sample's area; the system proposes once the industry's sample can be
    judged, the bureau that drew the sample confirms or dismisses."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待确认")
        CONFIRMED = "confirmed", _("已确认降级")
        DISMISSED = "dismissed", _("不予降级")

    sample = models.ForeignKey(
        SpotCheckSample,
        verbose_name=_("抽查样本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
        help_text=_("按样本判定合格率之前提出的建议无样本"),
    )
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
                fields=["sample", "industry"],
                condition=models.Q(status="proposed"),
                name="one_open_proposal_per_sample_industry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.industry} {self.passed}/{self.checked}"

    @property
    def region(self):
        """The area whose enterprises a confirmation downgrades (the province for a proposal
        made before samples had an area)."""
        return self.sample.region if self.sample_id else None

    @property
    def pass_rate(self) -> float:
        return self.passed / self.checked if self.checked else 0.0
