"""Public reports (举报, R-PUB-2): anyone reports that an enterprise's grade or conduct is
wrong; the bureau of the enterprise's county verifies it and records the outcome. Who
reported and how to reach them is seen only by that bureau's designated handlers."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class PublicReport(ConcurrentTransitionMixin, models.Model):
    class Kind(models.TextChoices):
        GRADE = "grade", _("评定等级与实际不符")
        CONDUCT = "conduct", _("企业存在违法违规行为")

    class Status(models.TextChoices):
        RECEIVED = "received", _("待核实")
        CLOSED = "closed", _("已办结")

    class Outcome(models.TextChoices):
        UNFOUNDED = "unfounded", _("经核实，举报不实")
        RE_REVIEW = "re_review", _("启动重新审核")
        DOWNGRADE_CASE = "downgrade_case", _("立案动态降级")

    receipt = models.CharField(_("受理编号"), max_length=20, unique=True)
    county = models.ForeignKey(
        "grading.Region",
        verbose_name=_("承办单位（县级）"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("被举报企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise_name = models.CharField(_("被举报企业名称"), max_length=200)
    kind = models.CharField(_("举报类型"), max_length=10, choices=Kind.choices)
    content = models.TextField(_("举报内容"))
    reporter_name = models.CharField(_("举报人姓名"), max_length=50, blank=True)
    reporter_contact = models.CharField(_("举报人联系方式"), max_length=100, blank=True)
    lodged_at = models.DateTimeField(_("举报时间"), default=timezone.now)
    status = FSMField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.RECEIVED, protected=True
    )
    outcome = models.CharField(_("核实结果"), max_length=15, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("核实情况"), blank=True)
    #: What the outcome opened elsewhere (a downgrade case's number), when it did.
    outcome_ref = models.CharField(_("关联案件"), max_length=100, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公众举报")
        verbose_name_plural = _("公众举报")
        ordering = ["-lodged_at", "-id"]
        indexes = [models.Index(fields=["county", "status"])]

    def __str__(self) -> str:
        return self.receipt

    @transition(field=status, source=Status.RECEIVED, target=Status.CLOSED)
    def close(self) -> None:
        """The bureau has verified the report and recorded the outcome."""


class ReportEvidence(models.Model):
    """A file the reporter attached, checked like every upload (``core.uploads``)."""

    report = models.ForeignKey(PublicReport, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("文件"), upload_to="reports/")
    original_name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("举报证据")
        verbose_name_plural = _("举报证据")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.original_name
