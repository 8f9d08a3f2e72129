"""Downgrade cases (动态降级, R-DYN-1; 001 三(七), 002 第十五条): a violation of the R-DYN-1
kinds (exceeding limits, secret discharge, treatment not running), a failed inspection, a
founded public report or a measure not taken during an alert opens a case at the county with
its reason codes. Inspection problems go to an expert second review (a panel as for on-site
verification). The county signs the outcome four-eyes: downgrade to a named grade, the lowest
grade, or no change; the grade history records it with its source.

The stage is a django-fsm-2 field changed only by services; signed opinions are never edited;
each form the worker renders is a new revision."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class DowngradeCase(ConcurrentTransitionMixin, models.Model):
    class Stage(models.TextChoices):
        COUNTY = "county", _("县级处理")
        SECOND_REVIEW = "second_review", _("专家二次审核")
        DECIDED = "decided", _("已作出处理决定")

    class Reason(models.TextChoices):
        EXCEEDING = "exceeding", _("超标排放")
        SECRET_DISCHARGE = "secret_discharge", _("偷排漏排")
        TREATMENT_NOT_RUNNING = "treatment_off", _("治污设施不正常运行")
        INSPECTION = "inspection", _("监督检查发现不符合绩效指标要求")
        PUBLIC_REPORT = "public_report", _("群众举报经查属实")
        ALERT_MEASURE = "alert_measure", _("预警期间未落实应急减排措施")
        CHANGE = "change", _("生产设备或污染治理设施变更复核")

    class Outcome(models.TextChoices):
        DOWNGRADE = "downgrade", _("降为指定等级")
        LOWEST = "lowest", _("按最低等级处理")
        NO_CHANGE = "no_change", _("维持原等级")

    number = models.CharField(_("案卷编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="downgrade_cases",
    )
    industry = models.ForeignKey(
        "grading.Industry",
        verbose_name=_("涉及行业"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("降为指定等级时调整的行业；按最低等级处理时调整企业所有已评级行业"),
    )
    stage = FSMField(
        _("处理阶段"),
        max_length=15,
        choices=Stage.choices,
        default=Stage.COUNTY,
        protected=True,
    )
    reasons = models.JSONField(_("原因代码"), default=list)
    needs_second_review = models.BooleanField(_("须专家二次审核"), default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立案人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("立案时间"), auto_now_add=True)
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, blank=True)
    grade_before = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("原等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("处理后等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    appeal_due = models.DateField(_("申请复核截止日期"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("动态降级案卷")
        verbose_name_plural = _("动态降级案卷")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["stage", "opened_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.stage != self.Stage.DECIDED

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [str(labels.get(r, r)) for r in self.reasons]

    @transition(field=stage, source=Stage.COUNTY, target=Stage.SECOND_REVIEW)
    def to_second_review(self) -> None:
        """Inspection problems go to an expert second review (R-DYN-1)."""

    @transition(field=stage, source=Stage.SECOND_REVIEW, target=Stage.COUNTY)
    def second_review_signed(self) -> None:
        """The panel signed its opinion; the county decides."""

    @transition(field=stage, source=Stage.COUNTY, target=Stage.DECIDED)
    def decide(self) -> None:
        """The county signed the outcome."""


class DowngradeTrigger(models.Model):
    """One fact that opened the case or was added to it: its reason code and source."""

    class Source(models.TextChoices):
        VIOLATION = "violation", _("违法违规记录")
        INSPECTION = "inspection", _("监督检查")
        PUBLIC_REPORT = "public_report", _("群众举报")
        ALERT = "alert", _("重污染天气预警")
        CHANGE_REPORT = "change_report", _("企业变更报告")

    case = models.ForeignKey(
        DowngradeCase, verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="triggers"
    )
    reason = models.CharField(_("原因代码"), max_length=20, choices=DowngradeCase.Reason.choices)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    violation = models.ForeignKey(
        "grading.ViolationRecord",
        verbose_name=_("违法违规记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reference = models.CharField(_("文书或编号"), max_length=100, blank=True)
    occurred_on = models.DateField(_("发生日期"))
    detail = models.TextField(_("情况说明"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("降级事由")
        verbose_name_plural = _("降级事由")
        ordering = ["case", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.get_reason_display()}"


class CaseOpinion(models.Model):
    """A signed opinion of a downgrade case or an appeal: the panel's (second) review, or the
    decision. Never edited."""

    class Kind(models.TextChoices):
        SECOND_REVIEW = "second_review", _("专家二次审核意见")
        DECISION = "decision", _("处理决定")

    class Outcome(models.TextChoices):
        """A downgrade case's outcomes, then an appeal's."""

        DOWNGRADE = "downgrade", _("降为指定等级")
        LOWEST = "lowest", _("按最低等级处理")
        NO_CHANGE = "no_change", _("维持原等级")
        UPHOLD = "uphold", _("维持县级决定")
        CHANGE = "change", _("变更绩效等级")

    downgrade_case = models.ForeignKey(
        DowngradeCase,
        verbose_name=_("动态降级案卷"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    appeal = models.ForeignKey(
        "review.Appeal",
        verbose_name=_("复核申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opinions",
    )
    kind = models.CharField(_("意见类型"), max_length=15, choices=Kind.choices)
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices)
    grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField(_("核查情况"))
    conclusion = models.TextField(_("结论"))
    signers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("签署人"), related_name="signed_case_opinions"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("签署时间"))

    class Meta:
        verbose_name = _("案卷签署意见")
        verbose_name_plural = _("案卷签署意见")
        ordering = ["signed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(downgrade_case__isnull=False, appeal__isnull=True)
                | models.Q(downgrade_case__isnull=True, appeal__isnull=False),
                name="opinion_of_one_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_outcome_display()}"

    @property
    def subject(self):
        """The downgrade case or the appeal the opinion was signed on."""
        return self.downgrade_case if self.downgrade_case_id else self.appeal


class CaseOpinionForm(models.Model):
    """A signed case opinion rendered to PDF by the worker; each request a new revision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    opinion = models.ForeignKey(
        CaseOpinion, verbose_name=_("签署意见"), on_delete=models.PROTECT, related_name="forms"
    )
    revision = models.PositiveSmallIntegerField(_("生成次数"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("文件"), upload_to="case_forms/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("案卷意见表")
        verbose_name_plural = _("案卷意见表")
        ordering = ["opinion", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["opinion", "revision"], name="uniq_case_form_revision")
        ]

    def __str__(self) -> str:
        return f"{self.opinion} #{self.revision}"
