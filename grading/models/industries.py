from django.db import models
from django.utils.translation import gettext_lazy as _


class GuidelineVersion(models.Model):
    """A version of the grading guidelines (R-GRADE-7): 2020 guide, 2021 supplement, 2026 ..."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("文件名称"), max_length=200)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    adds = models.TextField(_("主要内容"), blank=True)
    source_url = models.URLField(_("来源"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("技术指南版本")
        verbose_name_plural = _("技术指南版本")
        ordering = ["issued_on", "code"]

    def __str__(self) -> str:
        return self.name


class Grade(models.Model):
    """A performance grade (R-GRADE-1). ``severity`` decides "worst": higher is worse."""

    code = models.CharField(_("代码"), max_length=10, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    severity = models.PositiveSmallIntegerField(_("严重程度"), help_text=_("数值越大等级越低"))
    autonomous_reduction = models.BooleanField(
        _("可自主减排"), default=False, help_text=_("A级、引领性企业可自主采取减排措施")
    )

    class Meta:
        verbose_name = _("绩效等级")
        verbose_name_plural = _("绩效等级")
        ordering = ["severity", "code"]

    def __str__(self) -> str:
        return self.name


class GradeScheme(models.Model):
    """The grades an industry's guideline defines, e.g. A/B/C/D, A/B/B-/C/D or 引领性/非引领性."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    grades = models.ManyToManyField(Grade, verbose_name=_("等级"), related_name="schemes")

    class Meta:
        verbose_name = _("分级体系")
        verbose_name_plural = _("分级体系")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def ordered_grades(self) -> list[Grade]:
        return sorted(self.grades.all(), key=lambda g: (g.severity, g.code))

    def lowest(self) -> Grade:
        """The grade an enterprise not taking part in grading is managed at (R-ELIG-4)."""
        return self.ordered_grades()[-1]


class IndustryCategory(models.Model):
    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=30)
    seq = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("行业类别")
        verbose_name_plural = _("行业类别")
        ordering = ["seq"]

    def __str__(self) -> str:
        return self.name


class Industry(models.Model):
    GENERAL_CODE = "GENERAL"

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    category = models.ForeignKey(
        IndustryCategory,
        verbose_name=_("类别"),
        on_delete=models.PROTECT,
        related_name="industries",
    )
    seq = models.PositiveSmallIntegerField(_("序号"), default=0)
    gbt4754 = models.CharField(_("国民经济行业代码"), max_length=60, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("行业")
        verbose_name_plural = _("行业")
        ordering = ["category__seq", "seq", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_general(self) -> bool:
        return self.code == self.GENERAL_CODE


class IndicatorCategory(models.Model):
    """One of the 19 差异化指标 categories of R-DECL-3."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    seq = models.PositiveSmallIntegerField(_("序号"))

    class Meta:
        verbose_name = _("指标类别")
        verbose_name_plural = _("指标类别")
        ordering = ["seq"]

    def __str__(self) -> str:
        return self.name


class IndicatorSet(models.Model):
    """An industry's grading rules under one guideline version (R-GRADE-7).

    It fixes the industry's grade scheme for that version and holds the requirement text of
    each indicator per grade. A declaration is judged on the set in force when submitted.
    """

    industry = models.ForeignKey(
        Industry, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="indicator_sets"
    )
    guideline_version = models.ForeignKey(
        GuidelineVersion, verbose_name=_("指南版本"), on_delete=models.PROTECT
    )
    scheme = models.ForeignKey(GradeScheme, verbose_name=_("分级体系"), on_delete=models.PROTECT)
    effective_from = models.DateField(_("施行日期"))
    title = models.CharField(_("标题"), max_length=200, blank=True)
    scope = models.TextField(_("适用范围"), blank=True)
    source_url = models.URLField(_("来源"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("行业指标体系")
        verbose_name_plural = _("行业指标体系")
        ordering = ["industry__seq", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["industry", "guideline_version"], name="uniq_indicator_set_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.industry}（{self.guideline_version.code}）"


class IndicatorRequirement(models.Model):
    """The requirement text of one indicator for one grade (a cell of the guideline table)."""

    indicator_set = models.ForeignKey(
        IndicatorSet,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="requirements",
    )
    category = models.ForeignKey(
        IndicatorCategory, verbose_name=_("指标类别"), on_delete=models.PROTECT
    )
    seq = models.PositiveSmallIntegerField(_("序号"), default=1)
    grade = models.ForeignKey(Grade, verbose_name=_("等级"), on_delete=models.PROTECT)
    text = models.TextField(_("指标要求"))
    verbatim = models.BooleanField(_("原文"), default=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("指标要求")
        verbose_name_plural = _("指标要求")
        ordering = ["indicator_set", "category__seq", "seq", "grade__severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator_set", "category", "seq", "grade"], name="uniq_requirement_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} / {self.grade}"


class ShareTarget(models.Model):
    """An A/B share target (R-TGT-1), by industry category or by city, per year."""

    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.ForeignKey(
        IndustryCategory,
        verbose_name=_("行业类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    region = models.ForeignKey(
        "grading.Region", verbose_name=_("省辖市"), null=True, blank=True, on_delete=models.PROTECT
    )
    baseline_pct = models.DecimalField(
        _("基准占比（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    target_pct = models.DecimalField(_("目标占比（%）"), max_digits=5, decimal_places=2)
    source = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("A、B级占比目标")
        verbose_name_plural = _("A、B级占比目标")
        ordering = ["year", "category__seq", "region__code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(category__isnull=False, region__isnull=True)
                    | models.Q(category__isnull=True, region__isnull=False)
                ),
                name="share_target_one_scope",
            ),
            models.UniqueConstraint(fields=["year", "category"], name="uniq_target_category"),
            models.UniqueConstraint(fields=["year", "region"], name="uniq_target_region"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category or self.region} ≥{self.target_pct}%"
