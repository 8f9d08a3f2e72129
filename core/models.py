"""Audit events: every state change is a recorded, attributable event (who, when, what, why).

Events carry dotted codes (``enterprise.created``, ``registration.approved``) that drive the
timeline pages, notifications and the API's history endpoints. Events are never edited or
deleted.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Audit rows are written once: bulk updates and deletes are refused (and PostgreSQL's
    trigger refuses them again below the ORM)."""

    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly(_("操作记录只能追加，不能修改"))

    def delete(self):
        raise AuditTrailIsAppendOnly(_("操作记录只能追加，不能删除"))

    _raw_delete = delete


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        DENIED = "denied", _("拒绝")

    code = models.CharField(_("事件代码"), max_length=100, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # Null only for account events without an account (a failed login of an unknown name).
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    summary = models.CharField(_("摘要"), max_length=300)
    reason = models.TextField(_("理由"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.code} {self.summary}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditTrailIsAppendOnly(_("操作记录只能追加，不能修改"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly(_("操作记录只能追加，不能删除"))


class Notification(models.Model):
    """An in-app notice to one user; the same text goes out by e-mail when the user has one."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    code = models.CharField(_("事件代码"), max_length=100)
    message = models.CharField(_("内容"), max_length=300)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    #: When its e-mail went out: a redelivered task sends no e-mail twice.
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.message


class ApiToken(models.Model):
    """A bearer token for the API (等保三级): it ends after 30 idle minutes like a session, at an
    absolute lifetime, on logout, on a password change and when the account is deactivated.
    Only a digest of the key is stored; the key itself is shown once, at login."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    key_digest = models.CharField(max_length=64, unique=True)
    #: A digest of the password hash the token was issued under: a password change ends it.
    password_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("注销原因"), max_length=50, blank=True)
    address = models.GenericIPAddressField(_("签发地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class JobRun(models.Model):
    """One background job's run as the worker reports it (core.jobs): its heartbeat and
    progress, written on a connection of their own so every page sees them while the job's
    own transaction is still open. A run whose heartbeat stops is ended by the beat task
    ``fail_stalled_jobs``; the job's own row (an Excel job, a form, a package) says why."""

    class State(models.TextChoices):
        RUNNING = "running", _("处理中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")
        LOST = "lost", _("中断")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    job = GenericForeignKey("content_type", "object_id")
    task_name = models.CharField(_("任务"), max_length=150)
    task_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.RUNNING)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    worker = models.CharField(_("工作进程"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("最近心跳"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("后台任务运行")
        verbose_name_plural = _("后台任务运行")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="uniq_job_run")
        ]

    def __str__(self) -> str:
        return f"{self.task_name} {self.object_id} {self.state}"
