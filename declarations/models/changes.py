"""Change reports (变更报告, R-ELIG-5; 002 第十二条): after grading, an enterprise that changes
its production equipment or its treatment facilities reports it, with what changed, the date
and files. The county acknowledges the report (the grade stands) or opens a re-review; until
then the enterprise's pages show the pending change. The state is a django-fsm-2 field changed
only by services."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class ChangeReport(ConcurrentTransitionMixin, models.Model):
    class Kind(models.TextChoices):
        EQUIPMENT = "equipment", _("生产设备变更")
        TREATMENT = "treatment", _("污染治理设施变更")
        BOTH = "both", _("生产设备及污染治理设施变更")

    class Status(models.TextChoices):
        PENDING = "pending", _("待县级处理")
        ACKNOWLEDGED = "acknowledged", _("已确认，等级不变")
        RE_REVIEW = "re_review", _("已启动复核")

    number = models.CharField(_("报告编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="change_reports",
    )
    industry = models.ForeignKey(
        "grading.Industry",
        verbose_name=_("涉及行业"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("变更类型"), max_length=10, choices=Kind.choices)
    description = models.TextField(_("变更内容"))
    changed_on = models.DateField(_("变更日期"))
    status = FSMField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.PENDING, protected=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("报告时间"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handling_note = models.TextField(_("县级意见"), blank=True)
    re_review_ref = models.CharField(
        _("复核案卷编号"), max_length=20, blank=True, help_text=_("县级启动复核时的案卷编号")
    )

    class Meta:
        verbose_name = _("变更报告")
        verbose_name_plural = _("变更报告")
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["status", "filed_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @transition(field=status, source=Status.PENDING, target=Status.ACKNOWLEDGED)
    def acknowledge(self) -> None:
        """The county takes note; the grade stands."""

    @transition(field=status, source=Status.PENDING, target=Status.RE_REVIEW)
    def open_re_review(self) -> None:
        """The county re-reviews the grade in the light of the change."""


def change_report_file_path(instance: "ChangeReportFile", filename: str) -> str:
    return f"change_reports/{instance.report_id}/{uuid.uuid4().hex}{instance.extension}"


class ChangeReportFile(models.Model):
    """A file attached to a change report, checked by its content on upload."""

    report = models.ForeignKey(
        ChangeReport, verbose_name=_("变更报告"), on_delete=models.PROTECT, related_name="files"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=change_report_file_path, max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("变更报告材料")
        verbose_name_plural = _("变更报告材料")
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.name
