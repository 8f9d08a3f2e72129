"""Public notice (公示) of decided results before publication, and objections to them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from publication.models.tiers import Tier


class Notice(ConcurrentTransitionMixin, models.Model):
    """A batch of one bureau's decided results on notice for a number of working days."""

    class Status(models.TextChoices):
        NOTICED = "noticed", _("公示")
        PUBLISHED = "published", _("已发布")

    number = models.CharField(_("公示编号"), max_length=40, unique=True)
    issuer = models.ForeignKey(
        "grading.Region", verbose_name=_("发布单位"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(_("名单类别"), max_length=10, choices=Tier.choices)
    title = models.CharField(_("标题"), max_length=200)
    statement = models.TextField(_("公示说明"), blank=True)
    workdays = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示截止"))
    status = FSMField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.NOTICED, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    version = models.ForeignKey(
        "publication.ListVersion",
        verbose_name=_("发布版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.title

    def window_open(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.starts_on <= today <= self.ends_on

    def window_over(self, today=None) -> bool:
        return (today or timezone.localdate()) > self.ends_on

    @transition(field=status, source=Status.NOTICED, target=Status.PUBLISHED)
    def publish(self) -> None:
        """The window is over and the results without an open objection are published."""


class NoticeItem(models.Model):
    """One decided result (an enterprise's grade in one industry) on notice."""

    class Status(models.TextChoices):
        NOTICED = "noticed", _("公示")
        WITHDRAWN = "withdrawn", _("撤回重新审核")
        CHANGED = "changed", _("等级已变更")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="items")
    record = models.OneToOneField(
        "grading.GradeRecord",
        verbose_name=_("等级记录"),
        on_delete=models.PROTECT,
        related_name="notice_item",
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("公示等级"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.NOTICED
    )
    #: The record an objection's outcome put in place of the noticed one (grade changed).
    final_record = models.OneToOneField(
        "grading.GradeRecord",
        verbose_name=_("变更后等级记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changed_notice_item",
    )

    class Meta:
        verbose_name = _("公示企业")
        verbose_name_plural = _("公示企业")
        ordering = ["notice", "enterprise__county__code", "industry__seq", "id"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.industry} {self.grade}"

    @property
    def public_key(self) -> str:
        """How public pages name the item: the USCC and the industry code, never an id."""
        return f"{self.enterprise.uscc}-{self.industry.code}"


class Objection(ConcurrentTransitionMixin, models.Model):
    """Anyone's objection to a noticed result. Who lodged it and how to reach them are seen
    only by the issuing bureau's designated handlers (R-PUB-2)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        HANDLED = "handled", _("已处理")

    class Outcome(models.TextChoices):
        KEPT = "kept", _("维持公示结果")
        RE_REVIEW = "re_review", _("启动重新审核")
        GRADE_CHANGED = "grade_changed", _("变更等级")

    item = models.ForeignKey(
        NoticeItem, verbose_name=_("公示企业"), on_delete=models.PROTECT, related_name="objections"
    )
    receipt = models.CharField(_("受理编号"), max_length=20, unique=True)
    content = models.TextField(_("异议内容"))
    objector_name = models.CharField(_("异议人姓名"), max_length=50, blank=True)
    objector_contact = models.CharField(_("异议人联系方式"), max_length=100, blank=True)
    lodged_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    status = FSMField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, protected=True
    )
    outcome = models.CharField(_("处理结果"), max_length=15, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("处理说明"), blank=True)
    new_grade = models.ForeignKey(
        "grading.Grade",
        verbose_name=_("变更后等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["lodged_at", "id"]

    def __str__(self) -> str:
        return self.receipt

    @transition(field=status, source=Status.OPEN, target=Status.HANDLED)
    def handle(self) -> None:
        """The outcome is recorded."""
