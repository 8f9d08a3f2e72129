"""Leaving the guarantee list (保障类, R-GUAR-3, R-GUAR-4): an enterprise granted the guarantee
class on a decided 保障类 declaration stays on its city's guarantee list for the year until it
is removed, with a reason and a date (R-GUAR-4: producing beyond the guarantee task during an
alert removes it at once). The stages above follow the ``guarantee_removed`` signal."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GuaranteeRemoval(models.Model):
    declaration = models.OneToOneField(
        "declarations.Declaration",
        verbose_name=_("保障类申报"),
        on_delete=models.PROTECT,
        related_name="guarantee_removal",
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="guarantee_removals",
    )
    reason = models.TextField(_("移出理由"))
    removed_on = models.DateField(_("移出日期"))
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保障类移出记录")
        verbose_name_plural = _("保障类移出记录")
        ordering = ["-removed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.removed_on}"
