from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HandlerDesignation(models.Model):
    """A bureau's designated handler (指定承办人): the only staff who see who lodged an
    objection or a report and how to reach them, and who record the outcome (R-PUB-2).
    Revoking ends the designation; the row stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.PROTECT,
        related_name="handler_designations",
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    designated_at = models.DateTimeField(_("指定时间"), auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指定承办人")
        verbose_name_plural = _("指定承办人")
        ordering = ["-designated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_active_designation_per_user",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)
