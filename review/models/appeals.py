"""Appeals (复核申请, R-REV-10; 002 第十五条 "企业对县级分局确定的绩效等级有异议的可申请市局
复核"): within a set number of days of a county-level grade decision (a downgrade decision, or
the county's direct grading), the enterprise asks the city to re-review it, with its reasons
and files. The city re-reviews (with an expert panel where the decision rested on an expert
review, or where it chooses to) and signs; the grade changes only when the city signs. The
enterprise sees every step."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class Appeal(ConcurrentTransitionMixin, models.Model):
    class Stage(models.TextChoices):
        FILED = "filed", _("市级复核中")
        DECIDED = "decided", _("已作出复核决定")
        WITHDRAWN = "withdrawn", _("企业已撤回")

    class Outcome(models.TextChoices):
        UPHOLD = "uphold", _("维持县级决定")
        CHANGE = "change", _("变更绩效等级")

    number = models.CharField(_("复核编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    downgrade_case = models.OneToOneField(
        "review.DowngradeCase",
        verbose_name=_("申请复核的降级处理决定"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeal",
    )
    grade_record = models.OneToOneField(
        "grading.GradeRecord",
        verbose_name=_("申请复核的县级评定"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    contested_on = models.DateField(_("县级决定日期"))
    due_on = models.DateField(_("申请期限"))
    stage = FSMField(
        _("复核阶段"), max_length=10, choices=Stage.choices, default=Stage.FILED, protected=True
    )
    reasons = models.TextField(_("申请理由"))
    needs_panel = models.BooleanField(
        _("须专家复核"), default=False, help_text=_("县级决定经专家二次审核作出的，复核亦须专家组")
    )
    grade_contested = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("县级决定的等级"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    grade_earlier = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("县级决定前的等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    outcome = models.CharField(_("复核结果"), max_length=10, choices=Outcome.choices, blank=True)
    grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("复核后等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("复核决定日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("撤回理由"), blank=True)

    class Meta:
        verbose_name = _("复核申请")
        verbose_name_plural = _("复核申请")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(downgrade_case__isnull=False, grade_record__isnull=True)
                | models.Q(downgrade_case__isnull=True, grade_record__isnull=False),
                name="appeal_of_one_decision",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.stage == self.Stage.FILED

    @transition(field=stage, source=Stage.FILED, target=Stage.DECIDED)
    def decide(self) -> None:
        """The city signed its re-review."""

    @transition(field=stage, source=Stage.FILED, target=Stage.WITHDRAWN)
    def withdraw(self) -> None:
        """The enterprise withdrew before the city signed."""


def appeal_file_path(instance: "AppealFile", filename: str) -> str:
    return f"appeals/{instance.appeal_id}/{uuid.uuid4().hex}{instance.extension}"


class AppealFile(models.Model):
    """A file the enterprise attaches to its appeal, checked by its content on upload."""

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("复核申请"), on_delete=models.PROTECT, related_name="files"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=appeal_file_path, max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("复核申请材料")
        verbose_name_plural = _("复核申请材料")
        ordering = ["appeal", "id"]

    def __str__(self) -> str:
        return self.name
