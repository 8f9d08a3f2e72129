from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from grading.models.enterprises import mobile_validator
from grading.validators import validate_uscc


class User(AbstractUser):
    """A user of one role: staff are bound to a region, an enterprise user to its enterprise."""

    class Role(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        COUNTY = "county", _("县级生态环境部门")
        CITY = "city", _("市级生态环境部门")
        EXPERT = "expert", _("专家")
        PROVINCE = "province", _("省级生态环境部门")
        ADMIN = "admin", _("系统管理员")
        # 三员分立 (等保三级): the system administrator runs the system, the security
        # administrator keeps account security, the audit administrator alone reads the trail.
        SECURITY = "security", _("安全管理员")
        AUDITOR = "auditor", _("审计管理员")

    STAFF_ROLES = (Role.COUNTY, Role.CITY, Role.PROVINCE)

    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, db_index=True)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号"), max_length=11, blank=True, validators=[mobile_validator])
    region = models.ForeignKey(
        "grading.Region",
        verbose_name=_("所属区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("所属企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="enterprise") | models.Q(region__isnull=True),
                name="enterprise_user_has_no_region",
            ),
            models.CheckConstraint(
                condition=~models.Q(role__in=["county", "city", "province"])
                | models.Q(region__isnull=False),
                name="staff_user_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def account_label(self) -> str:
        """Name, role and unit, as the page header shows who is signed in."""
        unit = (
            self.region.name
            if self.region_id
            else (self.enterprise.name if self.enterprise_id else "")
        )
        return " · ".join(
            part for part in (self.display_name, self.get_role_display(), unit) if part
        )


class ExpertProfile(models.Model):
    """An expert of the pool: industries and employer matter for conflicts (R-REV-6, R-REV-7)."""

    user = models.OneToOneField(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="expert_profile"
    )
    employer = models.CharField(_("工作单位"), max_length=200)
    employer_is_service_agency = models.BooleanField(
        _("工作单位为第三方服务机构"),
        default=False,
        help_text=_("为工业企业提供服务的第三方机构人员不得入库"),
    )
    title = models.CharField(_("职称"), max_length=50, blank=True)
    industries = models.ManyToManyField(
        "grading.Industry", verbose_name=_("熟悉行业"), blank=True, related_name="experts"
    )
    home_region = models.ForeignKey(
        "grading.Region",
        verbose_name=_("所在地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("专家信息")
        verbose_name_plural = _("专家信息")

    def __str__(self) -> str:
        return f"{self.user.display_name}（{self.employer}）"


class EnterpriseRegistration(models.Model):
    """An enterprise's self-registration, approved or rejected by its county."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")

    user = models.OneToOneField(
        User, verbose_name=_("申请账户"), on_delete=models.PROTECT, related_name="registration"
    )
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_uscc])
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    county = models.ForeignKey(
        "grading.Region", verbose_name=_("所属县（市、区）"), on_delete=models.PROTECT
    )
    industry = models.ForeignKey(
        "grading.Industry", verbose_name=_("主行业"), on_delete=models.PROTECT
    )
    address = models.CharField(_("详细地址"), max_length=300, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50)
    contact_mobile = models.CharField(_("联系人手机"), max_length=11, validators=[mobile_validator])
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    enterprise = models.ForeignKey(
        "grading.Enterprise",
        verbose_name=_("关联企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("企业注册申请")
        verbose_name_plural = _("企业注册申请")
        ordering = ["submitted_at", "id"]

    def __str__(self) -> str:
        return f"{self.enterprise_name}（{self.get_status_display()}）"


class PasswordHistory(models.Model):
    """Every password an account has had (as its hash): the last five may not be used again,
    and the newest tells when the password expires (等保三级)."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("密码摘要"), max_length=128)
    changed_at = models.DateTimeField(_("设置时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.changed_at:%Y-%m-%d}"
