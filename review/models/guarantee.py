"""The guarantee-class chain (保障类, R-GUAR-3; 002 第六条(4), 第十条(4)): the county finishes
its review of guarantee cases by 20 September; the city reviews them jointly with the
development-and-reform, industry, commerce and market-regulation departments, each recorded
as a co-reviewer that signs or records an objection; the city decides and reports its
guarantee list to the province."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GuaranteeCoReview(models.Model):
    class Department(models.TextChoices):
        DEVELOPMENT_REFORM = "development_reform", _("发展改革部门")
        INDUSTRY = "industry", _("工业和信息化部门")
        COMMERCE = "commerce", _("商务部门")
        MARKET_REGULATION = "market_regulation", _("市场监管部门")

    class Verdict(models.TextChoices):
        SIGNED = "signed", _("同意（签署）")
        OBJECTION = "objection", _("有异议")

    case = models.ForeignKey(
        "review.ReviewCase",
        verbose_name=_("案卷"),
        on_delete=models.PROTECT,
        related_name="guarantee_co_reviews",
    )
    department = models.CharField(_("会审部门"), max_length=20, choices=Department.choices)
    verdict = models.CharField(_("会审意见"), max_length=10, choices=Verdict.choices)
    signatory = models.CharField(_("部门签署人"), max_length=50)
    opinion = models.TextField(_("意见或异议内容"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保障类会审意见")
        verbose_name_plural = _("保障类会审意见")
        ordering = ["case", "department"]
        constraints = [
            models.UniqueConstraint(fields=["case", "department"], name="uniq_guarantee_co_review")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_department_display()} {self.get_verdict_display()}"


class GuaranteeReport(models.Model):
    """The city's report of its guarantee list to the province: the list as it stood."""

    city = models.ForeignKey(
        "grading.Region", verbose_name=_("省辖市"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    enterprises = models.JSONField(_("保障类企业"), default=list)
    note = models.TextField(_("报送说明"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保障类清单报送")
        verbose_name_plural = _("保障类清单报送")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.city_id} {self.year}"
