"""On-site verification (现场核查意见) recorded by the city's expert panel (R-REV-3)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OnSiteVerification(models.Model):
    case = models.ForeignKey(
        "review.ReviewCase",
        verbose_name=_("审核案卷"),
        on_delete=models.PROTECT,
        related_name="verifications",
    )
    opinion = models.OneToOneField(
        "review.Opinion",
        verbose_name=_("核查意见"),
        on_delete=models.PROTECT,
        related_name="verification",
    )
    visited_on = models.DateField(_("核查日期"))
    recommended_grade = models.ForeignKey(
        "grading.Grade", verbose_name=_("核查建议等级"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("现场核查")
        verbose_name_plural = _("现场核查")

    def __str__(self) -> str:
        return f"{self.case} {self.visited_on}"


def photo_path(instance: "VerificationPhoto", filename: str) -> str:
    return f"onsite/{instance.verification_id}/{uuid.uuid4().hex}{instance.extension}"


class VerificationPhoto(models.Model):
    verification = models.ForeignKey(
        OnSiteVerification, on_delete=models.PROTECT, related_name="photos"
    )
    caption = models.CharField(_("说明"), max_length=200)
    file = models.FileField(_("照片"), upload_to=photo_path, max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=50)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("现场照片")
        verbose_name_plural = _("现场照片")

    def __str__(self) -> str:
        return self.caption


class Rectification(models.Model):
    """A rectification the panel requires, followed up until verified (R-DECL-6)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        DONE = "done", _("企业已整改")
        VERIFIED = "verified", _("已核实")

    verification = models.ForeignKey(
        OnSiteVerification, on_delete=models.PROTECT, related_name="rectifications"
    )
    requirement = models.TextField(_("整改要求"))
    due_on = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    enterprise_note = models.TextField(_("企业整改说明"), blank=True)
    follow_up_note = models.TextField(_("跟踪核实情况"), blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("整改要求")
        verbose_name_plural = _("整改要求")
        ordering = ["verification", "id"]

    def __str__(self) -> str:
        return self.requirement[:40]


def rectification_photo_path(instance: "RectificationPhoto", filename: str) -> str:
    return f"rectifications/{instance.rectification_id}/{uuid.uuid4().hex}{instance.extension}"


class RectificationPhoto(models.Model):
    """A photo the enterprise sends with its rectification reply, checked by its content like
    every upload (R-DECL-6)."""

    rectification = models.ForeignKey(
        Rectification, verbose_name=_("整改要求"), on_delete=models.PROTECT, related_name="photos"
    )
    name = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("照片"), upload_to=rectification_photo_path, max_length=200)
    extension = models.CharField(max_length=8)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("整改照片")
        verbose_name_plural = _("整改照片")
        ordering = ["rectification", "id"]

    def __str__(self) -> str:
        return self.name
