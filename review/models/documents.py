"""The approval form (审核意见表, 002 附件1) rendered to PDF by a worker when an opinion is
signed. Each rendering is a new row: a form is never silently changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalForm(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")

    opinion = models.ForeignKey(
        "review.Opinion", verbose_name=_("审核意见"), on_delete=models.PROTECT, related_name="forms"
    )
    revision = models.PositiveSmallIntegerField(_("生成次数"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField(_("文件"), upload_to="approval_forms/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("审核意见表")
        verbose_name_plural = _("审核意见表")
        ordering = ["opinion", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["opinion", "revision"], name="uniq_form_revision")
        ]

    def __str__(self) -> str:
        return f"{self.opinion} #{self.revision}"
